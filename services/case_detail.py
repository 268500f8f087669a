"""One case as a duty officer or department head works it: its row read from the store (so a
step just taken shows at once), its timeline of events, its SLA clock and the steps the
signed-in principal may take. Scoped like every read: another department's case is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.case_clock import CaseClock, Times, clock
from domain.case_lifecycle import Action, StepRefused, allowed_actions
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.case_commands import actor_of, state_of
from services.case_types import limits_of
from services.context import get_services
from services.step_refusals import visible
from store import case_rows


@dataclass(frozen=True)
class CaseDetail:
    case: dict[str, Any]
    events: list[dict[str, Any]]
    clock: CaseClock | None  # None: a case type the catalogue does not know
    actions: list[Action]  # what the current principal may try now


def clock_of(row: dict[str, Any], now: datetime) -> CaseClock | None:
    limits = limits_of(row["case_type"])
    state = state_of(row)
    if limits is None:
        return None
    times = Times(
        reported_at=row["reported_at"],
        accepted_at=row.get("accepted_at"),
        dispatched_at=row.get("dispatched_at"),
        handled_at=row.get("handled_at"),
        verified_at=row.get("verified_at"),
        closed_at=row.get("closed_at"),
        status_at=row.get("status_at"),
    )
    return clock(state.status, times, limits, now)


@requires(Permission.READ_RECORDS)
def case_detail(case_id: str, now: datetime | None = None) -> CaseDetail | None:
    """The case `case_id` with its timeline, clock and allowed steps, or None when there is no
    such case within the principal's scope (a probe of another department's is audited)."""
    principal = current_principal()
    with get_services().engine.connect() as connection:
        row = visible("case", case_id, case_rows.read_case(connection, case_id), principal)
        if row is None:
            return None
        events = case_rows.events_of(connection, case_id)
    try:
        actions = allowed_actions(state_of(row), actor_of(principal)) if principal.can(Permission.ACT) else []
        case_clock = clock_of(row, now or datetime.now(UTC))
    except StepRefused:  # a status the loop does not know: shown, but nothing can be done to it
        actions, case_clock = [], None
    return CaseDetail(row, events, case_clock, actions)
