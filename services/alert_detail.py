"""Alerts as duty officers and department heads read them: a filtered page (the query runs in
the store, newest raised first) and one alert with its events and the steps the signed-in
principal may take. Scoped like every read, on the department that answers the alert: another
department's alert is missing (and a probe of one is audited)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.alert_lifecycle import Action, allowed_actions
from domain.steps import StepRefused
from security.guard import requires
from security.roles import Permission
from security.scope import Scope
from security.web_context import current_principal
from services.alert_commands import alert_of
from services.case_commands import actor_of
from services.context import get_services
from services.step_refusals import visible
from store import alert_rows


@dataclass(frozen=True)
class AlertView:
    alert: dict[str, Any]
    events: list[dict[str, Any]]  # each with its pk: the live stream's sequence number
    actions: list[Action]  # what the current principal may try now (never the system's clear)


@requires(Permission.READ_RECORDS)
def alert_page(
    scope: Scope,
    *,
    limit: int,
    offset: int,
    state: Collection[str] = (),
    severity: Collection[str] = (),
    sensor: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the alerts within `scope` matching the filters, and how many match."""
    filters = alert_rows.AlertFilter(
        department=scope.department,
        states=tuple(state),
        severities=tuple(severity),
        sensor_id=sensor,
        rule=rule,
        since=since,
        until=until,
    )
    with get_services().engine.connect() as connection:
        return alert_rows.page_of_alerts(connection, filters, limit=limit, offset=offset)


@requires(Permission.READ_RECORDS)
def alert_detail(alert_id: str) -> AlertView | None:
    """The alert `alert_id` with its events and allowed steps, or None when there is no such
    alert within the principal's scope (a probe of another department's is audited)."""
    principal = current_principal()
    with get_services().engine.connect() as connection:
        row = visible("alert", alert_id, alert_rows.read_alert(connection, alert_id), principal)
        if row is None:
            return None
        events = alert_rows.events_of(connection, alert_id)
    try:
        actions = allowed_actions(alert_of(row), actor_of(principal)) if principal.can(Permission.ACT) else []
    except StepRefused:  # a state the lifecycle does not know: shown, but nothing can be done to it
        actions = []
    return AlertView(row, events, [a for a in actions if a is not Action.CLEAR])
