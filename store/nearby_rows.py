"""SQL for what lies near a place (an enterprise's profile): the cases reported within a radius
since a moment, newest first, and the open alerts of sensors within a radius. The distance is
computed in the query (an equirectangular approximation: at a few hundred metres it differs
from the great circle by less than a millimetre), so only the rows within the circle leave the
store, and the count is the circle's, not a bounding box's. Each is one bounded query; none
reads a contract whole. Callers pass the scope's conditions (store/kpi_sql.scope_condition)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from domain.alert_lifecycle import OPEN as ALERT_OPEN
from store.models import CONTRACT_TABLES, Alert, Sensor
from store.planner_hints import rare

CASES = CONTRACT_TABLES["cases"]
ALERTS = Alert.__table__
SENSORS = Sensor.__table__
METRES_PER_DEGREE = 111_320.0
OPEN_ALERT_STATES = sorted(str(s) for s in ALERT_OPEN)


def _near(lon_col: Any, lat_col: Any, lon: float, lat: float, radius_m: float) -> tuple[list, ColumnElement]:
    """The conditions that keep (lon_col, lat_col) within `radius_m` of (lon, lat): a bounding box
    (plain comparisons the planner can use) and the squared distance inside it; and the
    distance expression itself (metres squared) to report."""
    per_lon = METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)
    d_lat, d_lon = radius_m / METRES_PER_DEGREE, radius_m / per_lon
    dx = (lon_col - lon) * per_lon
    dy = (lat_col - lat) * METRES_PER_DEGREE
    squared = dx * dx + dy * dy
    box = [
        lon_col.is_not(None),
        lat_col.is_not(None),
        lon_col.between(lon - d_lon, lon + d_lon),
        lat_col.between(lat - d_lat, lat + d_lat),
        squared <= radius_m * radius_m,
    ]
    return box, squared


def cases_near(
    connection: Connection,
    lon: float,
    lat: float,
    radius_m: float,
    since: datetime,
    scoped: Sequence[ColumnElement[bool]],
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The cases reported since `since` within `radius_m` of (lon, lat), newest first, at most
    `limit`, each with its distance in metres; and how many there are in all."""
    box, squared = _near(CASES.c.lon, CASES.c.lat, lon, lat, radius_m)
    where = and_(CASES.c.reported_at >= since, *box, *scoped)
    total = connection.execute(select(func.count()).select_from(CASES).where(where)).scalar_one()
    query = (
        select(
            CASES.c.id,
            CASES.c.case_type,
            CASES.c.status,
            CASES.c.reported_at,
            CASES.c.sla_deadline,
            CASES.c.address,
            CASES.c.address_en,
            CASES.c.department,
            squared.label("distance2"),
        )  # fmt: skip
        .where(where)
        .order_by(CASES.c.reported_at.desc(), CASES.c.pk.desc())
        .limit(limit)
    )
    return [_with_distance(row._mapping) for row in connection.execute(query)], int(total)


def open_alerts_near(
    connection: Connection,
    lon: float,
    lat: float,
    radius_m: float,
    scoped: Sequence[ColumnElement[bool]],
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The open alerts (not resolved or closed) of sensors within `radius_m` of (lon, lat),
    newest first, at most `limit`, each with its sensor's distance in metres; and how many."""
    box, squared = _near(SENSORS.c.lon, SENSORS.c.lat, lon, lat, radius_m)
    where = and_(rare(ALERTS.c.state.in_(OPEN_ALERT_STATES)), *box, *scoped)
    joined = ALERTS.join(SENSORS, SENSORS.c.id == ALERTS.c.sensor_id)
    total = connection.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
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
            squared.label("distance2"),
        )  # fmt: skip
        .select_from(joined)
        .where(where)
        .order_by(ALERTS.c.raised_at.desc(), ALERTS.c.pk.desc())
        .limit(limit)
    )
    return [_with_distance(row._mapping) for row in connection.execute(query)], int(total)


def _with_distance(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["distance_m"] = math.sqrt(max(float(out.pop("distance2")), 0.0))
    return out
