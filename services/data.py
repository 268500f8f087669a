"""Contract snapshots for panels, kept per app for `cache_timeout_s` so a screen full of panels
reads each contract once.

Stale-while-revalidate: an expired entry is served at once while one background thread reads
it again, so after the first read no request waits on a large read, and an expiry under load
never stampedes (FIELD_NOTES.md). Every snapshot carries the time it was fetched and whether
its source is down. Readings are high-volume: panels see the last day of them (RECENT) unless
they ask for a longer window; cases (LARGE) are read here only over a recent window, for their
freshness; every other contract is read whole.

Thread-safe: one lock per entry serialises its reads; the table of entries has its own lock,
never held during I/O."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from flask import Flask

from data_sources.base import INCREMENTAL, KEYSET, PUSH
from data_sources.errors import SourceError
from data_sources.health import SourceHealth
from data_sources.monitor import Snapshot
from services.context import get_services
from services.sources import SourceManager

log = logging.getLogger(__name__)

RECENT = {"readings": timedelta(days=1)}
# Large contracts that no serving process reads whole (DESIGN; issue 11): their rows are
# queried in the store (services/records.py, services/case_query.py, store/kpi_sql.py); their
# snapshot is read over a recent window only (large_window), for the newest row's time.
LARGE = frozenset({"cases"})
# The time field a window applies to, when the source cannot filter by time itself.
WINDOW_FIELD = {"readings": "at", "cases": "reported_at", "case_events": "at", "alerts": "raised_at"}
CHECK_INTERVAL_S = 10  # a "check now" more often than this answers from the last check

Key = tuple[str, timedelta | None]


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    snapshot: Snapshot | None = None
    expires: float = 0.0
    refreshing: bool = False


class SnapshotCache:
    """Snapshots of one app's sources (one per app: apps in one process never share)."""

    def __init__(self, sources: SourceManager, ttl_s: int) -> None:
        self.sources = sources
        self.ttl_s = ttl_s
        self._entries: dict[Key, _Entry] = {}
        self._table = threading.Lock()
        self._checked: dict[str, float] = {}

    def _entry(self, key: Key) -> _Entry:
        with self._table:
            return self._entries.setdefault(key, _Entry())

    def _read(self, contract: str, window: timedelta | None) -> Snapshot:
        since = datetime.now(UTC) - window if window else None
        snap = self.sources.read(contract, since)
        name = self.sources.source_of(contract)
        incremental = name is not None and INCREMENTAL in self.sources.monitors[name].source.capabilities
        if since is not None and not incremental and contract in WINDOW_FIELD:
            frame = snap.frame
            snap = replace(snap, frame=frame[frame[WINDOW_FIELD[contract]] > since].reset_index(drop=True))
        return snap

    def get(self, contract: str, window: timedelta | None = None) -> Snapshot:
        """The contract's snapshot. Never raises for a source that is down (the snapshot is
        marked stale); raises SourceMisconfigured when no source serves `contract`."""
        window = window or RECENT.get(contract)
        entry = self._entry((contract, window))
        snap = entry.snapshot
        if snap is not None:
            if entry.expires <= time.monotonic():
                self._refresh_in_background(entry, contract, window)
            return snap
        with entry.lock:  # the first read: one reader, the others wait for its result
            if entry.snapshot is None:
                self._store(entry, self._read(contract, window))
            assert entry.snapshot is not None
            return entry.snapshot

    def refresh(self, contract: str, window: timedelta | None = None) -> Snapshot:
        """Read the contract now (waiting for a read already under way)."""
        window = window or RECENT.get(contract)
        entry = self._entry((contract, window))
        with entry.lock:
            self._store(entry, self._read(contract, window))
            assert entry.snapshot is not None
            return entry.snapshot

    def _store(self, entry: _Entry, snap: Snapshot) -> None:
        entry.snapshot = snap
        entry.expires = time.monotonic() + self.ttl_s

    def _refresh_in_background(self, entry: _Entry, contract: str, window: timedelta | None) -> None:
        with self._table:
            if entry.refreshing:
                return
            entry.refreshing = True

        def run() -> None:
            try:
                with entry.lock:
                    self._store(entry, self._read(contract, window))
            except Exception:  # the old entry stays; the next request past expiry tries again
                log.exception("refreshing %s failed", contract)
            finally:
                with self._table:
                    entry.refreshing = False

        threading.Thread(target=run, name=f"refresh-{contract}", daemon=True).start()

    def check(self, name: str) -> SourceHealth:
        """Read source `name` now: the contracts it serves (through this cache, so nothing is
        held twice), or, for a source that serves no panel (an import source), each contract
        it gives, once; an open311 source polled into the store is polled now (an import), a
        data-sharing platform synced now. At
        most once per CHECK_INTERVAL_S per source. Raises KeyError for a name that is not
        configured."""
        monitor = self.sources.monitors[name]
        last = self._checked.get(name)
        if last is not None and time.monotonic() - last < CHECK_INTERVAL_S:
            return monitor.health
        self._checked[name] = time.monotonic()
        served = [c for c, source in self.sources.serving.items() if source == name]
        for contract in served:
            self.refresh(contract, large_window(contract))
        if not served and KEYSET in monitor.source.capabilities:
            # a vendor's case table synced into the store: checking it is a sync (an import)
            from services.case_sync import sync_cases

            # a failure is in the source's health, which is what a check returns
            with contextlib.suppress(SourceError):
                sync_cases(name, actor="source-check")
        elif not served and _polled_into_store(monitor.source):
            # its rows are checked by the import (the catalogue gives their domains), not here
            from services.open311_import import poll_open311

            poll_open311(name, actor="source-check")
        elif not served and monitor.source.kind == "sharing_platform":
            # enterprises and chains synced from a data-sharing platform: checking it is a sync
            from services.sharing_sync import sync_platform

            with contextlib.suppress(SourceError):
                sync_platform(name, actor="source-check")
        elif not served and PUSH in monitor.source.capabilities:
            # a feed: the worker listens to it and keeps its health in the store; opening it here
            # would start a second listener (on MQTT, taking the worker's session over)
            pass
        elif not served:
            for contract in sorted(monitor.source.contracts):
                monitor.read(contract, datetime.now(UTC) - timedelta(days=1) if contract in RECENT else None)
        return monitor.health

    def forget(self) -> None:
        """Drop every snapshot (after an import or a reseed)."""
        with self._table:
            self._entries.clear()

    def expire(self, contract: str) -> None:
        """Mark every snapshot of `contract` out of date (after a write to it): the next read
        still answers at once with the old one and starts reading it again in the background."""
        with self._table:
            for (name, _window), entry in self._entries.items():
                if name == contract:
                    entry.expires = 0.0


