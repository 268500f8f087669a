"""Background syncs of foreign case tables and Open311 servers: for each `sql_cases` source
with `sync_interval_s` in config/sources.yaml, a thread of the serving process calls
services.case_sync.sync_cases that often, for each such `open311` source
services.open311_import.poll_open311, and for each such `sharing_platform` source (enterprises
and chains from a data-sharing platform) services.sharing_sync.sync_platform. It runs in every profile (a vendor's table is as real in
production as in a demo). Several serving processes may start it: a lease per source in the store's meta table (as the
demo simulator's) lets one of them sync at a time. A failing sync logs one line when it starts
failing and one when it works again, never a traceback per round."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from data_sources.base import KEYSET
from live.periodic import PeriodicJob, hold_lease
from services.case_sync import sync_cases
from services.context import KEY
from services.open311_import import poll_open311
from services.sharing_sync import sync_platform

log = logging.getLogger(__name__)

ACTOR = "case-sync"


class CaseSyncer(PeriodicJob):
    """One source's background sync in one process; `tick(now)` is one round (the thread's,
    or a test's with a fixed clock). Not thread-safe: one thread ticks."""

    def __init__(
        self,
        server: Flask,
        name: str,
        *,
        interval_s: float,
        owner: str | None = None,
        sync: Callable[..., Any] = sync_cases,
    ) -> None:
        super().__init__(timedelta(seconds=interval_s))
        self.title = f"the sync of {name!r}"
        self.server = server
        self.name = name
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.sync = sync

    def tick(self, now: datetime) -> Any:
        """Sync once if this process holds the source's lease: its result (a SyncResult, an
        Open311ImportResult); None when another process holds it or a polled server did not answer."""
        with self.server.app_context():
            engine = self.server.extensions[KEY].engine
            if not hold_lease(engine, f"case_sync.{self.name}", self.owner, now, now + 3 * self.interval):
                return None
            result = self.sync(self.name, actor=ACTOR)
        if result is None:  # a polled server that did not answer: its health says so
            return None
        if result.report.imported or result.report.updated or result.report.rejected:
            log.info("case sync of %r: %s", self.name, result.report.summary)
        return result


def start_syncers(server: Flask) -> list[CaseSyncer]:
    """Start a syncer for every configured source that syncs cases on an interval."""
    syncers = []
    for name, monitor in server.extensions[KEY].sources.monitors.items():
        source = monitor.source
        interval = getattr(source.options, "sync_interval_s", None)
        sync: Callable[..., Any]
        if KEYSET in source.capabilities:  # a vendor's table, page by page
            sync = sync_cases
        elif source.kind == "open311":  # a GeoReport server, asked for what changed
            sync = poll_open311
        elif source.kind == "sharing_platform":  # enterprises and chains, page after page
            sync = sync_platform
        else:
            continue
        if interval:
            syncer = CaseSyncer(server, name, interval_s=interval, sync=sync)
            syncer.start()
            syncers.append(syncer)
            log.info("syncing cases from %r every %s s", name, interval)
    return syncers
