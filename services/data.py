"""Contract snapshots for panels, kept per process for `cache_timeout_s` so a screen full of
panels reads each contract once.

Stale-while-revalidate: an expired entry is served at once while one background thread reads
it again, so after the first read no request waits on a large read, and an expiry under load
never stampedes (FIELD_NOTES.md). Every snapshot carries the time it was fetched, which panels
show. Readings are high-volume: panels see the last day of them (RECENT) unless they ask for a
longer window; every other contract is read whole."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app

from data_sources.monitor import Snapshot
from services.context import get_services

log = logging.getLogger(__name__)

RECENT = {"readings": timedelta(days=1)}

Key = tuple[int, str, timedelta | None]
_lock = threading.Lock()
_entries: dict[Key, tuple[float, Snapshot]] = {}
_refreshing: set[Key] = set()


def _read(contract: str, window: timedelta | None) -> Snapshot:
    since = datetime.now(UTC) - window if window else None
    return get_services().sources.read(contract, since)


def snapshot(contract: str, window: timedelta | None = None) -> Snapshot:
    """The served contract's latest snapshot: rows of the last `window` (default RECENT's,
    else all). Never raises for a source that is down (the snapshot is marked stale); raises
    SourceMisconfigured when no source serves `contract`."""
    services = get_services()
    window = window or RECENT.get(contract)
    key = (id(services), contract, window)
    entry = _entries.get(key)
    if entry is not None:
        if entry[0] <= time.monotonic():
            _refresh_in_background(key, contract, window)
        return entry[1]
    with _lock:  # the first read: one reader, the others wait for its result
        entry = _entries.get(key)
        if entry is None:
            entry = (time.monotonic() + services.settings.cache_timeout_s, _read(contract, window))
            _entries[key] = entry
        return entry[1]


def _refresh_in_background(key: Key, contract: str, window: timedelta | None) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def refresh() -> None:
        try:
            with app.app_context():
                ttl = get_services().settings.cache_timeout_s
                _entries[key] = (time.monotonic() + ttl, _read(contract, window))
        except Exception:  # the old entry stays; the next request past expiry tries again
            log.exception("refreshing %s failed", contract)
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=refresh, name=f"refresh-{contract}", daemon=True).start()


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


def forget() -> None:
    """Drop every snapshot (after an import or a reseed)."""
    with _lock:
        _entries.clear()
