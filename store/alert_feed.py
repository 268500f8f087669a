"""SQL for the live alert stream: the alert events after a sequence number (an event's pk), each
with its alert's current row, read in pk order and bounded by a limit; and the newest sequence
number. Filtering by department happens here, in the query, so a department head's catch-up
never reads another department's rows."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, or_, select

from store.models import Alert, AlertEvent

ALERTS = Alert.__table__
EVENTS = AlertEvent.__table__
# what a live message carries of the alert: enough to draw it in a feed, a ticker or a card
ALERT_FIELDS = (
    "id", "severity", "state", "rule", "sensor_id", "quantity", "value", "threshold",
    "raised_at", "department", "detail", "version", "owner", "case_id",
)  # fmt: skip


def newest_seq(connection: Connection) -> int:
    """The newest alert event's sequence number; 0 when there is none."""
    return int(connection.execute(select(func.max(EVENTS.c.pk))).scalar_one_or_none() or 0)


def events_after(
    connection: Connection,
    after: int,
    *,
    also: Collection[int] = (),
    department: str | None = None,
    whole_park: bool = True,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Events with pk > `after` (and those whose pk is in `also`), oldest first, at most `limit`,
    each as {"seq", "action", "at", "alert": {ALERT_FIELDS}}. Not `whole_park`: only alerts whose
    department is `department` (an alert without one belongs to nobody's department)."""
    condition = EVENTS.c.pk > after
    if also:
        condition = or_(condition, EVENTS.c.pk.in_(sorted(also)))
    query = (
        select(EVENTS.c.pk, EVENTS.c.action, EVENTS.c.at, *(ALERTS.c[name] for name in ALERT_FIELDS))
        .select_from(EVENTS.join(ALERTS, ALERTS.c.id == EVENTS.c.alert_id))
        .where(condition)
        .order_by(EVENTS.c.pk)
        .limit(limit)
    )
    if not whole_park:
        query = query.where(ALERTS.c.department == department)
    return [
        {
            "seq": row.pk,
            "action": row.action,
            "at": row.at,
            "alert": {name: row._mapping[name] for name in ALERT_FIELDS},
        }
        for row in connection.execute(query)
    ]
