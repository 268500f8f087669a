"""Writing alerts and their events into a store the way the alert commands do (one transaction),
for the live stream's tests: each returns the event's sequence number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from store.models import Alert, AlertEvent, Sensor

ALERTS = Alert.__table__
EVENTS = AlertEvent.__table__


def write_alert(
    engine: Engine,
    alert_id: str,
    department: str | None,
    *,
    action: str = "raise",
    state: str = "raised",
    severity: str = "critical",
    seq: int | None = None,
) -> int:
    """Raise `alert_id` (or, when it exists, move it to `state`) with one event; the event's
    pk (its sequence number), `seq` when given (to number events out of order)."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        known = connection.execute(select(ALERTS.c.id).where(ALERTS.c.id == alert_id)).first()
        if known is None:
            connection.execute(
                insert(ALERTS).values(
                    id=alert_id,
                    rule="smoke_alarm",
                    sensor_id="urn:dev:test-smoke-001",
                    quantity="obscuration",
                    value=9.5,
                    threshold=4.0,
                    severity=severity,
                    state=state,
                    raised_at=now,
                    version=1,
                    department=department,
                    detail={"title": "alert_rule.smoke_alarm", "values": {"value": 9.5}},
                )  # fmt: skip
            )
        else:
            connection.execute(update(ALERTS).where(ALERTS.c.id == alert_id).values(state=state))
        values = {"alert_id": alert_id, "action": action, "actor": "system", "at": now, "to_state": state}
        if seq is not None:
            values["pk"] = seq
        result = connection.execute(insert(EVENTS).values(**values))
        return seq if seq is not None else int(result.inserted_primary_key[0])


def at_a_smoke_detector(engine: Engine, alert_id: str) -> dict:
    """Point the alert `alert_id` at the park's first smoke detector (write_alert's sensor is
    none of the park's: a test of where an alert is drawn needs a real place); its row after."""
    sensors = Sensor.__table__
    with engine.begin() as connection:
        sensor = connection.execute(select(sensors.c.id).where(sensors.c.kind == "smoke")).scalar()
        connection.execute(update(ALERTS).where(ALERTS.c.id == alert_id).values(sensor_id=sensor))
        return dict(connection.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).mappings().one())
