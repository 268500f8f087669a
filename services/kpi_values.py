"""One KPI as the KPI page, the Overview and the API show it: its value over a period within a
scope and drill-down filters, the same over the period before and a year earlier, its RAG
status, a sparkline and how it splits by a drill-down field — each computed in the store
(store/kpi_sql.py) and cached by the data's version (services/figure_cache.py), so a duty
officer's step shows in the figures at the next read, and a wall of screens computes once.

Everything from a URL or a request is checked here: an unknown KPI, a filter on a field the KPI
does not drill through or with a value the park does not have, and a department head naming
another department (403, audited, by security.scope) never reach a query."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.kpis import KpiSpec
from security.scope import Scope
from services.context import get_services
from services.figure_cache import cached_figure
from services.kpi_periods import Period, edges, park_today
from store import kpi_sql


class UnknownKpi(LookupError):
    """No KPI of the catalogue has this id."""


class BadFilter(ValueError):
    """A drill-down filter the KPI does not take or a value the park does not have."""


@dataclass(frozen=True)
class KpiReading:
    spec: KpiSpec
    value: float | None
    previous: float | None  # the period before, of the same length (timed KPIs)
    last_year: float | None  # the same period a year earlier (timed KPIs)
    status: str | None  # green / amber / red by the spec's bands
    series: tuple[tuple[datetime, float | None], ...]  # (bucket start, value) over the period
    computed_at: datetime
    source: str | None  # the source serving the KPI's contract (the card says where from)


def catalogue() -> tuple[KpiSpec, ...]:
    from services.kpis import specs

    return specs()


def spec_of(kpi_id: Any) -> KpiSpec:
    for spec in catalogue():
        if spec.id == kpi_id:
            return spec
    raise UnknownKpi(f"no KPI {str(kpi_id)[:64]!r}")


def _reference_values() -> dict[str, Callable[[], Iterable[str]]]:
    from services.case_types import type_ids
    from services.reference import department_ids, grid_cells

    return {"department": department_ids, "grid_cell": grid_cells, "case_type": type_ids}


def known_values(spec: KpiSpec, field: str) -> set[str]:
    """The values `field` of the KPI's contract may hold (a filter's allowed values): the park's
    reference lists for a department, grid cell or case type, else the contract's own values."""
    listed = _reference_values().get(field)
    if listed is not None:
        # the live demo writes cases every few seconds: a DISTINCT keyed by their version would
        # scan them again at almost every request; the reference lists change with the park
        return set(listed())
    from sqlalchemy import select

    table = kpi_sql.CONTRACT_TABLES[spec.contract]
    column = table.c[field]

    def read() -> frozenset[str]:
        with get_services().engine.connect() as connection:
            found = connection.execute(select(column).distinct().where(column.is_not(None)))
            return frozenset(str(v) for (v,) in found)

    # the other drill-down fields (severity, rule, chain link, industry) have no reference list:
    # read once per change of the contract's data, not on every request that names a filter
    return set(cached_figure(f"kpi:known:{spec.contract}:{field}", [spec.contract], read).value)


def check_filters(spec: KpiSpec, filters: Mapping[str, Any], scope: Scope) -> dict[str, str]:
    """The drill-down filters as the store may be asked them: fields of the KPI's drill path,
    values the park has (a department head's department is their own: security.scope refused
    another before this). BadFilter names what is wrong."""
    out: dict[str, str] = {}
    for field, value in filters.items():
        if field not in spec.drill:
            raise BadFilter(f"{spec.id} does not drill through {str(field)[:40]!r}")
        text = str(value)[:64]
        if field == "department" and not scope.whole_park and text != scope.department:
            raise BadFilter(f"department {text!r} is outside your scope")
        if text not in known_values(spec, field):
            raise BadFilter(f"{field} {text!r} does not exist")
        out[field] = text
    return out


def _key(
    kind: str, spec: KpiSpec, scope: Scope, p: Period | None, filters: Mapping[str, str], extra: str = ""
) -> str:
    # a KPI over its own window ("today") rolls over at the park's midnight: a figure cached at
    # 23:59 must not be read after it, however quiet the data (its versions have not moved)
    day = park_today(get_services().settings.zone).isoformat()
    span = f"{p.start.isoformat()}/{p.end.isoformat()}" if p is not None and spec.timed else f"now@{day}"
    drill = ",".join(f"{k}={v}" for k, v in sorted(filters.items()))
    return f"kpi:{kind}:{spec.id}:{scope.department or '*'}:{span}:{drill}:{extra}"


def _contracts(spec: KpiSpec) -> list[str]:
    via = {"readings": "sensors", "case_events": "cases"}
    return [c for c in (spec.contract, spec.total, via.get(spec.contract)) if c]


def _to_the_minute(p: Period | None) -> Period | None:
    """A period ending now moves each second: the cache keys it by the minute it ends in."""
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    return Period(p.name, p.start, minute) if p is not None and p.end >= minute else p


def reading(
    spec: KpiSpec, scope: Scope, p: Period | None, filters: Mapping[str, str] | None = None
) -> KpiReading:
    """The KPI over `p` (None: its own window) within `scope` and `filters` (already checked)."""
    services = get_services()
    zone = services.settings.zone
    filters = dict(filters or {})
    p = _to_the_minute(p)

    def compute() -> KpiReading:
        now = datetime.now(UTC)
        with services.engine.connect() as connection:

            def at(q: Period | None) -> float | None:
                if q is None:
                    return kpi_sql.value(connection, kpi_sql.Ask(spec, scope, now, filters=filters), zone)
                return kpi_sql.value(connection, kpi_sql.Ask(spec, scope, now, q.start, q.end, filters), zone)

            value = at(p if spec.timed else None)
            previous = last_year = None
            series: tuple[tuple[datetime, float | None], ...] = ()
            if spec.timed and p is not None:
                previous, last_year = at(p.before()), at(p.shifted(years=1))
                if not spec.yearly:
                    cuts = edges(p, zone)
                    ask = kpi_sql.Ask(spec, scope, now, cuts[0], cuts[-1], filters)
                    series = tuple(zip(cuts[:-1], kpi_sql.series(connection, ask, zone, cuts), strict=True))
        source = services.sources.source_of(spec.contract)
        return KpiReading(spec, value, previous, last_year, spec.status(value), series, now, source)

    cached = cached_figure(_key("reading", spec, scope, p, filters), _contracts(spec), compute)
    return cached.value


def split(
    spec: KpiSpec, scope: Scope, p: Period | None, filters: Mapping[str, str], by: str
) -> list[tuple[str, float | None]]:
    """The KPI per value of the drill-down field `by`, largest first."""
    services = get_services()
    zone = services.settings.zone
    if by not in spec.drill:
        raise BadFilter(f"{spec.id} does not drill through {by[:40]!r}")
    p = _to_the_minute(p)

    def compute() -> list[tuple[str, float | None]]:
        now = datetime.now(UTC)
        start, end = (p.start, p.end) if p is not None and spec.timed else (None, None)
        with services.engine.connect() as connection:
            found = kpi_sql.breakdown(
                connection, kpi_sql.Ask(spec, scope, now, start, end, dict(filters)), zone, by
            )
        return sorted(found.items(), key=lambda kv: (kv[1] is None, -(kv[1] or 0.0), kv[0]))

    return cached_figure(_key("split", spec, scope, p, filters, by), _contracts(spec), compute).value


def next_level(spec: KpiSpec, filters: Mapping[str, str]) -> str | None:
    """The drill-down field after those already filtered on; None at the bottom (the records)."""
    for field in spec.drill:
        if field not in filters:
            return field
    return None
