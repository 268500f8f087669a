"""Scoped reads of single records (cases) for the JSON API, the Open311 endpoints and exports.

The scope is a required argument and a condition of every query, so no caller can forget it;
a case outside the scope reads as missing, so that its existence does not leak. Every read is
a query run in the store (DESIGN: no serving process holds a whole large contract): a page of
cases is a count and the page's rows, newest report first; one case is one row by its id; an
export is read in chunks (CaseExport), so a download of every case neither holds the table
nor is cut short."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, CursorResult, DateTime, Engine, String, func, or_, select, type_coerce
from sqlalchemy.sql import ColumnElement, false

from data_sources.contracts import CASES as CASES_CONTRACT
from data_sources.validation import conform
from security.scope import Scope
from services.case_query import CaseFilter, conditions, ordering
from services.context import get_services
from services.data import large_window, snapshot
from store.models import Case
from store.types import UtcDateTime

# Rows per chunk of an export: a chunk of cases is a few MB of frame and CSV text, and the
# export's memory stays that whatever the store holds (measured in the notes).
EXPORT_CHUNK_ROWS = 5_000
CASE_TABLE = Case.__table__
# newest report first, ties by the store's key: the Cases grid's default order, which every
# index serves (ordering by id after the time sorted what the index had read in order)
NEWEST_FIRST = ordering(None)
# case_query.conditions reads a filter's park-local days in a zone; records' filters hold none
NO_DAYS = ZoneInfo("UTC")


def _many(value: str | Collection[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _where(
    scope: Scope,
    *,
    status: str | Collection[str] | None = None,
    domain: str | Collection[str] | None = None,
    case_type: str | Collection[str] | None = None,
    ids: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page_filter: CaseFilter | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions of a read of cases: the scope (a condition of every query, so no caller
    can forget it), the filters given (an empty list of values matches nothing, as `IN ()`
    reads) and the Cases page's `page_filter` (its lists, empty meaning any, and overdue;
    never its days: records' bounds are instants, since and until), built by case_query.conditions, so that the API's reads give SQLite the
    Cases grid's hints (an open status is rare: store/planner_hints)."""
    given = {"status": status, "domain": domain, "case_type": case_type}
    f = replace(
        page_filter or CaseFilter(), **{n: tuple(_many(v)) for n, v in given.items() if v is not None}
    )
    where = conditions(f, scope, NO_DAYS)
    if any(v is not None and not _many(v) for v in given.values()):
        where.append(false())
    c = CASE_TABLE.c
    if ids is not None:
        where.append(c.id.in_(list(ids)))
    if since is not None:
        where.append(c.reported_at >= since)
    if until is not None:
        where.append(c.reported_at < until)
    return where


def _raw_columns(dialect: str) -> list[ColumnElement[Any]]:
    """The contract's columns, times selected raw and parsed per frame in one vectorised pass
    (conform): the per-value TypeDecorator costs seconds per 100,000 rows
    (data_sources/adapters/sql_store.py)."""
    raw_time = String() if dialect == "sqlite" else DateTime(timezone=True)
    return [
        type_coerce(CASE_TABLE.c[n], raw_time)
        if isinstance(CASE_TABLE.c[n].type, UtcDateTime)
        else CASE_TABLE.c[n]
        for n in CASES_CONTRACT.columns
    ]


def _frame(rows: Collection[Any]) -> pd.DataFrame:
    """Rows of _raw_columns as a frame with the snapshot's dtypes (and cells)."""
    names = CASES_CONTRACT.columns
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame({n: pd.Series(v, dtype=object) for n, v in zip(names, by_column, strict=True)})
    return conform(frame, CASES_CONTRACT)


def _serves_cases() -> bool:
    """Whether a source serves cases: a park may have none (no case system), which reads as no
    cases rather than as an error, as the snapshots did."""
    return get_services().sources.source_of("cases") is not None


