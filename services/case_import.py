"""The one import service for cases from other systems (Open311, a hotline's or grid system's
CSV export, a vendor's SQL tables): check a batch, keep every good row, say why each bad one is
rejected, and upsert the good ones into the store (new ids inserted, known ids updated, never
duplicated).

Callers turn their source into a frame of the `cases` contract (data_sources/contracts.py;
times timezone-aware or ISO 8601 text with an offset) and call `import_cases`; they name each row
for messages (`positions`: "line 12", "request 3"). A row is rejected when:
  - it fails the contract (data_sources.validation.validate: a reason per field),
  - its case id repeats an earlier row of the batch (that row's position is named),
  - its case type is not in the catalogue (config/case_types.yaml), or its domain is not its
    type's (a missing domain is taken from the type),
  - its department or grid cell is not one the store knows (checked when the store has any).
Good rows are written CHUNK_ROWS at a time, each chunk in one transaction: a case is either
imported whole or not at all. A new case gets an `imported` event (so its timeline begins
there), and a known case whose status the source changed gets one naming both statuses. Each
run leaves one `case.import` audit row with its source and counts.

Checkpoints (`load_checkpoint`/`save_checkpoint`) keep how far a source has read, so an import
resumes after a restart and a poll asks only for what changed.

Runs inside an app context (it uses the app's store and caches). Not for concurrent runs of one
source: two at once both succeed, but may each count and record the same new case."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import select

from data_sources.contracts import CASES
from data_sources.validation import validate
from services.cache import cache
from services.case_types import domain_of, limits_of, type_ids
from services.context import get_services
from services.import_audit import record_import
from services.reference import department_ids
from store.bulk import append_frame, make_room_for_bulk_writes
from store.case_upsert import existing_statuses, upsert_cases
from store.checkpoints import read_checkpoint, write_checkpoint
from store.engine import begin_write
from store.models import CaseEvent, GridCell

log = logging.getLogger(__name__)

# rows per transaction: a failure loses at most one chunk's work, never half a case; fewer
# commits mean fewer WAL checkpoints on SQLite
CHUNK_ROWS = 20_000
EVENT_ACTION = "imported"
AUDIT_ACTION = "case.import"
# The time column a status stamps (domain/case_lifecycle.py's RULES): the status's start.
STATUS_STAMP = {
    "reported": "reported_at",
    "accepted": "accepted_at",
    "dispatched": "dispatched_at",
    "in_progress": "dispatched_at",
    "handled": "handled_at",
    "verified": "verified_at",
    "closed": "closed_at",
}
TIME_COLUMNS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
ALWAYS_WRITTEN = ("id", "domain", "sla_deadline")  # derived when the source has no such column


@dataclass(frozen=True)
class RowRejection:
    """One row that was not imported: where it was (as the caller named it), its case id when
    it had one, and every reason, joined by "; "."""

    position: str
    case_id: str | None
    reason: str

    @property
    def message(self) -> str:
        return f"{self.position}" + (f" ({self.case_id})" if self.case_id else "") + f": {self.reason}"


@dataclass
class ImportReport:
    """What one run did: cases new to the store, cases it held and brought up to date, rows
    rejected (each with its reasons, in the batch's order)."""

    imported: int = 0
    updated: int = 0
    rejected: int = 0
    rejections: list[RowRejection] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"imported {self.imported}, updated {self.updated}, rejected {self.rejected}"


def import_cases(
    frame: pd.DataFrame,
    *,
    source: str,
    positions: Sequence[str] | None = None,
    actor: str | None = None,
    unread: Sequence[RowRejection] = (),
) -> ImportReport:
    """Check `frame` (columns of the cases contract) and upsert its good rows; the report.

    `positions[i]` names row i in messages (default "row i+1"); `source` names the import in the
    events, the audit row and the rejections; `actor` is who ran it (default "import:<source>").
    `unread` are rows the caller could not even read into the frame (a malformed request): they
    are counted and reported (first) with the others, and so in the audit row. Never raises for
    bad rows. Raises ValueError when `positions` does not match the frame, and
    the store's error when a write fails (chunks written before it stay; the audit row says
    failed, with the counts so far)."""
    frame = frame.reset_index(drop=True)
    names = [f"row {i + 1}" for i in range(len(frame))] if positions is None else list(positions)
    if len(names) != len(frame):
        raise ValueError(f"{len(names)} positions for {len(frame)} rows")
    who = (actor or f"import:{source}")[:64]
    reasons: dict[int, list[str]] = {}
    ids = _ids(frame)
    repeated = ids.notna() & ids.duplicated(keep="first")
    if repeated.any():
        first = pd.Series(np.arange(len(frame)), index=frame.index)[~repeated].groupby(ids[~repeated]).first()
        for i in np.flatnonzero(repeated.to_numpy()):
            reasons[i] = [f"id: case id {ids.iat[i]!r} repeats {names[int(first[ids.iat[i]])]}"]
    types = _texts(frame, "case_type")
    unknown_type = types.notna() & ~types.isin(type_ids())
    for i in np.flatnonzero(unknown_type.to_numpy() & ~repeated.to_numpy()):
        reasons[i] = [
            f"case_type: {types.iat[i]!r} is not a case type of the catalogue (config/case_types.yaml)"
        ]
    # an unknown type has no domain to lend: its row is rejected for the type, not the domain too
    no_domain = unknown_type & _texts(frame, "domain").isna()
    checked = _with_type_domain(frame[~repeated])
    result = validate(checked, CASES, source)
    for rejection in result.rejections:
        if rejection.field == "domain" and no_domain.iat[rejection.row]:
            continue
        reasons.setdefault(rejection.row, []).append(
            f"{rejection.field}: {rejection.reason} (value {rejection.value})"
        )
    failed_checks = {r.row for r in result.rejections}
    good = result.good
    good.index = pd.Index([i for i in checked.index if i not in failed_checks], dtype="int64")
    for i, reason in _reference_problems(good).items():
        reasons.setdefault(i, []).append(reason)
    good = good[~good.index.isin(reasons.keys())]
    report = ImportReport(rejected=len(unread) + len(reasons))
    report.rejections = [*unread] + [
        RowRejection(names[i], None if pd.isna(ids.iat[i]) else str(ids.iat[i]), "; ".join(reasons[i]))
        for i in sorted(reasons)
    ]
    carried = [c for c in CASES.columns if c in frame.columns or c in ALWAYS_WRITTEN]
    rows = _with_loop_columns(good)[[*carried, "status_at", "version"]]
    # in time order, most of the cases' indexes (by time within a department, channel or
    # domain) take new rows at the ends of their ranges instead of all over the tree
    rows = rows.sort_values("reported_at", kind="stable")
    try:
        for start in range(0, len(rows), CHUNK_ROWS):
            new, known = _write_chunk(rows.iloc[start : start + CHUNK_ROWS], source, who)
            report.imported += new
            report.updated += known
    except Exception as exc:
        _audit(who, source, report, outcome="failed", error=type(exc).__name__)
        raise
    finally:
        if report.imported or report.updated:
            _announce_new_cases()
    _audit(who, source, report)
    log.info("import from %s: %s", source, report.summary)
    return report


def load_checkpoint(source: str) -> str | None:
    """The cursor saved for `source`, or None when it has none (start from the beginning)."""
    with get_services().engine.connect() as connection:
        found = read_checkpoint(connection, source)
    return found[0] if found else None


def save_checkpoint(source: str, cursor: str) -> None:
    """Save `source`'s cursor (replacing the one before), committed at once."""
    with begin_write(get_services().engine) as connection:
        write_checkpoint(connection, source, cursor, datetime.now(UTC))


def _texts(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column `name` as the store compares it (stripped text), NA where missing or absent."""
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[name].astype("string").str.strip().replace("", pd.NA)


def _ids(frame: pd.DataFrame) -> pd.Series:
    return _texts(frame, "id")


def _with_type_domain(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a missing domain taken from its case type in the catalogue."""
    catalogue = _texts(frame, "case_type").map(lambda t: domain_of(t) if isinstance(t, str) else None)
    return frame.assign(domain=_texts(frame, "domain").fillna(catalogue.astype("string")))


def _reference_problems(good: pd.DataFrame) -> dict[int, str]:
    """Rows (by index) whose case type, domain, department or grid cell the park does not know."""
    problems: dict[int, list[str]] = {}

    def flag(mask: pd.Series, describe) -> None:
        for i in good.index[mask.to_numpy(dtype=bool, na_value=False)]:
            problems.setdefault(int(i), []).append(describe(good.loc[i]))

    unknown_type = ~good["case_type"].isin(type_ids())  # rejected already, for that
    catalogue_domain = good["case_type"].map(lambda t: domain_of(t))
    flag(
        ~unknown_type & (good["domain"] != catalogue_domain),
        lambda r: (
            f"domain: {r['domain']!r}, but case type {r['case_type']!r} is of {domain_of(r['case_type'])!r}"
        ),
    )
    departments = department_ids()
    if departments:
        flag(
            good["department"].notna() & ~good["department"].isin(departments),
            lambda r: f"department: {r['department']!r} is not a department of the park",
        )
    cells = _grid_cell_ids()
    if cells:
        flag(
            good["grid_cell"].notna() & ~good["grid_cell"].isin(cells),
            lambda r: f"grid_cell: {r['grid_cell']!r} is not a grid cell of the park",
        )
    return {i: "; ".join(reasons) for i, reasons in problems.items()}


def _grid_cell_ids() -> frozenset[str]:
    cached = cache.get("grid_cell_ids")
    if cached is None:
        with get_services().engine.connect() as connection:
            cached = frozenset(connection.execute(select(GridCell.id)).scalars())
        cache.set("grid_cell_ids", cached, timeout=300)
    return cached


def _with_loop_columns(good: pd.DataFrame) -> pd.DataFrame:
    """The loop's bookkeeping of each row: the deadline from the catalogue where the source
    gave none, when the current status began (its own stamp, else the latest time given),
    and the first version."""
    out = good.copy()
    totals = out["case_type"].map(lambda t: limits.total if (limits := limits_of(t)) else pd.NaT)
    computed = out["reported_at"] + pd.to_timedelta(totals)
    out["sla_deadline"] = out["sla_deadline"].fillna(computed)
    latest = out[list(TIME_COLUMNS)].max(axis=1)
    status_at = pd.Series(pd.NaT, index=out.index, dtype=out["reported_at"].dtype)
    for status, stamp in STATUS_STAMP.items():
        mine = out["status"] == status
        status_at = status_at.where(~mine, out[stamp])
    out["status_at"] = status_at.fillna(latest)
    out["version"] = 1
    return out


def _write_chunk(rows: pd.DataFrame, source: str, actor: str) -> tuple[int, int]:
    """Upsert one chunk and its events in one transaction; (new cases, known cases)."""
    with begin_write(get_services().engine) as connection:
        make_room_for_bulk_writes(connection)
        before = existing_statuses(connection, rows["id"].tolist())
        upsert_cases(connection, rows)
        was = rows["id"].map(before)
        new = was.isna()
        moved = ~new & (was != rows["status"])
        happened = rows[new | moved]
        events = pd.DataFrame(
            {
                "case_id": happened["id"],
                "action": EVENT_ACTION,
                "actor": actor,
                "at": datetime.now(UTC),
                "note": source,
                "from_status": was[new | moved],
                "to_status": happened["status"],
            }
        )
        append_frame(connection, CaseEvent.__table__, events)
    return int(new.sum()), int((~new).sum())


def _audit(
    actor: str, source: str, report: ImportReport, *, outcome: str = "ok", error: str | None = None
) -> None:
    record_import(AUDIT_ACTION, actor, source, report, outcome=outcome, error=error)


def _announce_new_cases() -> None:
    """Pages read the new cases at their next refresh: the snapshots of cases and their
    events are out of date (served until re-read in the background), and so is the list of
    grid cells cases are reported in."""
    services = get_services()
    services.snapshots.expire("cases")
    services.snapshots.expire("case_events")
    cache.delete("grid_cells")
