"""Commands that move an alert along its lifecycle: the domain decides (domain/alert_lifecycle.py),
the store writes the alert's change, its event and the audit row in one transaction.

Callers (the Alerts page, POST /api/v1/alerts/{id}/transitions) build a Step from their input
with `make_step` and call `take_step`; they get the alert as it now is, or one of:
  AlertNotFound  no such alert within what the caller may read (another department's reads
                 as missing, and the probe is audited)
  StepRefused    the step is not allowed or lacks what it needs; nothing changed
  StaleVersion   (a StepRefused) the alert changed since the caller read it: of two officers
                 acting at once one wins, the other is told
Every refusal is audited as a denied (or, for a stale version, failed) alert.change.

`open_case` (an action like the others) opens a case from the alert through the case
commands (services/alert_cases.py) and links the two both ways, in the same transaction.
The worker's steps (clearing, automatic escalation) go through `apply_system_step` as the
actor "system"; they never ask for a version the system did not read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.alert_lifecycle import (
    SYSTEM,
    Action,
    Alert,
    Decision,
    Severity,
    State,
    Step,
    decide,
    parse_action,
)
from domain.steps import Actor, StaleVersion, StepRefused
from security import audit
from security.guard import requires
from security.roles import Permission, Role
from security.web_context import client_ip, current_principal
from services import step_refusals
from services.case_commands import actor_of, in_scope
from services.context import get_services
from services.reference import department_ids
from services.step_refusals import audit_refusal
from store import alert_rows
from store.engine import begin_write

# Who may be given an alert by name: the people who act on alerts.
ASSIGNABLE_ROLES = frozenset({Role.DUTY_OFFICER.value, Role.DEPARTMENT_HEAD.value})


class AlertNotFound(LookupError):
    """No such alert within what the caller may read."""


def alert_of(row: dict[str, Any]) -> Alert:
    """The lifecycle's view of a store row. A state or severity the lifecycle does not know (a
    foreign system's) is refused rather than guessed."""
    try:
        state, severity = State(row["state"]), Severity(row["severity"])
    except ValueError:
        raise StepRefused(
            "unknown_state", f"alert {row['id']} has a state the lifecycle does not know: {row['state']!r}"
        ) from None
    return Alert(
        id=row["id"],
        state=state,
        severity=severity,
        raised_at=row["raised_at"],
        department=row.get("department"),
        version=row.get("version") or 1,
        acknowledged_at=row.get("acknowledged_at"),
        escalated_at=row.get("escalated_at"),
        cleared_at=row.get("cleared_at"),
        owner=row.get("owner"),
        case_id=row.get("case_id"),
    )


def make_step(
    action: object,
    version: object,
    *,
    note: object = None,
    assignee: object = None,
    department: object = None,
    at: datetime | None = None,
) -> Step:
    """A Step from untrusted input (a callback's values, a JSON body): wrong types and unknown
    values are refused with a StepRefused naming them. The system's own step (clear) and the
    id of a case to link are never taken from input."""
    parsed = parse_action(action)
    if parsed is Action.CLEAR:
        raise StepRefused("not_your_step", "your role may not 'clear' an alert", action=parsed.value)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StepRefused("bad_version", "version: the alert's version as read, a whole number from 1")
    for name, value in {"note": note, "assignee": assignee, "department": department}.items():
        if value is not None and not isinstance(value, str):
            raise StepRefused("bad_field", f"{name}: text expected", field=name)
    return Step(
        action=parsed,
        version=version,
        at=at or datetime.now(UTC),
        note=note,  # type: ignore[arg-type]
        assignee=assignee or None,  # type: ignore[arg-type]
        department=department or None,  # type: ignore[arg-type]
    )


