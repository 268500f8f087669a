"""Sync a foreign case table (a `sql_cases` source, data_sources/adapters/sql_cases.py) into the
store through the one import service: `flask --app app cases sync NAME` and the app's
background syncer (live/case_sync.py) both call `sync_cases`.

Each page is imported and then its cursor saved as the source's checkpoint ("sync:NAME"), so a
sync stopped anywhere (a restart, a lost connection) resumes after the last page saved; a page
imported but not yet checkpointed is read again and updates what it wrote. A rejected row does
not hold the cursor back: it is reported, and read again when the vendor changes it (its update
time moves)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from data_sources.adapters.sql_cases import SqlCaseSource
from data_sources.base import KEYSET
from data_sources.errors import SourceError, SourceMisconfigured
from data_sources.monitor import SourceMonitor, utc_now
from data_sources.validation import Rejection
from services.case_import import ImportReport, RowRejection, import_cases, load_checkpoint, save_checkpoint
from services.context import get_services


@dataclass
class SyncResult:
    """One sync: its counts and rejections, pages read, and whether it continued a checkpoint."""

    report: ImportReport
    pages: int = 0
    resumed: bool = False
    newest: datetime | None = None  # the newest reported_at among the rows read


def checkpoint_key(name: str) -> str:
    return f"sync:{name}"


def syncable(name: str) -> SourceMonitor:
    """The monitor of configured source `name` if it can be synced; SourceMisconfigured naming
    the ones that can otherwise."""
    monitors = get_services().sources.monitors
    monitor = monitors.get(name)
    if monitor is None or KEYSET not in monitor.source.capabilities:
        known = [n for n, m in monitors.items() if KEYSET in m.source.capabilities]
        what = "no configured source" if monitor is None else f"a {monitor.source.kind} source, not sql_cases"
        raise SourceMisconfigured(
            f"{name!r} is {what}; sources that sync cases: {', '.join(known) or 'none (config/sources.yaml)'}"
        )
    return monitor


def sync_cases(
    name: str, *, max_pages: int | None = None, actor: str | None = None, restart: bool = False
) -> SyncResult:
    """Import what changed in source `name` since its checkpoint, page after page, until a page
    comes back short (or after `max_pages`; from the table's first row with `restart`), and
    record the source's health (the Sources page
    shows it). Connects for the sync and disconnects after. Runs in an app context; blocks on
    both databases. Raises SourceMisconfigured (not a syncable source, a table or column gone),
    SourceUnavailable (the foreign database is down: what was checkpointed stays) and the
    store's errors."""
    monitor = syncable(name)
    source = monitor.source
    assert isinstance(source, SqlCaseSource)
    try:
        result = _sync(source, name, max_pages, actor, restart)
    except SourceError as exc:
        permanent = isinstance(exc, SourceMisconfigured)
        monitor.book.put(
            monitor.health.failed(utc_now(), "cases", str(exc), monitor.down_after, permanent=permanent)
        )
        raise
    finally:
        source.close()
    report = result.report
    rejections = [_as_rejection(name, r) for r in report.rejections]
    monitor.record_import("cases", report.imported + report.updated, rejections, result.newest)
    return result


_REASON = re.compile(r"(?P<field>[^:;]+): (?P<why>.*?)(?: \(value (?P<value>.*?)\))?(?:; .*)?$")


def _as_rejection(source: str, rejection: RowRejection) -> Rejection:
    """A rejected row as the Sources page lists them: numbered by the foreign key when it is a
    number, with the field, reason and value of its first reason ("field: why (value v)")."""
    found = _REASON.match(rejection.reason)
    field, why, value = found.group("field", "why", "value") if found else ("", rejection.reason, None)
    key = rejection.position.rpartition("=")[2]
    number = int(key) if key.isdigit() else 0
    return Rejection(source, "cases", number, rejection.case_id, field, value or "", why)


def _sync(
    source: SqlCaseSource, name: str, max_pages: int | None, actor: str | None, restart: bool
) -> SyncResult:
    key = checkpoint_key(name)
    cursor = None if restart else load_checkpoint(key)
    result = SyncResult(ImportReport(), resumed=cursor is not None)
    limit = source.options.batch_rows
    while max_pages is None or result.pages < max_pages:
        page = source.read_page(cursor, limit)
        if page.rows == 0:
            break
        unread: dict[str, list[str]] = {}  # a row with several unreadable values is one row
        ids: dict[str, str | None] = {}
        for where, r in page.rejected:
            unread.setdefault(where, []).append(f"{r.field}: {r.reason} (value {r.value})")
            ids[where] = r.key
        part = import_cases(
            page.frame,
            source=name,
            positions=page.positions,
            actor=actor,
            unread=[RowRejection(w, ids[w], "; ".join(why)) for w, why in unread.items()],
        )
        result.report.imported += part.imported
        result.report.updated += part.updated
        result.report.rejected += part.rejected
        result.report.rejections += part.rejections
        newest = page.frame["reported_at"].max() if "reported_at" in page.frame else None
        if newest is not None and not pd.isna(newest) and (result.newest is None or newest > result.newest):
            result.newest = newest.to_pydatetime()
        assert page.cursor is not None
        save_checkpoint(key, page.cursor)
        cursor = page.cursor
        result.pages += 1
        if page.rows < limit:
            break
    return result
