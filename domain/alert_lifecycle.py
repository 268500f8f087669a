"""The lifecycle of an alert: its states, the steps between them, who may take each step and
what each step needs. Plain Python, read like the closed loop of a case (domain/case_lifecycle.py,
sharing domain/steps.py): services apply a decided step to the store in one transaction with
its audit record (`alert.change`).

    raised → acknowledged → assigned → escalated → resolved → closed, step by step:

    step         from                                       to            by
    acknowledge  raised, escalated                          acknowledged  centre, department
    assign       raised, acknowledged, assigned, escalated  assigned      centre, department (within it)
    escalate     raised, acknowledged, assigned             escalated     centre, department (with a
                                                                          note); system (unacknowledged)
    resolve      raised, acknowledged, assigned, escalated  resolved      centre, department (with a note)
    close        resolved, once cleared                     closed        centre
    open_case    every state but closed                     (kept)        centre
    clear        every state but closed                     (kept)        system

A department acts only on its own alerts (`department`: the sensor's owner when raised, the
assignee's after an assignment); closing and opening a case stay with the centre, so no
department signs off its own alert. Assigning, resolving, escalating by hand and opening a case
acknowledge an alert nobody has acknowledged yet (its acknowledged time and owner are stamped,
and a raised alert given a case becomes acknowledged): whoever acts on it has seen it.
`open_case` records the case the service opened with the case commands, once. `clear` is the
system's: the rule's condition is back to normal; the alert stays for people to finish and
closes only once cleared (closing it while the condition holds would only raise a new one).
The system raises alerts (`raised_row`) and escalates those nobody acknowledged in time
(`due_escalations`). The version counts people's and the system's steps; a condition's change
(a new peak, its severity, clearing) does not, so no officer is sent back by a reading.

`decide` raises StepRefused (a code, `alert_refusal.<code>` in the catalogues) or returns the
Decision: the fields to write and the event to record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.steps import (
    Actor,
    Desk,
    StepRefused,
    check_time,
    check_version,
    clean_note,
    parse_choice,
    refusal_of_who,
)


class State(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


# States in which someone still has to act (the feed's "open" alerts).
OPEN = frozenset(State) - {State.RESOLVED, State.CLOSED}


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    CLOSE = "close"
    OPEN_CASE = "open_case"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class Rule:
    """One step: from which states, to which (None: the state stays), by which desks,
    needing what, stamping which time column."""

    sources: frozenset[State]
    target: State | None
    desks: frozenset[Desk]
    needs_note: bool = False
    stamps: str | None = None
    acknowledges: bool = False  # also acknowledges an alert nobody acknowledged
    counts: bool = True  # bumps the version (a condition's change does not)


C, D, S = Desk.CENTRE, Desk.DEPARTMENT, Desk.SYSTEM
_WORKED = frozenset({State.RAISED, State.ACKNOWLEDGED, State.ASSIGNED, State.ESCALATED})
RULES: dict[Action, Rule] = {
    Action.ACKNOWLEDGE: Rule(
        frozenset({State.RAISED, State.ESCALATED}),
        State.ACKNOWLEDGED,
        frozenset({C, D}),
        stamps="acknowledged_at",
    ),
    Action.ASSIGN: Rule(_WORKED, State.ASSIGNED, frozenset({C, D}), stamps="assigned_at", acknowledges=True),
    # a person escalates with a note saying why; the system when nobody acknowledged in time
    Action.ESCALATE: Rule(
        frozenset({State.RAISED, State.ACKNOWLEDGED, State.ASSIGNED}),
        State.ESCALATED,
        frozenset({C, D, S}),
        stamps="escalated_at",
        acknowledges=True,
    ),
    Action.RESOLVE: Rule(
        _WORKED, State.RESOLVED, frozenset({C, D}), needs_note=True, stamps="resolved_at", acknowledges=True
    ),
    Action.CLOSE: Rule(frozenset({State.RESOLVED}), State.CLOSED, frozenset({C}), stamps="closed_at"),
    Action.OPEN_CASE: Rule(_WORKED | {State.RESOLVED}, None, frozenset({C}), acknowledges=True),
    Action.CLEAR: Rule(
        frozenset(State) - {State.CLOSED}, None, frozenset({S}), stamps="cleared_at", counts=False
    ),
}


@dataclass(frozen=True, slots=True)
class Alert:
    """What the lifecycle needs to know of an alert (a row of the store's alerts table).
    `department` answers the alert: the sensor's owner when raised, the assignee's later."""

    id: str
    state: State
    severity: Severity
    raised_at: datetime
    department: str | None = None
    version: int = 1
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    cleared_at: datetime | None = None
    owner: str | None = None
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """A step asked for. `version` is the alert's version the asker saw (optimistic locking)."""

    action: Action
    version: int
    at: datetime
    note: str | None = None
    assignee: str | None = None  # assign: a person (user name), or
    department: str | None = None  # assign: a department
    case_id: str | None = None  # open_case: the case the service opened


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided step: the alert's new field values and the event to record."""

    alert_id: str
    action: Action
    source: State
    target: State
    changes: dict[str, Any]
    note: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """How long an alert of each severity may stay unacknowledged before the system escalates
    it; a severity not named never escalates by itself."""

    after: Mapping[Severity, timedelta]


SYSTEM = Actor("system", frozenset({Desk.SYSTEM}))


def parse_action(value: object) -> Action:
    """An Action from untrusted input; StepRefused('unknown_action') for anything else."""
    return parse_choice(Action, value, "unknown_action", "action")


def raised_row(alert_id: str, *, severity: Severity, at: datetime, department: str | None) -> dict[str, Any]:
    """The lifecycle's fields of a new alert the system raises (the rule's fields, value and
    threshold come from domain/alert_rules.Raise)."""
    if at.tzinfo is None:
        raise ValueError("alert times are timezone-aware")
    return {
        "id": alert_id,
        "state": State.RAISED.value,
        "severity": severity.value,
        "raised_at": at,
        "department": department,
        "version": 1,
    }


def allowed_actions(alert: Alert, actor: Actor) -> list[Action]:
    """The steps `actor` may try on `alert` in its current state (what a page offers as
    buttons and shortcuts; `decide` still checks what each step needs)."""
    return [action for action in Action if _refusal(alert, actor, action) is None]


def _refusal(alert: Alert, actor: Actor, action: Action) -> StepRefused | None:
    rule = RULES[action]
    sources = {state.value for state in rule.sources}
    refusal = refusal_of_who(
        "alert", alert.id, alert.state.value, alert.department, actor, action.value, sources, rule.desks
    )
    if refusal is not None:
        return refusal
    if action is Action.OPEN_CASE and alert.case_id is not None:
        return StepRefused(
            "case_linked", f"alert {alert.id} is already linked to case {alert.case_id}", case=alert.case_id
        )
    if action is Action.CLEAR and alert.cleared_at is not None:
        return StepRefused("already_cleared", f"alert {alert.id} has cleared already")
    if action is Action.CLOSE and alert.cleared_at is None:
        # closing an alert whose condition still holds would only raise a new one at the next reading
        return StepRefused(
            "still_active", f"alert {alert.id} is still active: it closes once its readings are normal"
        )
    return None


def decide(
    alert: Alert,
    actor: Actor,
    step: Step,
    *,
    known_departments: frozenset[str] | set[str] = frozenset(),
    people: Mapping[str, str | None] | None = None,
) -> Decision:
    """Decide `step` on `alert` by `actor`. `known_departments` are the departments an alert may
    be assigned to, `people` the persons (user name → their department or None). Raises
    StaleVersion when step.version is not the alert's, StepRefused for any other reason."""
    check_version("alert", alert.id, step.version, alert.version)
    refusal = _refusal(alert, actor, step.action)
    if refusal is not None:
        raise refusal
    check_time("alert", alert.id, step.at, alert.raised_at, "before_raise", "raising")
    rule = RULES[step.action]
    system = actor.desks == {Desk.SYSTEM}
    if step.action is Action.ESCALATE and system and alert.acknowledged_at is not None:
        raise StepRefused(
            "acknowledged", f"alert {alert.id} was acknowledged: it does not escalate by itself"
        )
    by_hand_escalation = step.action is Action.ESCALATE and not system
    note = clean_note(step.action.value, step.note, needed=rule.needs_note or by_hand_escalation)
    target = rule.target or alert.state
    if step.action is Action.OPEN_CASE and alert.state is State.RAISED:
        target = State.ACKNOWLEDGED
    changes: dict[str, Any] = {}
    if rule.counts:
        changes["version"] = alert.version + 1
    if target is not alert.state:
        changes["state"] = target.value
    if rule.stamps:
        changes[rule.stamps] = step.at
    if step.action is Action.ACKNOWLEDGE:
        changes["owner"] = actor.name  # an escalated alert is taken up by whoever acknowledges it
    elif rule.acknowledges and alert.acknowledged_at is None and not system:
        changes["acknowledged_at"] = step.at
        changes["owner"] = actor.name
    detail: dict[str, Any] = {}
    if step.action is Action.ASSIGN:
        detail = _assignment(alert, actor, step, known_departments, people or {})
        changes.update(detail)
    elif step.action is Action.OPEN_CASE:
        case_id = (step.case_id or "").strip()
        if not case_id:
            raise StepRefused("case_needed", "opening a case needs the id of the case opened")
        changes["case_id"] = detail["case_id"] = case_id
    elif step.action is Action.ESCALATE:
        detail["automatic"] = system
    return Decision(alert.id, step.action, alert.state, target, changes, note, detail)


def _assignment(
    alert: Alert, actor: Actor, step: Step, known: frozenset[str] | set[str], people: Mapping[str, str | None]
) -> dict[str, Any]:
    """The owner and department an assignment sets: a person (who answers for it, in their own
    department if they have one) or a department (its queue: no person yet)."""
    person = (step.assignee or "").strip() or None
    department = (step.department or "").strip() or None
    if person and department:
        raise StepRefused("assignee_both", "assign to a person or to a department, not both")
    if person is None and department is None:
        raise StepRefused("assignee_needed", "assigning needs a person or a department")
    if person is not None:
        if person not in people:
            raise StepRefused(
                "unknown_person", f"no one named {person[:64]!r} may be assigned", person=person[:64]
            )
        department = people[person] or alert.department
    elif department is not None and department not in known:
        raise StepRefused(
            "unknown_department", f"unknown department {department[:32]!r}", department=department[:32]
        )
    if Desk.CENTRE not in actor.desks and department != actor.department:
        # a department hands its alerts on inside itself; the centre sends them elsewhere
        raise StepRefused(
            "assign_outside_department",
            f"a department may assign only within itself ({actor.department}), not to {department}",
            department=department or "",
        )
    return {"owner": person, "department": department}


def due_escalations(alerts: Iterable[Alert], now: datetime, policy: EscalationPolicy) -> list[Decision]:
    """The system's escalations due at `now`: every raised alert nobody has acknowledged for
    longer than its severity allows (counted from its raising), once. Each decision carries the
    alert's version, so applying it fails harmlessly when someone acted in between."""
    if now.tzinfo is None:
        raise ValueError("now is timezone-aware")
    due = []
    for alert in alerts:
        limit = policy.after.get(alert.severity)
        if limit is None or alert.state is not State.RAISED or alert.acknowledged_at is not None:
            continue
        if alert.escalated_at is not None or now - alert.raised_at < limit:
            continue
        step = Step(Action.ESCALATE, alert.version, now)
        decision = decide(alert, SYSTEM, step)
        due.append(replace(decision, detail={**decision.detail, "after_min": limit.total_seconds() / 60}))
    return due
