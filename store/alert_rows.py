"""SQL for alerts: number and insert a raised alert, read one or a filtered page, write a step
under its version or a condition's change without one, append and read its events, and the
readings the rules judge. Called inside the caller's transaction (services/alert_commands.py,
services/alert_engine.py), so an alert's change, its event and its audit row are committed
together or not at all. Every query is bounded (an alert, a page, a set of sensors, a window
of time): none reads a whole table."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from store.models import Alert, AlertEvent, Reading, Sensor, User

ALERTS = Alert.__table__
EVENTS = AlertEvent.__table__
READINGS = Reading.__table__
SENSORS = Sensor.__table__
_WITH_SENSOR = ALERTS.outerjoin(SENSORS, SENSORS.c.id == ALERTS.c.sensor_id)
EVENT_COLUMNS = ("pk", "alert_id", "action", "actor", "at", "note", "from_state", "to_state", "detail")
# The id's shape: A-<the park's local day>-<a daily serial>, e.g. A-20261206-00042 (the demo
# park's history uses AL-…, so the two never collide).
ID_PREFIX = "A-"
SERIAL_DIGITS = 5


def lock_new_alerts(connection: Connection) -> None:
    """Hold, until the transaction ends, the right to raise alerts: a second worker raising at
    once waits, then sees the alert the first one raised instead of raising it again and
    numbering it the same. PostgreSQL: a transaction-level advisory lock; SQLite: begin_write's
    transaction holds the whole file already."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('onescreen.new_alerts'))"))


def next_alert_id(connection: Connection, at: datetime, zone: tzinfo) -> str:
    """The next alert id of `at`'s local day in `zone`. Call under lock_new_alerts."""
    day = at.astimezone(zone).strftime("%Y%m%d")
    prefix = f"{ID_PREFIX}{day}-"
    highest = connection.execute(
        select(func.max(ALERTS.c.id)).where(
            ALERTS.c.id.like(f"{prefix}%"), func.length(ALERTS.c.id) == len(prefix) + SERIAL_DIGITS
        )
    ).scalar_one_or_none()
    serial = int(highest[len(prefix) :]) + 1 if highest else 1
    return f"{prefix}{serial:0{SERIAL_DIGITS}d}"


def insert_alert(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(ALERTS).values(**row))


def answering_department() -> Any:
    """The department that answers an alert: its own, else (an alert raised before alerts named
    one, such as the demo park's history, or imported) its sensor's owner, as when raised."""
    return func.coalesce(ALERTS.c.department, SENSORS.c.department)


def _select() -> Any:
    """Every column of an alert but the store's own key, its department the answering one."""
    columns = [
        answering_department().label("department") if c.name == "department" else c
        for c in ALERTS.c
        if c.name != "pk"
    ]
    return select(*columns).select_from(_WITH_SENSOR)


def read_alert(connection: Connection, alert_id: str) -> dict[str, Any] | None:
    """The alert's row (every column but the store's own key), or None."""
    row = connection.execute(_select().where(ALERTS.c.id == alert_id)).first()
    return dict(row._mapping) if row is not None else None


def update_alert(connection: Connection, alert_id: str, version: int, changes: dict[str, Any]) -> bool:
    """Write `changes` if the alert is still at `version` (compare-and-set); False when another
    step came first (on PostgreSQL a concurrent update waits for the row, then re-checks)."""
    result = connection.execute(
        update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.version == version).values(**changes)
    )
    return result.rowcount == 1


def update_condition(connection: Connection, alert_id: str, changes: dict[str, Any]) -> bool:
    """Write a condition's change (peak, severity, message) to an alert still open to its rule,
    whatever its version: a reading never sends an officer back. False when it cleared since."""
    result = connection.execute(
        update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.cleared_at.is_(None)).values(**changes)
    )
    return result.rowcount == 1


