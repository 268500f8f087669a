"""Writing alerts and their events into a store the way the alert commands do (one transaction),
for the live stream's tests: each returns the event's sequence number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from store.models import Alert, AlertEvent

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
