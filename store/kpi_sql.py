"""KPIs as queries that run in the store: a spec of the catalogue (domain/kpis.py) compiled to
SQLAlchemy Core for SQLite and PostgreSQL, so no serving process reads a large contract to
compute a figure (issue 11: the 1,000,000-case frame took 14.7 s and 895 MiB per process; the
same counts in SQL take tens of milliseconds). The answers equal domain/kpi_frames.py's on the
same rows (tests/unit/test_kpi_sql.py), rule for rule: half-open windows, NULL in no list,
comparisons with NULL false, inverted-CDF percentiles.

`Ask` is one question: a spec, the range [start, end) (or the spec's own window), the scope
(a condition of every query: a contract with no rule fails closed) and drill-down filters. One
aggregate query answers the value, the value per group of a field (`breakdown`) or per time
bucket (`series`: a CASE over the buckets' edges, exact in any time zone)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.sql.expression import ColumnElement

from domain.alert_lifecycle import OPEN as ALERT_OPEN
from domain.alert_lifecycle import State as AlertState
from domain.case_lifecycle import OPEN as CASE_OPEN
from domain.case_lifecycle import Status
from domain.kpis import NOW, KpiSpec, periods_in
from security.scope import Scope
from store.case_derived import Hours, comparison_column, hours_column
from store.models import CONTRACT_TABLES, Sensor
from store.planner_hints import rare
from store.types import UtcDateTime

CASES = CONTRACT_TABLES["cases"]
# contract → how its rows belong to a department (services/scoping.py says the same for frames)
OWN_DEPARTMENT = frozenset({"cases", "alerts", "sensors"})
VIA = {"readings": ("sensor_id", Sensor.__table__), "case_events": ("case_id", CASES)}
PARK_WIDE = frozenset({"enterprises", "enterprise_figures", "chains", "features"})
QUANTUM = 10_000  # a percentile's q in ten-thousandths: its rank in integer arithmetic
RANKED_APART = 32  # a percentile over up to this many groups: a query per group (_percentiles)
# (table, column) of a lifecycle → (every state, the unfinished ones)
STATES = {
    ("cases", "status"): (frozenset(Status), frozenset(CASE_OPEN)),
    ("alerts", "state"): (frozenset(AlertState), frozenset(ALERT_OPEN)),
}


@dataclass(frozen=True)
class Ask:
    spec: KpiSpec
    scope: Scope
    now: datetime
    start: datetime | None = None  # with end: the range; None: the spec's own window
    end: datetime | None = None
    filters: Mapping[str, str] = field(default_factory=dict)

    def bounds(self, zone: Any) -> tuple[datetime | None, datetime | None]:
        if self.spec.window is None:
            return None, None
        if self.start is None or self.end is None:
            return self.spec.window.bounds(self.now, zone)
        return self.start, self.end


def scope_condition(contract: str, scope: Scope) -> list[ColumnElement[bool]]:
    """The condition that keeps `contract`'s rows within `scope`. ValueError for a contract no
    rule covers, whatever the scope, so a new contract cannot reach a department unfiltered."""
    if contract in PARK_WIDE:
        return []
    if contract not in OWN_DEPARTMENT and contract not in VIA:
        raise ValueError(f"contract {contract!r} has no department scoping rule (store/kpi_sql.py)")
    table = CONTRACT_TABLES[contract]
    if contract in OWN_DEPARTMENT:
        return [] if scope.whole_park else [table.c.department == scope.department]
    if scope.whole_park:
        return []
    column, parent = VIA[contract]
    return [table.c[column].in_(select(parent.c.id).where(parent.c.department == scope.department))]


def _listed(table: Any, name: str, values: Any) -> ColumnElement[bool]:
    """`name IN values`, said to be rare when the values are all unfinished states of the loop
    (open cases, open alerts: few once a park has a history; store/planner_hints.py)."""
    condition = table.c[name].in_(list(values))
    states = STATES.get((table.name, name))
    return rare(condition) if states is not None and set(values) <= states[1] else condition


def _compared(table: Any, a: str, b: str, flag: int) -> ColumnElement[bool]:
    """`a <= b` (flag 1) or `a > b` (flag 0); from the stored comparison when the store keeps
    one (store/case_derived.py: NULL when either is missing, as the comparison is)."""
    stored = comparison_column(a, b)
    if stored is not None and stored in table.c:
        return table.c[stored] == flag
    return table.c[a] <= table.c[b] if flag else table.c[a] > table.c[b]


def _conditions(table: Any, conditions: Mapping[str, Mapping[str, Any]], now: datetime) -> list:
    where: list[ColumnElement[bool]] = []
    for name, condition in conditions.items():
        column = table.c[name]
        states = STATES.get((table.name, name))
        if "in" in condition:
            where.append(_listed(table, name, condition["in"]))
        if "not_in" in condition and states is not None:
            # a lifecycle column holds only its states and never NULL: "not closed or rejected"
            # is "one of the open states", which an index can find (a NOT IN reads every row)
            where.append(_listed(table, name, sorted(states[0] - set(condition["not_in"]))))
        elif "not_in" in condition:
            where.append(or_(column.not_in(list(condition["not_in"])), column.is_(None)))
        if "le_field" in condition:
            where.append(_compared(table, name, condition["le_field"], 1))
        if "gt_field" in condition:
            where.append(_compared(table, name, condition["gt_field"], 0))
        if condition.get("before_now"):
            where.append(column < now)
        if "is_null" in condition:
            where.append(column.is_(None) if condition["is_null"] else column.is_not(None))
    return where


def _window(ask: Ask, zone: Any) -> list[ColumnElement[bool]]:
    spec = ask.spec
    start, end = ask.bounds(zone)
    if spec.window is None or start is None or end is None:
        return []
    table = CONTRACT_TABLES[spec.contract]
    column = table.c[spec.window.field]
    if spec.yearly:
        latest = select(func.max(column)).where(column <= end.astimezone(zone).year).scalar_subquery()
        return [column <= latest, column > latest - (spec.window.years or 1)]
    return [column >= start, column < end]


def _base(ask: Ask, zone: Any) -> list[ColumnElement[bool]]:
    """Scope, window and drill-down filters: the rows the KPI looks at."""
    table = CONTRACT_TABLES[ask.spec.contract]
    where = scope_condition(ask.spec.contract, ask.scope) + _window(ask, zone)
    return where + [table.c[name] == value for name, value in ask.filters.items()]


def _measured(spec: KpiSpec, now: datetime) -> ColumnElement[Any]:
    table = CONTRACT_TABLES[spec.contract]
    if spec.duration is not None:
        stored = hours_column(spec.duration.start, spec.duration.end)
        if stored is not None and stored in table.c:  # the same hours, kept by the store
            return table.c[stored]
        end = literal(now, UtcDateTime()) if spec.duration.end == NOW else table.c[spec.duration.end]
        return Hours(table.c[spec.duration.start], end)
    return table.c[spec.field]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _grouped(
    connection: Connection, ask: Ask, zone: Any, group: ColumnElement[Any] | None
) -> dict[Any, float | None]:
    """The measure per value of `group` (or once, under the key None)."""
    spec = ask.spec
    table = CONTRACT_TABLES[spec.contract]
    key = (group if group is not None else literal(0)).label("g")
    base = _base(ask, zone) + ([group.is_not(None)] if group is not None else [])
    now = ask.now
    if spec.measure == "percentile":
        if connection.dialect.name == "postgresql":
            return _percentile_disc(connection, ask, key, base, group is not None)
        if group is None:
            return {None: _percentile(connection, ask, base)}
        return _percentiles(connection, ask, group, base)
    if spec.measure == "share":
        hit = and_(*_conditions(table, spec.where, now)) if spec.where else literal(True)
        query = select(key, func.count(), func.sum(case((hit, 1), else_=0))).select_from(table)
        query = query.where(*base, *_conditions(table, spec.of, now))
        out = {}
        for g, den, num in connection.execute(query.group_by(key) if group is not None else query):
            if den:
                out[g if group is not None else None] = float(num or 0) / float(den)
        return out if group is not None else {None: out.get(None)}
    aggregate: ColumnElement[Any]
    if spec.measure in ("count", "rate"):
        aggregate = func.count()
    elif spec.measure == "distinct":
        aggregate = func.count(table.c[spec.field].distinct())
    elif spec.measure == "sum":
        aggregate = func.coalesce(func.sum(_measured(spec, now)), 0)
    else:
        aggregate = func.avg(cast(_measured(spec, now), Float))
    query = select(key, aggregate).select_from(table).where(*base, *_conditions(table, spec.where, now))
    rows = connection.execute(query.group_by(key) if group is not None else query).all()
    out = {(g if group is not None else None): _float(v) for g, v in rows}
    if spec.measure == "rate":
        start, end = ask.bounds(zone)
        assert start is not None and end is not None
        out = {g: (v or 0.0) / periods_in(spec, start, end) for g, v in out.items()}
    return out


def _percentile(connection: Connection, ask: Ask, base: list) -> float | None:
    """The smallest value with at least q of the values at or below it (rank r = ⌈q·n⌉)."""
    spec = ask.spec
    table = CONTRACT_TABLES[spec.contract]
    value = _measured(spec, ask.now)
    where = [*base, *_conditions(table, spec.where, ask.now), value.is_not(None)]
    n = connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    return _ranked(connection, ask, where, n) if n else None


def _ranked(connection: Connection, ask: Ask, where: list, n: int) -> float | None:
    """The r-th smallest of the `n` values `where` selects, r = ⌈q·n⌉, read from the nearer end
    (the 90th percentile is the 10 %'s smallest from the top), so the store keeps only the
    values up to it instead of sorting them all (a 90th percentile of 120,000 handling times:
    740-950 ms sorting all on SQLite)."""
    spec = ask.spec
    table = CONTRACT_TABLES[spec.contract]
    value = _measured(spec, ask.now)
    rank = max((n * round((spec.q or 0.5) * QUANTUM) + QUANTUM - 1) // QUANTUM, 1)
    from_top = n - rank < rank - 1
    order = value.desc() if from_top else value.asc()
    offset = n - rank if from_top else rank - 1
    query = select(value).select_from(table).where(*where).order_by(order).limit(1).offset(offset)
    return _float(connection.execute(query).scalar_one_or_none())


def _percentile_disc(
    connection: Connection, ask: Ask, key: ColumnElement[Any], base: list, grouped: bool
) -> dict:
    """PostgreSQL's own inverted-CDF percentile, per group or once: percentile_disc is the first
    value whose position reaches q·n, as domain/kpi_frames.py ranks. One pass and one sort per
    group, where row_number and a count over each group sorted every value twice (the 90th
    percentile of 120,000 handling times by department: 680 ms)."""
    spec = ask.spec
    table = CONTRACT_TABLES[spec.contract]
    value = _measured(spec, ask.now)
    figure = func.percentile_disc(literal(spec.q or 0.5, Float)).within_group(value)
    query = select(key, figure).where(*base, *_conditions(table, spec.where, ask.now), value.is_not(None))
    rows = connection.execute(query.group_by(key) if grouped else query)
    return {(g if grouped else None): _float(v) for g, v in rows}


def _percentiles(connection: Connection, ask: Ask, group: ColumnElement[Any], base: list) -> dict:
    """Per group (SQLite), the smallest value with at least q of the group's values at or below
    it. The groups' sizes first; a few groups (a drill-down by department) are then ranked one
    query each, which an index led by the group reads in order (the 90th percentile of 30,000
    handling times by department: 17 ms, against 41-87 ms in one pass below and 66-113 ms with
    row_number and a count over each group, two sorts); many (the grid cells of a department)
    in one pass: cume_dist() is the share of the group's values at or below each, one sort."""
    spec = ask.spec
    table = CONTRACT_TABLES[spec.contract]
    value = _measured(spec, ask.now)
    where = [*base, *_conditions(table, spec.where, ask.now), value.is_not(None)]
    sizes = connection.execute(select(group, func.count()).where(*where).group_by(group)).all()
    if len(sizes) <= RANKED_APART and isinstance(group, Column):  # a series' buckets: one pass
        return {g: _ranked(connection, ask, [*where, group == g], n) for g, n in sizes}
    values = select(group.label("g"), value.label("v")).where(*where).subquery()
    share = func.cume_dist().over(partition_by=values.c.g, order_by=values.c.v)
    ranked = select(values.c.g, values.c.v, share.label("at_or_below")).subquery()
    query = select(ranked.c.g, func.min(ranked.c.v)).where(
        ranked.c.at_or_below >= literal(spec.q or 0.5, Float)
    )
    return {g: _float(v) for g, v in connection.execute(query.group_by(ranked.c.g))}


def total_of(connection: Connection, ask: Ask) -> int:
    """How many rows of the spec's `total` contract the scope holds that meet its `total_where`
    (a `total` KPI's denominator: the sensors expected to report, not every device)."""
    contract = ask.spec.total
    assert contract is not None
    table = CONTRACT_TABLES[contract]
    where = scope_condition(contract, ask.scope) + _conditions(table, ask.spec.total_where, ask.now)
    return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _per_total(connection: Connection, ask: Ask, found: float | None) -> float | None:
    if ask.spec.total is None or found is None:
        return found
    total = total_of(connection, ask)
    return found / total if total else None


def value(connection: Connection, ask: Ask, zone: Any) -> float | None:
    """The KPI's figure for `ask`."""
    return _per_total(connection, ask, _grouped(connection, ask, zone, None).get(None))


def breakdown(connection: Connection, ask: Ask, zone: Any, by: str) -> dict[str, float | None]:
    """The figure per value of the field `by` (rows without one are left out); groups with no
    counted row (no match; for a share, no denominator) are not listed."""
    table = CONTRACT_TABLES[ask.spec.contract]
    return {str(g): v for g, v in _grouped(connection, ask, zone, table.c[by]).items()}


def series(connection: Connection, ask: Ask, zone: Any, edges: Sequence[datetime]) -> list[float | None]:
    """The figure in each bucket [edges[i], edges[i+1]) of the spec's time field (for a timed
    KPI); a bucket without rows has a count of 0 and no mean."""
    spec = ask.spec
    assert spec.window is not None and not spec.yearly and len(edges) >= 2
    column = CONTRACT_TABLES[spec.contract].c[spec.window.field]
    bucket = case(*[(column < edge, i) for i, edge in enumerate(edges[1:])], else_=len(edges) - 1)
    ranged = Ask(spec, ask.scope, ask.now, edges[0], edges[-1], ask.filters)
    found = _grouped(connection, ranged, zone, bucket)
    empty = 0.0 if spec.measure in ("count", "rate", "sum", "distinct") else None
    out = [found.get(i, empty) for i in range(len(edges) - 1)]
    if spec.measure == "rate":  # per bucket, not per the whole range
        whole = periods_in(spec, edges[0], edges[-1])
        out = [v * whole / periods_in(spec, edges[i], edges[i + 1]) if v is not None else None
               for i, v in enumerate(out)]  # fmt: skip
    if spec.total is None:
        return out
    total = total_of(connection, ask)
    return [v / total if v is not None and total else None for v in out]
