"""SQL for the one map's layers that come from large contracts: the cases of a time range as
points (newest first, at most a cap), the same cases counted in squares for the heat map, open
and overdue cases counted per grid cell for the choropleths, and open alerts at their sensors. Each is one bounded query (a range on an index, or a GROUP BY);
none reads a contract whole. Callers pass the scope's conditions (store/kpi_sql.scope_condition)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from domain.alert_lifecycle import OPEN as ALERT_OPEN
from domain.case_lifecycle import OPEN as CASE_OPEN
from store.models import CONTRACT_TABLES, Alert, Sensor
from store.planner_hints import rare

CASES = CONTRACT_TABLES["cases"]
ALERTS = Alert.__table__
SENSORS = Sensor.__table__
OPEN_STATUSES = sorted(str(s) for s in CASE_OPEN)
OPEN_ALERT_STATES = sorted(str(s) for s in ALERT_OPEN)


class _Floor(FunctionElement[int]):
    """The integer part of a non-negative number (the heat map's square index)."""

    name = "floor_int"
    inherit_cache = True
    type = Integer()


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: Any, **kw: Any) -> str:
    # SQLite's floor() needs its math functions compiled in; CAST truncates, which is the
    # floor for the non-negative values the callers pass
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(_Floor)
def _floor_plain(element: _Floor, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


def _in_range(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    return [
        CASES.c.reported_at >= since,
        CASES.c.reported_at < until,
        CASES.c.lon.is_not(None),
        CASES.c.lat.is_not(None),
    ]


def case_points(
    connection: Connection,
    since: datetime,
    until: datetime,
    scoped: Sequence[ColumnElement[bool]],
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The located cases reported in [since, until), newest first, at most `limit`, and how many
    there are in all."""
    where = and_(*_in_range(since, until), *scoped)
    total = connection.execute(select(func.count()).select_from(CASES).where(where)).scalar_one()
    query = (
        select(CASES.c.id, CASES.c.lon, CASES.c.lat, CASES.c.status, CASES.c.sla_deadline, CASES.c.case_type)
        .where(where)
        .order_by(CASES.c.reported_at.desc(), CASES.c.pk.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in connection.execute(query)], total


def case_squares(
    connection: Connection,
    since: datetime,
    until: datetime,
    scoped: Sequence[ColumnElement[bool]],
    step: tuple[float, float],
) -> list[tuple[int, int, int]]:
    """(column, row, count) of the located cases reported in [since, until), counted in squares
    of `step` (degrees of longitude, latitude) numbered from (-180, -90)."""
    column = _Floor((CASES.c.lon + 180.0) / step[0])
    row = _Floor((CASES.c.lat + 90.0) / step[1])
    query = (
        select(column.label("x"), row.label("y"), func.count().label("n"))
        .where(*_in_range(since, until), *scoped)
        .group_by(column, row)
    )
    return [(int(x), int(y), int(n)) for x, y, n in connection.execute(query)]


def open_by_cell(
    connection: Connection, scoped: Sequence[ColumnElement[bool]], overdue_at: datetime | None
) -> dict[str, int]:
    """Open cases per grid cell (only those past their deadline at `overdue_at`, when given)."""
    where = [rare(CASES.c.status.in_(OPEN_STATUSES)), CASES.c.grid_cell.is_not(None), *scoped]
    if overdue_at is not None:
        where.append(CASES.c.sla_deadline < overdue_at)
    query = select(CASES.c.grid_cell, func.count()).where(*where).group_by(CASES.c.grid_cell)
    return {cell: int(n) for cell, n in connection.execute(query)}


def open_alerts_at_sensors(
    connection: Connection, scoped: Sequence[ColumnElement[bool]]
) -> list[dict[str, Any]]:
    """Open alerts (not resolved or closed) with their sensor's position, most severe first is
    left to the caller; alerts without a located sensor are left out."""
    query = (
        select(
            ALERTS.c.id,
            ALERTS.c.rule,
            ALERTS.c.sensor_id,
            ALERTS.c.severity,
            ALERTS.c.state,
            ALERTS.c.raised_at,
            ALERTS.c.quantity,
            ALERTS.c.value,
            SENSORS.c.lon,
            SENSORS.c.lat,
        )  # fmt: skip
        .join(SENSORS, SENSORS.c.id == ALERTS.c.sensor_id)
        .where(rare(ALERTS.c.state.in_(OPEN_ALERT_STATES)), *scoped)
        .order_by(ALERTS.c.raised_at.desc())
    )
    return [dict(row._mapping) for row in connection.execute(query)]
