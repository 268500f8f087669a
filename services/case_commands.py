"""Commands that move a case along the closed loop: the domain decides (domain/case_lifecycle.py),
the store writes the case's new state, its event and the audit row in one transaction.

Callers (the Cases page, POST /api/v1/cases/{id}/transitions) build a Step from their input
and call `take_step`; they get the case as it now is, or one of:
  CaseNotFound   no such case within what the caller may read (another department's reads as
                 missing, and the probe is audited)
  StepRefused    the step is not allowed or lacks what it needs; nothing changed
  StaleVersion   (a StepRefused) the case changed since the caller read it: one of two officers
                 acting at once wins, the other is told, and nothing is lost
Every refusal is audited as a denied (or, for a stale version, failed) case.change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.case_lifecycle import (
    Action,
    Actor,
    CaseState,
    Decision,
    Desk,
    RejectReason,
    StaleVersion,
    Status,
    Step,
    StepRefused,
    decide,
    parse_action,
)
from security import audit
from security.guard import requires
from security.principal import Principal
from security.roles import Permission, Role
from security.web_context import client_ip, current_principal
from services import step_refusals
from services.context import get_services
from services.reference import department_ids
from services.step_refusals import audit_refusal
from store import case_rows
from store.engine import begin_write

# The desk each role acts from (a role that may act but is not here acts from none).
DESKS = {Role.DUTY_OFFICER: Desk.CENTRE, Role.DEPARTMENT_HEAD: Desk.DEPARTMENT}


class CaseNotFound(LookupError):
    """No such case within what the caller may read."""


def actor_of(principal: Principal) -> Actor:
    desks = frozenset(DESKS[role] for role in principal.roles if role in DESKS)
    return Actor(principal.name, desks, principal.department)


def state_of(row: dict[str, Any]) -> CaseState:
    """The domain's view of a store row. A status the loop does not know (a foreign system's,
    in a store others write) is refused as a wrong status rather than guessed."""
    try:
        status = Status(row["status"])
    except ValueError:
        raise StepRefused(
            "unknown_status", f"case {row['id']} has a status the loop does not know: {row['status']!r}"
        ) from None
    return CaseState(
        id=row["id"],
        status=status,
        channel=row["channel"],
        department=row["department"],
        reported_at=row["reported_at"],
        version=row.get("version") or 1,
        reopen_count=row.get("reopen_count") or 0,
    )


def in_scope(principal: Principal, row: dict[str, Any]) -> bool:
    own = principal.scoped_department
    return own is None or row.get("department") == own


def make_step(
    action: object,
    version: object,
    *,
    note: object = None,
    department: object = None,
    satisfaction: object = None,
    reason: object = None,
    duplicate_of: object = None,
    at: datetime | None = None,
) -> Step:
    """A Step from untrusted input (a callback's values, a JSON body): wrong types and unknown
    values are refused with a StepRefused naming them, never passed on."""
    parsed = parse_action(action)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StepRefused("bad_version", "version: the case's version as read, a whole number from 1")
    texts = {"note": note, "department": department, "duplicate_of": duplicate_of}
    for name, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise StepRefused("bad_field", f"{name}: text expected", field=name)
    if satisfaction is not None and (isinstance(satisfaction, bool) or not isinstance(satisfaction, int)):
        raise StepRefused("satisfaction_range", "the satisfaction score is a whole number from 1 to 5")
    try:
        why = RejectReason(reason) if reason not in (None, "") else None
    except ValueError:
        raise StepRefused("reason_unknown", "reason: invalid or duplicate") from None
    return Step(
        action=parsed,
        version=version,
        at=at or datetime.now(UTC),
        note=note,  # type: ignore[arg-type]
        department=department or None,  # type: ignore[arg-type]
        satisfaction=satisfaction,  # type: ignore[arg-type]
        reason=why,
        duplicate_of=duplicate_of,  # type: ignore[arg-type]
    )


@requires(Permission.ACT)
def take_step(case_id: str, step: Step) -> dict[str, Any]:
    """Apply `step` to case `case_id` as the current principal; the case's row as it now is.
    Raises CaseNotFound, StepRefused or StaleVersion (see the module's docstring)."""
    principal = current_principal()
    services = get_services()
    row: dict[str, Any] | None = None
    try:
        with begin_write(services.engine) as connection:
            row = case_rows.read_case(connection, case_id)
            if row is None or not in_scope(principal, row):
                raise CaseNotFound(case_id)
            apply_step(connection, row, actor_of(principal), step, ip=client_ip())
            after = case_rows.read_case(connection, case_id)
    except (CaseNotFound, StepRefused) as error:
        audit_refusal("case", case_id, step.action.value, error, principal, exists=row is not None)
        raise
    services.snapshots.expire("cases")
    services.snapshots.expire("case_events")
    assert after is not None
    return after


def apply_step(
    connection: Any, row: dict[str, Any], actor: Actor, step: Step, *, ip: str | None = None
) -> Decision:
    """Decide `step` on the case `row` (read in this transaction) and write it: the case's new
    state under its version, its event and the audit row, all in `connection`'s transaction.
    For callers that are not a request (the demo park's simulator) as well as take_step.
    Raises StepRefused or StaleVersion, having written nothing."""
    decision = decide(
        state_of(row),
        actor,
        step,
        known_departments=department_ids(),
        case_exists=lambda other: case_rows.case_exists(connection, other),
    )
    if not case_rows.update_case(connection, row["id"], row.get("version") or 1, decision.changes):
        raise _stale(connection, row["id"], step.version)
    _record(connection, actor.name, decision, step, ip)
    return decision


def _stale(connection: Any, case_id: str, seen: int) -> StaleVersion:
    now = (case_rows.read_case(connection, case_id) or {}).get("version")
    return StaleVersion(
        "stale",
        f"case {case_id} changed since you read it (version {seen}, now {now}): look at its new state and try again",
        seen=seen,
        now=now,
    )


def _record(connection: Any, actor: str, decision: Decision, step: Step, ip: str | None) -> None:
    detail = {**decision.detail}
    case_rows.append_event(
        connection,
        case_id=decision.case_id,
        action=decision.action.value,
        actor=actor,
        at=step.at,
        note=decision.note,
        from_status=decision.source.value,
        to_status=decision.target.value,
        detail=detail,
    )
    audit.record(
        connection,
        "case.change",
        actor=actor,
        target=f"case:{decision.case_id}",
        detail={
            "action": decision.action.value,
            "from": decision.source.value,
            "to": decision.target.value,
            "version": decision.changes["version"],
            **detail,
        },
        ip=ip,
        at=step.at,
    )


__all__ = ["Action", "CaseNotFound", "StaleVersion", "StepRefused", "make_step", "take_step"]


def refusal_text(refusal: StepRefused, lang: str) -> str:
    """Why a step was refused, in `lang` (the domain's own words for a code without a translation)."""
    return step_refusals.refusal_text("case", refusal, lang)
