"""SQL for the Alerts desk and the wall's alert card: a sensor's readings over a window of time
for the chart beside an alert (the raw readings still kept and, for the part of the window older
than the raw retention, the hourly aggregates the worker rolled them into), and the open alerts
counted by severity. Each query is bounded (one sensor's quantity in a window; a GROUP BY)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, select

from store.models import Alert, Reading, ReadingHourly

ALERTS = Alert.__table__

READINGS = Reading.__table__
HOURLY = ReadingHourly.__table__


def readings_between(
    connection: Connection, sensor_id: str, quantity: str, since: datetime, until: datetime
) -> list[tuple[datetime, float, bool]]:
    """(time, value, hourly) of `sensor_id`'s `quantity` in [since, until], oldest first: raw
    readings, and before the oldest raw one the hourly means (hourly=True)."""
    raw = [
        (at, float(value), False)
        for at, value in connection.execute(
            select(READINGS.c.at, READINGS.c.value)
            .where(
                READINGS.c.sensor_id == sensor_id,
                READINGS.c.quantity == quantity,
                READINGS.c.at >= since,
                READINGS.c.at <= until,
            )
            .order_by(READINGS.c.at)
        )
    ]
    first_raw = raw[0][0] if raw else until
    hourly = [
        (hour, float(mean), True)
        for hour, mean in connection.execute(
            select(HOURLY.c.hour, HOURLY.c.mean)
            .where(
                HOURLY.c.sensor_id == sensor_id,
                HOURLY.c.quantity == quantity,
                HOURLY.c.hour >= since,
                HOURLY.c.hour < first_raw,
            )
            .order_by(HOURLY.c.hour)
        )
    ]
    return hourly + raw


def open_by_severity(
    connection: Connection, states: Collection[str], department: str | None
) -> dict[str, int]:
    """How many alerts in `states` there are of each severity (of `department` when given)."""
    query = select(ALERTS.c.severity, func.count()).where(ALERTS.c.state.in_(list(states)))
    if department is not None:
        query = query.where(ALERTS.c.department == department)
    return {str(severity): int(n) for severity, n in connection.execute(query.group_by(ALERTS.c.severity))}