def append_event(
    connection: Connection,
    *,
    alert_id: str,
    action: str,
    actor: str,
    at: datetime,
    note: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append an event; its pk, the live stream's sequence number."""
    result = connection.execute(
        insert(EVENTS)
        .values(
            alert_id=alert_id,
            action=action,
            actor=actor[:64],
            at=at,
            note=note,
            from_state=from_state,
            to_state=to_state,
            detail=detail or None,
        )
        .returning(EVENTS.c.pk)
    )
    return int(result.scalar_one())


def events_of(connection: Connection, alert_id: str) -> list[dict[str, Any]]:
    """The alert's events in the order they were written (their sequence numbers)."""
    columns = [EVENTS.c[name] for name in EVENT_COLUMNS]
    rows = connection.execute(select(*columns).where(EVENTS.c.alert_id == alert_id).order_by(EVENTS.c.pk))
    return [dict(row._mapping) for row in rows]


def open_alerts(
    connection: Connection, *, sensor_ids: Collection[str] | None = None, rules: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Alerts still open to their rule (not cleared), of `sensor_ids` and `rules` when given."""
    query = _select().where(ALERTS.c.cleared_at.is_(None), ALERTS.c.sensor_id.is_not(None))
    if sensor_ids is not None:
        query = query.where(ALERTS.c.sensor_id.in_(list(sensor_ids)))
    if rules is not None:
        query = query.where(ALERTS.c.rule.in_(list(rules)))
    return [dict(row._mapping) for row in connection.execute(query)]


def open_alert_of(connection: Connection, rule: str, sensor_id: str) -> dict[str, Any] | None:
    """The alert `rule` holds open for `sensor_id`, if any (the newest, should there be more)."""
    query = (
        _select()
        .where(ALERTS.c.rule == rule, ALERTS.c.sensor_id == sensor_id, ALERTS.c.cleared_at.is_(None))
        .order_by(ALERTS.c.raised_at.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return dict(row._mapping) if row is not None else None


def unacknowledged(connection: Connection, raised_before: datetime) -> list[dict[str, Any]]:
    """Raised alerts nobody acknowledged, raised before `raised_before` (escalation's candidates)."""
    query = _select().where(
        ALERTS.c.state == "raised",
        ALERTS.c.acknowledged_at.is_(None),
        ALERTS.c.escalated_at.is_(None),
        ALERTS.c.raised_at <= raised_before,
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def readings_since(
    connection: Connection, sensor_ids: Collection[str], quantity: str | None, since: datetime
) -> dict[str, list[tuple[datetime, float]]]:
    """(time, value) of each sensor's readings at or after `since`, of `quantity` (any with None)."""
    query = select(READINGS.c.sensor_id, READINGS.c.at, READINGS.c.value).where(
        READINGS.c.sensor_id.in_(list(sensor_ids)), READINGS.c.at >= since
    )
    if quantity is not None:
        query = query.where(READINGS.c.quantity == quantity)
    out: dict[str, list[tuple[datetime, float]]] = {}
    for sensor_id, at, value in connection.execute(query):
        out.setdefault(sensor_id, []).append((at, value))
    return out


def heard_since(connection: Connection, since: datetime) -> dict[str, list[datetime]]:
    """The times of every sensor's readings at or after `since` (the time index bounds it)."""
    query = select(READINGS.c.sensor_id, READINGS.c.at).where(READINGS.c.at >= since).distinct()
    out: dict[str, list[datetime]] = {}
    for sensor_id, at in connection.execute(query):
        out.setdefault(sensor_id, []).append(at)
    return out


def newest_reading(connection: Connection, sensor_ids: Iterable[str]) -> dict[str, datetime]:
    """Each sensor's newest reading time however old (sensors never heard from are left out).
    One indexed look-up per sensor: meant for the few that are silent now."""
    out = {}
    for sensor_id in sensor_ids:
        at = connection.execute(
            select(func.max(READINGS.c.at)).where(READINGS.c.sensor_id == sensor_id)
        ).scalar_one_or_none()
        if at is not None:
            out[sensor_id] = at
    return out


def people(connection: Connection, roles: Collection[str]) -> dict[str, str | None]:
    """User name → department of every enabled user holding one of `roles` (who may be given
    an alert by name)."""
    rows = connection.execute(
        select(User.username, User.department, User.roles).where(User.disabled.is_(False))
    )
    wanted = set(roles)
    return {
        name: department for name, department, held in rows if wanted & {r.strip() for r in held.split(",")}
    }


@dataclass(frozen=True)
class AlertFilter:
    """What a page of alerts is narrowed to (None: no narrowing); `department` is the scope's."""

    department: str | None = None
    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sensor_id: str | None = None
    rule: str | None = None
    since: datetime | None = None  # raised at or after
    until: datetime | None = None  # raised before


def page_of_alerts(
    connection: Connection, filters: AlertFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of alerts matching `filters`, newest raised first, and how many match."""
    where = []
    if filters.department is not None:
        where.append(answering_department() == filters.department)
    if filters.states:
        where.append(ALERTS.c.state.in_(filters.states))
    if filters.severities:
        where.append(ALERTS.c.severity.in_(filters.severities))
    if filters.sensor_id is not None:
        where.append(ALERTS.c.sensor_id == filters.sensor_id)
    if filters.rule is not None:
        where.append(ALERTS.c.rule == filters.rule)
    if filters.since is not None:
        where.append(ALERTS.c.raised_at >= filters.since)
    if filters.until is not None:
        where.append(ALERTS.c.raised_at < filters.until)
    total = connection.execute(select(func.count()).select_from(_WITH_SENSOR).where(*where)).scalar_one()
    query = (
        _select()
        .where(*where)
        .order_by(ALERTS.c.raised_at.desc(), ALERTS.c.pk.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in connection.execute(query)], int(total)