def _polled_into_store(source: object) -> bool:
    """An open311 source imported into the store on an interval (services/open311_import.py)."""
    options = getattr(source, "options", None)
    return getattr(source, "kind", None) == "open311" and bool(getattr(options, "sync_interval_s", None))


def large_window(contract: str) -> timedelta | None:
    """The window a LARGE contract's snapshot is read over (None for the others: whole, or
    RECENT): a day, and at least twice case_intake_warn_s, so a window without a row means its
    newest row is older than the warning (services/freshness.py judges that stale)."""
    if contract not in LARGE:
        return None
    return max(timedelta(days=1), 2 * timedelta(seconds=get_services().settings.case_intake_warn_s))


def snapshot(contract: str, window: timedelta | None = None) -> Snapshot:
    """The current app's snapshot of `contract` (see SnapshotCache.get)."""
    return get_services().snapshots.get(contract, window)


def prefetch(app: Flask, contracts: list[str]) -> threading.Thread:
    """Read `contracts` in a background thread, so the first visitor does not wait for them."""

    def run() -> None:
        with app.app_context():
            for contract in contracts:
                try:
                    snapshot(contract)
                except Exception:  # a panel asking later shows the source's own error
                    log.exception("prefetching %s failed", contract)

    thread = threading.Thread(target=run, name="prefetch", daemon=True)
    thread.start()
    return thread