@requires(Permission.ACT)
def take_step(alert_id: str, step: Step) -> dict[str, Any]:
    """Apply `step` to alert `alert_id` as the current principal; the alert's row as it now is.
    Raises AlertNotFound, StepRefused or StaleVersion (see the module's docstring). Live
    clients are told after the commit."""
    from services.alert_cases import open_case
    from services.alert_engine import announce

    principal = current_principal()
    services = get_services()
    row: dict[str, Any] | None = None
    try:
        with begin_write(services.engine) as connection:
            row = alert_rows.read_alert(connection, alert_id)
            if row is None or not in_scope(principal, row):
                raise AlertNotFound(alert_id)
            actor = actor_of(principal)
            if step.action is Action.OPEN_CASE:
                _decision, seq = open_case(connection, row, actor, step, ip=client_ip())
            else:
                _decision, seq = apply_step(connection, row, actor, step, ip=client_ip())
            after = alert_rows.read_alert(connection, alert_id)
    except (AlertNotFound, StepRefused) as error:
        audit_refusal("alert", alert_id, step.action.value, error, principal, exists=row is not None)
        raise
    for contract in ("alerts", "cases", "case_events") if step.action is Action.OPEN_CASE else ("alerts",):
        services.snapshots.expire(contract)
    announce([seq])
    assert after is not None
    return after


def apply_step(
    connection: Any, row: dict[str, Any], actor: Actor, step: Step, *, ip: str | None = None
) -> tuple[Decision, int]:
    """Decide `step` on the alert `row` (read in this transaction) and write it: the alert's
    change under its version, its event and the audit row, in `connection`'s transaction. The
    decision and the event's sequence number. Raises StepRefused or StaleVersion, having
    written nothing."""
    needs_people = step.action is Action.ASSIGN
    decision = decide(
        alert_of(row),
        actor,
        step,
        known_departments=department_ids() if needs_people else frozenset(),
        people=alert_rows.people(connection, ASSIGNABLE_ROLES) if needs_people else None,
    )
    return decision, write_decision(connection, row, actor.name, decision, step.at, ip=ip)


def apply_system_step(connection: Any, row: dict[str, Any], step: Step) -> tuple[Decision, int]:
    """A step of the system's (clear, an automatic escalation) on the alert `row`, as the actor
    "system": written and audited like a person's. Raises StepRefused or StaleVersion."""
    return apply_step(connection, row, SYSTEM, step)


def write_decision(
    connection: Any,
    row: dict[str, Any],
    actor: str,
    decision: Decision,
    at: datetime,
    *,
    ip: str | None = None,
) -> int:
    """Write a decided step to the alert `row` under the version it was read at, with its
    event and audit row; the event's sequence number. Raises StaleVersion when the alert
    changed since it was read."""
    version = row.get("version") or 1
    if not alert_rows.update_alert(connection, row["id"], version, decision.changes):
        now = (alert_rows.read_alert(connection, row["id"]) or {}).get("version")
        raise StaleVersion(
            "stale",
            f"alert {row['id']} changed since you read it (version {version}, now {now}): "
            "look at its new state and try again",
            seen=version,
            now=now,
        )
    seq = alert_rows.append_event(
        connection,
        alert_id=decision.alert_id,
        action=decision.action.value,
        actor=actor,
        at=at,
        note=decision.note,
        from_state=decision.source.value,
        to_state=decision.target.value,
        detail=_jsonable(decision.detail),
    )
    audit.record(
        connection,
        "alert.change",
        actor=actor,
        target=f"alert:{decision.alert_id}",
        detail={
            "action": decision.action.value,
            "from": decision.source.value,
            "to": decision.target.value,
            "version": decision.changes.get("version", version),
            "seq": seq,
            **_jsonable(decision.detail),
        },
        ip=ip,
        at=at,
    )
    return seq


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in detail.items()}


def refusal_text(refusal: StepRefused, lang: str) -> str:
    """Why a step was refused, in `lang` (the domain's own words for a code without a translation)."""
    return step_refusals.refusal_text("alert", refusal, lang)


__all__ = [
    "Action",
    "AlertNotFound",
    "StaleVersion",
    "StepRefused",
    "apply_step",
    "apply_system_step",
    "make_step",
    "take_step",
]
