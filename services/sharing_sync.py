"""Sync a data-sharing platform (a `sharing_platform` source, data_sources/adapters/
sharing_platform.py) into the store: its chain links, enterprises and their yearly figures, in
that order (a figure names an enterprise, an enterprise a link). `flask --app app enterprises
sync NAME` and the app's background syncer (live/case_sync.py) both call `sync_platform`.

Each page is checked against its contract and the reference checks (services/sharing_checks.py:
an enterprise's class, credit code and link, a figure's year and enterprise), its good rows
upserted by the contract's key (store/contract_upsert.py) in one transaction, and then the page's
place saved in the contract's checkpoint ("sharing:NAME:CONTRACT", store/checkpoints.py through
services/case_import.py, as the case syncs keep theirs). The checkpoint holds the update time
the sync asks from (`since`) and, while a sync is unfinished, the position after the last page
stored: a sync stopped anywhere (a page that keeps failing, a restart) keeps what it stored and
resumes after the last complete page with the same `since`, which moves on to the newest update
time read only once the last page is stored. Rows updated at that very time are asked for again
next time (the platform's "since" includes it), and updated in place. A rejected row does not
hold the checkpoint back: it is reported (the Sources page lists it) and read again when the
platform changes it. Chain links are read whole and then checked and stored together (a link's
parent may be on any page); their checkpoint moves only when all are stored."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import pandas as pd
from sqlalchemy import Table

from data_sources.adapters.sharing_mapping import RESOURCES
from data_sources.adapters.sharing_platform import SharingPlatformSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import SourceError, SourceMisconfigured
from data_sources.monitor import PARSE_REJECTIONS, SourceMonitor, utc_now
from data_sources.validation import Rejection
from services.case_import import load_checkpoint, save_checkpoint
from services.context import get_services
from services.import_audit import record_import
from services.sharing_checks import check_rows
from store.contract_upsert import upsert_rows
from store.engine import begin_write
from store.models import CONTRACT_TABLES

log = logging.getLogger(__name__)

AUDIT_ACTION = "enterprises.sync"
# checked and stored whole, not page by page: a link's parent and a circle of parents may lie on
# any page, and the links of a park are a few hundred at most
WHOLE = frozenset({"chains"})


@dataclass
class SyncReport:
    """What a sync stored: rows inserted and updated, rows rejected, and the rejections."""

    imported: int = 0
    updated: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"imported {self.imported}, updated {self.updated}, rejected {self.rejected}"

    def add(self, other: SyncReport) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.rejected += other.rejected
        self.rejections += other.rejections


@dataclass
class PlatformSyncResult:
    """One sync: the whole report, each contract's, pages stored, and the contracts that went on
    from an unfinished sync's checkpoint."""

    report: SyncReport = field(default_factory=SyncReport)
    contracts: dict[str, SyncReport] = field(default_factory=dict)
    pages: int = 0
    resumed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mark:
    """A contract's checkpoint: the update time the sync asks from; while a sync is unfinished,
    the position after its last stored page and the newest update time it has read."""

    since: datetime | None = None
    resume: int | None = None
    newest: datetime | None = None

    def text(self) -> str:
        return json.dumps(
            {"since": _iso(self.since), "resume": self.resume, "newest": _iso(self.newest)}, sort_keys=True
        )

    @classmethod
    def read(cls, text: str | None) -> Mark:
        """The mark saved as `text`; an empty one (read everything) when there is none or it
        cannot be read (reading all again loses nothing: rows are upserted)."""
        if not text:
            return cls()
        try:
            saved = json.loads(text)
            resume = saved.get("resume")
            return cls(
                _time(saved.get("since")),
                resume if isinstance(resume, int) else None,
                _time(saved.get("newest")),
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("sharing sync checkpoint %r cannot be read; reading everything again", text[:80])
            return cls()


def checkpoint_key(name: str, contract: str) -> str:
    return f"sharing:{name}:{contract}"


def syncable(name: str) -> SourceMonitor:
    """The monitor of configured source `name` if it is a sharing_platform source;
    SourceMisconfigured naming the ones that are otherwise."""
    monitors = get_services().sources.monitors
    monitor = monitors.get(name)
    if monitor is None or not isinstance(monitor.source, SharingPlatformSource):
        known = [n for n, m in monitors.items() if isinstance(m.source, SharingPlatformSource)]
        what = (
            "no configured source"
            if monitor is None
            else f"a {monitor.source.kind} source, not sharing_platform"
        )
        raise SourceMisconfigured(
            f"{name!r} is {what}; data-sharing platform sources: {', '.join(known) or 'none (config/sources.yaml)'}"
        )
    return monitor


def sync_platform(name: str, *, actor: str | None = None, restart: bool = False) -> PlatformSyncResult:
    """Store what changed at source `name` since its checkpoints, contract by contract and page
    by page (from the first page and without `since` with `restart`), and record the source's
    health and rejections (the Sources page shows them) and one audit row. Runs in an app
    context; blocks on the platform and the store. Raises SourceMisconfigured (not such a source,
    credentials refused), SourceUnavailable (the platform cannot be read now) or ContractError
    (a page that cannot be read at all): what was stored before stays, and the checkpoint keeps
    the last complete page."""
    monitor = syncable(name)
    source = monitor.source
    assert isinstance(source, SharingPlatformSource)
    result = PlatformSyncResult()
    who = (actor or f"sync:{name}")[:64]
    contract = ""
    try:
        for contract in (c for c in RESOURCES if c in source.contracts):
            part = SyncReport()
            result.contracts[contract] = part
            try:
                _sync_contract(source, name, contract, restart, result, part)
            finally:
                if part.imported or part.updated or part.rejected:
                    monitor.record_import(contract, part.imported + part.updated, part.rejections, None)
                result.report.add(part)
    except SourceError as exc:
        permanent = isinstance(exc, SourceMisconfigured)
        monitor.book.put(
            monitor.health.failed(utc_now(), contract, str(exc), monitor.down_after, permanent=permanent)
        )
        _audit(who, name, result.report, outcome="failed", error=type(exc).__name__)
        raise
    finally:
        source.close()
        _announce(result)
    for contract, part in result.contracts.items():
        if not (part.imported or part.updated or part.rejected):  # nothing new: read, and fine
            monitor.record_import(contract, 0, [], None)
    _audit(who, name, result.report)
    return result


def _sync_contract(
    source: SharingPlatformSource,
    name: str,
    contract: str,
    restart: bool,
    result: PlatformSyncResult,
    part: SyncReport,
) -> None:
    key = checkpoint_key(name, contract)
    mark = Mark() if restart else Mark.read(load_checkpoint(key))
    if mark.resume is not None:
        result.resumed.append(contract)
    if contract in WHOLE:
        newest = _sync_whole(source, name, contract, mark, result, part)
    else:
        newest = _sync_pages(source, name, contract, mark, result, part)
    save_checkpoint(key, Mark(newest or mark.since).text())


def _sync_pages(
    source: SharingPlatformSource,
    name: str,
    contract: str,
    mark: Mark,
    result: PlatformSyncResult,
    part: SyncReport,
) -> datetime | None:
    """Store page after page, saving the place after each; the newest update time read."""
    newest = mark.newest
    for page in source.pages(contract, mark.since, mark.resume):
        part.add(_store(page.frame, list(page.frame.attrs.pop(PARSE_REJECTIONS, [])), contract, name))
        result.pages += 1
        newest = _later(newest, page.newest)
        if page.next_position is not None:
            save_checkpoint(
                checkpoint_key(name, contract), Mark(mark.since, page.next_position, newest).text()
            )
    return newest


def _sync_whole(
    source: SharingPlatformSource,
    name: str,
    contract: str,
    mark: Mark,
    result: PlatformSyncResult,
    part: SyncReport,
) -> datetime | None:
    """Read every page, then check and store them together; the newest update time read."""
    newest = mark.newest
    frames: list[pd.DataFrame] = []
    unread: list[Rejection] = []
    for page in source.pages(contract, mark.since, mark.resume):
        unread += page.frame.attrs.pop(PARSE_REJECTIONS, [])
        frames.append(page.frame)
        newest = _later(newest, page.newest)
    result.pages += len(frames)
    if frames:
        part.add(_store(pd.concat(frames), unread, contract, name))
    return newest


def _later(known: datetime | None, found: datetime | None) -> datetime | None:
    return found if known is None or (found is not None and found > known) else known


def _store(frame: pd.DataFrame, unread: list[Rejection], contract: str, name: str) -> SyncReport:
    """Check rows of `contract` (those the mapping could read; `unread` the others) and upsert
    the good ones, only the fields the mapping gives, in one transaction."""
    engine = get_services().engine
    checked = check_rows(frame, contract, name, engine, utc_now().date())
    mapped = [c for c in checked.good.columns if c in frame.columns]
    with begin_write(engine) as connection:
        inserted, updated = upsert_rows(
            connection, cast(Table, CONTRACT_TABLES[contract]), checked.good[mapped], CONTRACTS[contract].key
        )
    rejections = unread + checked.rejections
    return SyncReport(inserted, updated, len({r.row for r in rejections}), rejections)


def _announce(result: PlatformSyncResult) -> None:
    """Panels read the new rows at their next refresh: the snapshots are out of date."""
    snapshots = get_services().snapshots
    for contract, part in result.contracts.items():
        if part.imported or part.updated:
            snapshots.expire(contract)


def _audit(
    actor: str, source: str, report: SyncReport, *, outcome: str = "ok", error: str | None = None
) -> None:
    record_import(AUDIT_ACTION, actor, source, report, outcome=outcome, error=error)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None