def cases(
    scope: Scope,
    *,
    status: str | Collection[str] | None = None,
    domain: str | None = None,
    case_type: str | Collection[str] | None = None,
    ids: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of the cases within `scope` that match every filter given (status and
    case_type: one value or several; since/until: timezone-aware bounds on reported_at,
    until excluded), newest report first and then by the store's key (so pages never overlap;
    case_query.ordering), and how many match in all. Two queries in the store (the count and the page), never the whole table.
    Raises SQLAlchemyError when the store cannot be read."""
    if not _serves_cases():
        return _frame([]), 0
    where = _where(
        scope, status=status, domain=domain, case_type=case_type, ids=ids, since=since, until=until
    )
    with get_services().engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(CASE_TABLE).where(*where)).scalar_one()
        query = (
            select(*_raw_columns(connection.dialect.name))
            .where(*where)
            .order_by(*NEWEST_FIRST)
            .limit(limit)
            .offset(offset)
        )
        rows = connection.execute(query).all()
    return _frame(rows), int(total)


class CaseExport:
    """The cases of an export, read from the store in chunks of `chunk_rows` by one query
    inside one read transaction: `rows` (counted in that transaction before the first chunk)
    is exactly what iterating yields, whatever is written meanwhile. Iterate once; the
    connection is released when the chunks run out or on close() (which a WSGI server calls
    when a download ends early). Not thread-safe: one download, one reader.

    The transaction stays open while the client downloads: on SQLite (WAL) it only delays
    checkpoints, on PostgreSQL it holds back vacuum for the download's minutes; both are
    cheaper than a download whose count and rows disagree."""

    def __init__(self, connection: Connection, rows: int, result: CursorResult, chunk_rows: int) -> None:
        self.rows = rows
        self._connection = connection
        self._result = result
        self._chunk_rows = chunk_rows
        self._closed = False

    def __iter__(self) -> Iterator[pd.DataFrame]:
        try:
            for rows in self._result.partitions(self._chunk_rows):
                yield _frame(rows)
        finally:
            self.close()

    def close(self) -> None:
        """End the read transaction and release the connection. Idempotent; never raises
        for a connection already gone."""
        if self._closed:
            return
        self._closed = True
        try:
            self._result.close()
            _end_read(self._connection)
        finally:
            self._connection.close()


def export_cases(
    scope: Scope,
    *,
    status: str | Collection[str] | None = None,
    domain: str | Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    departments: Collection[str] | None = None,
    channel: Collection[str] | None = None,
    case_type: Collection[str] | None = None,
    grid_cell: Collection[str] | None = None,
    overdue: bool = False,
    chunk_rows: int | None = None,
    engine: Engine | None = None,
) -> CaseExport:
    """Every case within `scope` matching the filters (as `cases` reads them, and the Cases
    page's channel, case type, grid cell and overdue), newest report
    first, as a CaseExport over the store (`engine`, default the app's) in chunks of
    `chunk_rows` (default EXPORT_CHUNK_ROWS). No cap. Blocks for the count; raises
    SQLAlchemyError when the store cannot be read."""
    engine = engine or get_services().engine
    chunk_rows = chunk_rows or EXPORT_CHUNK_ROWS
    table = CASE_TABLE
    # the Cases page's filters, so its export holds the rows it shows; departments within the
    # scope, which stays a condition of its own
    page_filter = CaseFilter(
        department=tuple(departments or ()),
        channel=tuple(channel or ()),
        case_type=tuple(case_type or ()),
        grid_cell=tuple(grid_cell or ()),
        overdue=overdue,
    )
    where = _where(scope, status=status, domain=domain, since=since, until=until, page_filter=page_filter)
    connection = engine.connect()
    try:
        _begin_read(connection)
        rows = connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        columns = _raw_columns(connection.dialect.name)
        query = select(*columns).where(*where).order_by(*NEWEST_FIRST)
        # a server-side cursor on PostgreSQL; SQLite's cursor steps through the rows as fetched
        result = connection.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
    except BaseException:
        connection.close()
        raise
    return CaseExport(connection, rows, result, chunk_rows)


def _begin_read(connection: Connection) -> None:
    """Start a transaction in which the count and the rows see one state of the store.
    pysqlite never begins one before a write, so on SQLite it is begun by hand (as
    store.engine.begin_write does for writes); elsewhere REPEATABLE READ."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        connection.info["legacy_isolation"] = driver.isolation_level
        driver.isolation_level = None
        connection.exec_driver_sql("BEGIN")
    else:
        connection.execution_options(isolation_level="REPEATABLE READ")
        connection.begin()


def _end_read(connection: Connection) -> None:
    if connection.closed:
        return
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None:
            driver.rollback()  # reads only: nothing to keep
            driver.isolation_level = connection.info.pop("legacy_isolation", "")
    else:
        connection.rollback()


def case(scope: Scope, case_id: str) -> dict[str, Any] | None:
    """The case `case_id` as a record (see records_of), or None when there is none within
    `scope`: one row read by its id in the store."""
    if not _serves_cases():
        return None
    with get_services().engine.connect() as connection:
        query = select(*_raw_columns(connection.dialect.name)).where(*_where(scope, ids=[case_id]))
        rows = connection.execute(query.order_by(CASE_TABLE.c.pk).limit(1)).all()
    found = records_of(_frame(rows))
    return found[0] if found else None


def outside_scope(scope: Scope, case_ids: Collection[str]) -> list[str]:
    """Those of `case_ids` that exist but lie outside `scope`, to audit a probe of another
    department's cases. Never to answer with: the caller still answers as if they were missing.
    A case without a department lies outside every department (as services.scoping has it)."""
    if scope.whole_park or not case_ids or not _serves_cases():
        return []
    c = CASE_TABLE.c
    inside = c.department == scope.department
    query = select(c.id).where(c.id.in_(list(case_ids)), or_(c.department.is_(None), ~inside))
    with get_services().engine.connect() as connection:
        found = connection.execute(query.order_by(c.pk)).scalars().all()
    return list(dict.fromkeys(found))


def freshness() -> tuple[datetime | None, bool]:
    """When the cases were read and whether their source is down. Pages of cases are read from
    the store when asked, so they were read now; whether the source is down is what its monitor
    last saw (the recent window the header reads, services.data.large_window: never every
    case); no time without a cases source."""
    if not _serves_cases():
        return None, False
    return datetime.now(UTC), snapshot("cases", large_window("cases")).stale


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values: None for a missing value (NaN, NaT, pd.NA), datetimes as
    aware pandas Timestamps."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
