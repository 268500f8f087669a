"""Contract snapshots for panels, kept per process for `cache_timeout_s` so a screen full of
panels reads each contract once. One reader refreshes while the others wait on the lock
(no stampede when the entry expires under load, FIELD_NOTES.md)."""

from __future__ import annotations

import threading
import time

from data_sources.monitor import Snapshot
from services.context import get_services

_lock = threading.Lock()
_entries: dict[tuple[int, str], tuple[float, Snapshot]] = {}


def snapshot(contract: str) -> Snapshot:
    """The served contract's latest snapshot (possibly marked stale when its source is down)."""
    services = get_services()
    key = (id(services), contract)
    ttl = services.settings.cache_timeout_s
    entry = _entries.get(key)
    if entry and entry[0] > time.monotonic():
        return entry[1]
    with _lock:
        entry = _entries.get(key)
        if entry and entry[0] > time.monotonic():
            return entry[1]
        snap = services.sources.read(contract)
        _entries[key] = (time.monotonic() + ttl, snap)
        return snap


def forget() -> None:
    """Drop every snapshot (after an import or a reseed)."""
    with _lock:
        _entries.clear()
