"""SQL for the leaders' "needs a decision" panel: open cases past their deadline counted by
department with the oldest deadline of each (one GROUP BY on the unfinished states, which are few
once a park has a history), and the critical alerts still open that nobody has acknowledged.
Callers pass the scope's conditions (store/kpi_sql.scope_condition)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from domain.alert_lifecycle import Severity
from store.map_rows import ALERTS, CASES, OPEN_ALERT_STATES, OPEN_STATUSES
from store.planner_hints import rare

WAITING_CAP = 50  # unacknowledged critical alerts read: the panel names two and counts the rest


def overdue_by_department(
    connection: Connection, scoped: Sequence[ColumnElement[bool]], now: datetime
) -> list[tuple[str | None, int, datetime]]:
    """(department, open cases past their deadline at `now`, the oldest deadline among them)."""
    query = (
        select(CASES.c.department, func.count(), func.min(CASES.c.sla_deadline))
        .where(rare(CASES.c.status.in_(OPEN_STATUSES)), CASES.c.sla_deadline < now, *scoped)
        .group_by(CASES.c.department)
    )
    return [(department, int(n), oldest) for department, n, oldest in connection.execute(query)]


def unacknowledged_critical(
    connection: Connection, scoped: Sequence[ColumnElement[bool]]
) -> tuple[list[dict[str, Any]], int]:
    """The open critical alerts nobody acknowledged (an alert the system escalated is still
    waiting), longest waiting first, at most WAITING_CAP; and how many there are."""
    where = [
        rare(ALERTS.c.state.in_(OPEN_ALERT_STATES)),
        ALERTS.c.severity == Severity.CRITICAL.value,
        ALERTS.c.acknowledged_at.is_(None),
        *scoped,
    ]
    total = connection.execute(select(func.count()).select_from(ALERTS).where(*where)).scalar_one()
    query = (
        select(ALERTS.c.id, ALERTS.c.rule, ALERTS.c.sensor_id, ALERTS.c.raised_at, ALERTS.c.detail)
        .where(*where)
        .order_by(ALERTS.c.raised_at, ALERTS.c.id)
        .limit(WAITING_CAP)
    )
    return [dict(row._mapping) for row in connection.execute(query)], int(total)
