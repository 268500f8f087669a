"""The Cases page's grid as queries that run in the store: a filter (channel, domain, case type,
grid cell, department, status, overdue, reported between two times) and a sort compile to
SQLAlchemy Core, and a page of rows and the count are read for the rows the grid shows, never
the whole table (DESIGN: no serving process holds a whole large contract; 1,000,000 cases
scroll by blocks of 100). The scope is a required argument and a condition of every query.

The filter's values come from a URL: `CaseFilter.parse` keeps only what is known (a status of
the loop, a department, a channel, a case type of the catalogue, a bounded text) and says what
it dropped, so a tampered link reads a narrower view and a message, never an error."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql import ColumnElement, operators

from domain.case_lifecycle import FINISHED, Status
from security.scope import Scope
from store.models import Case
from store.planner_hints import rare, unindexed

TABLE = Case.__table__
# What the grid shows of a case (the detail panel reads the rest).
GRID_COLUMNS = ("id", "status", "channel", "domain", "case_type", "department", "grid_cell", "reported_at",
                "sla_deadline", "address", "address_en")  # fmt: skip
SORTABLE = frozenset({"id", "status", "channel", "domain", "case_type", "department", "grid_cell",
                      "reported_at", "sla_deadline"})  # fmt: skip
MAX_PAGE = 500  # rows per request: the grid asks for blocks of 100
LIST_FIELDS = ("channel", "domain", "case_type", "grid_cell", "department", "status")
OPEN_STATUSES = tuple(s.value for s in Status if s not in FINISHED)
# sort columns with an index of their own and one per department (migrations 0004, 0009)
WALKABLE = frozenset({"reported_at", "sla_deadline"})
SURE = 4  # the planner is told only when one way reads a quarter of what the other would


@dataclass(frozen=True)
class CaseFilter:
    """Which cases the grid shows. Empty tuples mean "any"; `since`/`until` are park-local
    days, until included."""

    channel: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    case_type: tuple[str, ...] = ()
    grid_cell: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    overdue: bool = False
    since: date | None = None
    until: date | None = None
    dropped: tuple[str, ...] = field(default=(), compare=False)  # what parse() refused, for a message

    @classmethod
    def parse(
        cls, query: Mapping[str, Any], known: Mapping[str, Callable[[], Collection[str]]]
    ) -> CaseFilter:
        """A filter from URL query values (each a string, a comma-separated string or a list).
        `known` gives, per list field, the values it may hold; others are dropped and named."""
        dropped: list[str] = []
        values: dict[str, Any] = {}
        for name in LIST_FIELDS:
            raw = query.get(name)
            items = raw if isinstance(raw, list) else str(raw or "").split(",")
            allowed = known[name]() if name in known else None
            kept = []
            for item in items:
                text = str(item).strip()[:64]
                if not text:
                    continue
                if allowed is not None and text not in allowed:
                    dropped.append(f"{name}={text}")
                elif text not in kept:
                    kept.append(text)
            values[name] = tuple(kept)
        values["overdue"] = str(query.get("overdue", "")).lower() in ("1", "true", "yes")
        for name in ("since", "until"):
            raw = str(query.get(name) or "").strip()
            if not raw:
                continue
            try:
                values[name] = date.fromisoformat(raw[:10])
            except ValueError:
                dropped.append(f"{name}={raw[:20]}")
        return cls(**values, dropped=tuple(dropped))

    def query(self) -> dict[str, str]:
        """The filter as URL query values (what parse reads back)."""
        out = {name: ",".join(getattr(self, name)) for name in LIST_FIELDS if getattr(self, name)}
        if self.overdue:
            out["overdue"] = "1"
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        return out

    def within(self, scope: Scope) -> CaseFilter:
        """The filter as `scope` may read it: a department-scoped reader's department filter
        is their department (naming another one reads nothing of it: the scope condition)."""
        if scope.whole_park:
            return self
        return replace(self, department=tuple(d for d in self.department if d == scope.department))


def conditions(
    f: CaseFilter,
    scope: Scope,
    zone: ZoneInfo,
    now: datetime | None = None,
    *,
    walk: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of `f` within `scope`; days are the park's (`zone`). With `walk` (a
    column with an index of its own: the sort's) every other condition but one department is
    kept from choosing an index, so that SQLite reads that index in order (_walked, _plan)."""
    c = TABLE.c

    def column(name: str) -> ColumnElement[Any]:
        return c[name] if walk is None or name == walk else unindexed(c[name])

    where: list[ColumnElement[bool]] = []
    if not scope.whole_park:
        where.append(c.department == scope.department)
    for name in LIST_FIELDS:
        values = getattr(f, name)
        if not values:
            continue
        if name == "department" and len(values) == 1:
            where.append(c.department == values[0])  # (department, sort) indexes serve it
        elif name == "status" and set(values) <= set(OPEN_STATUSES):
            # few cases are open once a park has a history: SQLite cannot know it (planner_hints)
            where.append(rare(column(name).in_(values)))
        else:
            where.append(column(name).in_(values))
    if f.overdue:
        where.append(rare(column("status").in_(OPEN_STATUSES)))
        where.append(column("sla_deadline") < (now or datetime.now(UTC)))
    if f.since is not None:
        where.append(column("reported_at") >= datetime.combine(f.since, time(), zone))
    if f.until is not None:
        where.append(column("reported_at") < datetime.combine(f.until + timedelta(days=1), time(), zone))
    return where


