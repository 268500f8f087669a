"""Snapshots (services/data.py) follow the store's data versions, for figures computed from
snapshots and cached by version (services/figure_cache.py).

A snapshot is re-read every cache_timeout_s, and at once only after a write made in this
process. A write by another process (another worker, the demo simulator, an import, psql)
raises the contract's version: the figure cache computes again at the next read, but from a
snapshot read before the write, and would keep that old figure until the next write. So a
computation calls `follow` first: a contract whose version moved since this app last looked
has its snapshots marked out of date (read again in the background, never waited for), and
while a snapshot still predates the version it is computed against the figure is cached as
provisional (for a second), then computed again from the snapshot read after the write."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

from services.context import get_services
from services.data import SnapshotCache, snapshot
from services.figure_cache import computing_versions, provisional
from store.data_versions import versions

# per app (its SnapshotCache): contract -> (the version last seen, when it was first seen)
_seen: weakref.WeakKeyDictionary[SnapshotCache, dict[str, tuple[int, datetime]]] = weakref.WeakKeyDictionary()
_seen_lock = threading.Lock()
FIRST_LOOK = datetime.min.replace(tzinfo=UTC)


def follow(contracts: Iterable[str]) -> bool:
    """Bring the current app's snapshots of `contracts` in line with their data versions (see
    the module's docstring). True when every versioned one's snapshot was read after its
    current version was first seen; otherwise False, and the figure being computed is marked
    provisional. Reads the versions (one small SELECT); reads no snapshot it would not have."""
    services = get_services()
    names = set(contracts)
    known = computing_versions()
    current = {c: v for c, v in known.items() if c in names} if known is not None else None
    if current is None:
        current = versions(services.engine, names)
    now = datetime.now(UTC)
    with _seen_lock:
        seen = _seen.setdefault(services.snapshots, {})
        moved = []
        for contract, version in current.items():
            last = seen.get(contract)
            if last is None:  # the first look: the snapshots read so far are taken as current
                seen[contract] = (version, FIRST_LOOK)
            elif last[0] != version:
                seen[contract] = (version, now)
                moved.append(contract)
        since = {contract: seen[contract][1] for contract in current}
    for contract in moved:
        services.snapshots.expire(contract)
    behind = [
        contract
        for contract, first_seen in since.items()
        if services.sources.source_of(contract) is not None and _read_before(contract, first_seen)
    ]
    if behind:
        provisional()
    return not behind


def _read_before(contract: str, moment: datetime) -> bool:
    fetched_at = snapshot(contract).fetched_at  # starts the background re-read when expired
    return fetched_at is not None and fetched_at < moment