def _sort_columns(sort: Any) -> list[tuple[str, bool]]:
    """ag-grid's sort model ([{colId, sort}], from the browser: anything) as up to three
    (column, ascending) pairs: only entries naming a sortable column by a string, sorted "asc"
    or "desc"; everything else is dropped, so a tampered model reads a narrower sort."""
    if not isinstance(sort, list):
        return []
    columns = []
    for item in sort[:3]:
        if not isinstance(item, Mapping):
            continue
        name, direction = item.get("colId"), item.get("sort")
        if isinstance(name, str) and name in SORTABLE and direction in ("asc", "desc"):
            columns.append((name, direction == "asc"))
    return columns


def ordering(columns: list[tuple[str, bool]] | None, *, sorted_after: bool = False) -> list:
    """ORDER BY the (column, ascending) pairs of _sort_columns; newest report first by default.
    The store's key breaks ties, in the last column's direction: every index ends with it on
    SQLite, so an index read in order needs no sort after (32 ms → 0.5 ms for a department's
    cases by deadline at 1,000,000), and pages never overlap. `sorted_after`: the columns are
    kept from choosing an index, so that SQLite reads the filter's index and sorts (_walked, _plan)."""
    order = []
    for name, ascending in columns or [("reported_at", False)]:
        column = unindexed(TABLE.c[name]) if sorted_after else TABLE.c[name]
        order.append(column.asc() if ascending else column.desc())
    last = order[-1].modifier is operators.asc_op
    return [*order, TABLE.c.pk.asc() if last else TABLE.c.pk.desc()]


def _walked(columns: list[tuple[str, bool]]) -> str | None:
    """The column of a one-column sort (pairs of _sort_columns) that has an index of its own
    (and one per department)."""
    names = [name for name, _ in columns]
    column = names[0] if len(names) == 1 else ("reported_at" if not names else None)
    return column if column in WALKABLE else None


def _plan(connection: Connection, f: CaseFilter, walk: str | None, matching: int, wanted: int,
          department: str | None) -> str | None:  # fmt: skip
    """How SQLite is told to read a block whose sort column `walk` has its own index: "walk"
    that index in order (when many rows match), "sort" the matches read through the filter's
    index (when few do), or None to leave it to the planner (other engines, whose planners know
    their data, and the middle ground). In order, about wanted × rows / matching index entries
    are read if the matches spread evenly; sorting reads `matching` rows. SQLite's averages cannot
    tell: a department's last 30 days by deadline, it walked the department's 262,306 cases by
    deadline for 7,000 of them (330-520 ms; read and sorted, 60 ms)."""
    if walk is None:
        return None
    if walk != "reported_at" and (f.since is not None or f.until is not None):
        # a report-time range is uneven over other orders (the last 30 days' cases are the last by
        # deadline), which PostgreSQL's statistics cannot see either (the same query: 530-850 ms
        # walking the deadline index, 45 ms read by report time and sorted)
        return "sort"
    if connection.dialect.name != "sqlite":
        return None
    if department is None:
        rows = connection.execute(select(func.max(TABLE.c.pk))).scalar_one() or 0  # ≥ the count, at once
    elif _department_only(f, department):
        rows = matching  # the count just read is the department's
    else:
        where = TABLE.c.department == department
        rows = connection.execute(select(func.count()).select_from(TABLE).where(where)).scalar_one()
    if SURE * wanted * rows < matching * matching:
        return "walk"
    if SURE * matching * matching < wanted * rows:
        return "sort"
    return None


def _department_only(f: CaseFilter, department: str) -> bool:
    """Whether `f` (within the scope) asks for no more than the cases of `department`."""
    others = any(getattr(f, n) for n in LIST_FIELDS if n != "department")
    return not (others or f.overdue or f.since or f.until) and set(f.department) <= {department}


def case_page(
    engine: Engine,
    f: CaseFilter,
    scope: Scope,
    zone: ZoneInfo,
    *,
    start: int,
    end: int,
    sort: list[Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Rows `start` to `end` (excluded, at most MAX_PAGE) of the cases matching `f` within
    `scope` in the grid's order (`sort`: ag-grid's sort model, whatever the browser sent:
    what is not a known column sorted asc or desc is dropped), and how many match in all."""
    start = max(int(start), 0)
    end = min(max(int(end), start), start + MAX_PAGE)
    f = f.within(scope)
    where = conditions(f, scope, zone, now)
    sorting = _sort_columns(sort)
    columns = [TABLE.c[n] for n in GRID_COLUMNS]
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(TABLE).where(*where)).scalar_one()
        walk = _walked(sorting)
        one = (
            scope.department
            if not scope.whole_park
            else (f.department[0] if len(f.department) == 1 else None)
        )
        plan = _plan(connection, f, walk, total, end, one) if where else None
        if plan == "walk":
            where = conditions(f, scope, zone, now, walk=walk)
        query = select(*columns).where(*where).order_by(*ordering(sorting, sorted_after=plan == "sort"))
        rows = connection.execute(query.offset(start).limit(end - start))
        return [dict(r._mapping) for r in rows], int(total)
