"""The closed loop of a case (闭环管理): its states, the steps between them, who may take each
step and what each step needs. Plain Python: services/case_commands.py applies a decided step
to the store in one transaction with its audit record.

    reported ─accept─▶ accepted ─dispatch─▶ dispatched ─start─▶ in_progress ─handle─▶ handled
        │                 │  ▲                  │ ▲                │                    │
        │                 │  └──── dispatch ── returned ◀─return──┘                     verify
        └─reject──────────┴──reject─▶ rejected   (a department sends a case back)        ▼
                                                                     closed ◀─close─ verified
    reopen: handled / verified / closed ─▶ dispatched (the resident is not satisfied; a repeat)

Two desks act on cases: the command centre (duty officers: accept, dispatch anywhere, verify,
close, reopen, reject, and record a department's progress on its behalf) and a department
(its head: start, handle, return, and dispatch within the department only). Verification and
closing stay with the centre, so no department signs off its own work.

`decide` raises StepRefused (a code and values for the message, nothing changed) or returns
the Decision: the fields to write and the event to append."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Desk, Actor, NOTE_MAX and the refusals are shared with the alert lifecycle; they are named
# here too because callers of the closed loop import them from it.
from domain.steps import NOTE_MAX as NOTE_MAX
from domain.steps import Actor as Actor
from domain.steps import Desk as Desk
from domain.steps import StaleVersion as StaleVersion
from domain.steps import StepRefused as StepRefused
from domain.steps import check_time, check_version, clean_note, parse_choice, refusal_of_who


class Status(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    RETURNED = "returned"
    REJECTED = "rejected"


# Statuses in which a case is finished: no clock runs and only `reopen` (of a closed one) applies.
FINISHED = frozenset({Status.CLOSED, Status.REJECTED})
OPEN = frozenset(Status) - FINISHED


class Action(StrEnum):
    ACCEPT = "accept"
    DISPATCH = "dispatch"
    START = "start"
    HANDLE = "handle"
    VERIFY = "verify"
    CLOSE = "close"
    RETURN = "return"
    REOPEN = "reopen"
    REJECT = "reject"


class RejectReason(StrEnum):
    INVALID = "invalid"  # not a case: no problem found, out of the park, a prank
    DUPLICATE = "duplicate"  # the same problem as an earlier case (named by its id)


# Channels whose reporter is called back, so a case cannot close without their score (回访).
CALLBACK_CHANNELS = frozenset({"hotline_12345"})
SATISFACTION = range(1, 6)


@dataclass(frozen=True, slots=True)
class Rule:
    """One step: from which statuses, to which, by which desks, needing what."""

    sources: frozenset[Status]
    target: Status
    desks: frozenset[Desk]
    needs_note: bool = False
    # the case's time column this step sets (the stage it ends), if any
    stamps: str | None = None


C, D = Desk.CENTRE, Desk.DEPARTMENT
RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(frozenset({Status.REPORTED}), Status.ACCEPTED, frozenset({C}), stamps="accepted_at"),
    Action.DISPATCH: Rule(
        frozenset({Status.ACCEPTED, Status.RETURNED}),
        Status.DISPATCHED,
        frozenset({C, D}),
        stamps="dispatched_at",
    ),
    Action.START: Rule(
        frozenset({Status.DISPATCHED}), Status.IN_PROGRESS, frozenset({C, D}), stamps="in_progress_at"
    ),
    Action.HANDLE: Rule(
        frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
        Status.HANDLED,
        frozenset({C, D}),
        stamps="handled_at",
    ),
    Action.VERIFY: Rule(frozenset({Status.HANDLED}), Status.VERIFIED, frozenset({C}), stamps="verified_at"),
    Action.CLOSE: Rule(frozenset({Status.VERIFIED}), Status.CLOSED, frozenset({C}), stamps="closed_at"),
    Action.RETURN: Rule(
        frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
        Status.RETURNED,
        frozenset({C, D}),
        needs_note=True,
    ),
    Action.REOPEN: Rule(
        frozenset({Status.HANDLED, Status.VERIFIED, Status.CLOSED}),
        Status.DISPATCHED,
        frozenset({C}),
        needs_note=True,
        stamps="dispatched_at",
    ),
    Action.REJECT: Rule(
        frozenset({Status.REPORTED, Status.ACCEPTED, Status.RETURNED}),
        Status.REJECTED,
        frozenset({C}),
        needs_note=True,
    ),
}
# What a reopened case forgets: it is handled, verified and closed again.
REOPEN_CLEARS = ("handled_at", "verified_at", "closed_at", "satisfaction")


@dataclass(frozen=True, slots=True)
class CaseState:
    """What the loop needs to know of a case (a row of the store's cases table)."""

    id: str
    status: Status
    channel: str
    department: str | None
    reported_at: datetime
    version: int = 1
    reopen_count: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """A step asked for. `version` is the case's version the asker saw (optimistic locking)."""

    action: Action
    version: int
    at: datetime
    note: str | None = None
    department: str | None = None  # dispatch: where to
    satisfaction: int | None = None  # close: the reporter's score 1-5
    reason: RejectReason | None = None  # reject: why
    duplicate_of: str | None = None  # reject as duplicate: the earlier case's id


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided step: the case's new field values (status, the stage's time, version…) and
    the event to append to its audit trail."""

    case_id: str
    action: Action
    source: Status
    target: Status
    changes: dict[str, Any]
    note: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def parse_action(value: object) -> Action:
    """An Action from untrusted input; StepRefused('unknown_action') for anything else."""
    return parse_choice(Action, value, "unknown_action", "action")


def allowed_actions(case: CaseState, actor: Actor) -> list[Action]:
    """The steps `actor` may try on `case` in its current status (what a page offers as
    buttons; `decide` still checks what each step needs)."""
    return [action for action in Action if _refusal_of_who(case, actor, action) is None]


def _refusal_of_who(case: CaseState, actor: Actor, action: Action) -> StepRefused | None:
    rule = RULES[action]
    sources = {status.value for status in rule.sources}
    return refusal_of_who(
        "case", case.id, case.status.value, case.department, actor, action.value, sources, rule.desks
    )


def decide(
    case: CaseState,
    actor: Actor,
    step: Step,
    *,
    known_departments: frozenset[str] | set[str],
    case_exists: Any = None,
) -> Decision:
    """Decide `step` on `case` by `actor`. `known_departments` are the ids a case may be
    dispatched to; `case_exists(id) -> bool` checks the earlier case a duplicate names.
    Raises StaleVersion when step.version is not the case's, StepRefused for any other reason."""
    check_version("case", case.id, step.version, case.version)
    refusal = _refusal_of_who(case, actor, step.action)
    if refusal is not None:
        raise refusal
    check_time("case", case.id, step.at, case.reported_at, "before_report", "report")
    rule = RULES[step.action]
    note = clean_note(step.action.value, step.note, needed=rule.needs_note)
    changes: dict[str, Any] = {"status": rule.target.value, "status_at": step.at, "version": case.version + 1}
    if rule.stamps:
        changes[rule.stamps] = step.at
    detail: dict[str, Any] = {}
    if step.action is Action.DISPATCH:
        changes["department"] = detail["department"] = _dispatch_target(case, actor, step, known_departments)
    elif step.action is Action.CLOSE:
        score = _satisfaction(case, step)
        if score is not None:
            changes["satisfaction"] = detail["satisfaction"] = score
    elif step.action is Action.REOPEN:
        changes.update(dict.fromkeys(REOPEN_CLEARS))
        changes["reopen_count"] = case.reopen_count + 1
    elif step.action is Action.REJECT:
        detail.update(_rejection(case, step, case_exists))
        if detail.get("duplicate_of"):
            changes["repeat_of"] = detail["duplicate_of"]
    return Decision(case.id, step.action, case.status, rule.target, changes, note, detail)


def _dispatch_target(case: CaseState, actor: Actor, step: Step, known: frozenset[str] | set[str]) -> str:
    target = step.department or (case.department if Desk.CENTRE not in actor.desks else None)
    if not target:
        raise StepRefused("department_needed", "dispatching needs the department to send the case to")
    if target not in known:
        raise StepRefused("unknown_department", f"unknown department {target[:32]!r}", department=target[:32])
    if Desk.CENTRE not in actor.desks and target != actor.department:
        # a department may only route its own cases inside itself; the centre sends them elsewhere
        raise StepRefused(
            "dispatch_outside_department",
            f"a department may dispatch only within itself ({actor.department}), not to {target}",
            department=target,
        )
    return target


def _satisfaction(case: CaseState, step: Step) -> int | None:
    score = step.satisfaction
    if score is None:
        if case.channel in CALLBACK_CHANNELS:
            raise StepRefused(
                "satisfaction_needed",
                "a hotline case closes only with the reporter's satisfaction score (1-5) from the callback",
            )
        return None
    if isinstance(score, bool) or not isinstance(score, int) or score not in SATISFACTION:
        raise StepRefused("satisfaction_range", "the satisfaction score is a whole number from 1 to 5")
    return score


def _rejection(case: CaseState, step: Step, case_exists: Any) -> dict[str, Any]:
    if step.reason is None:
        raise StepRefused("reason_needed", "rejecting needs a reason: invalid or duplicate")
    if step.reason is RejectReason.INVALID:
        return {"reason": step.reason.value}
    other = (step.duplicate_of or "").strip()
    if not other:
        raise StepRefused("duplicate_needed", "a duplicate names the earlier case it repeats")
    if other == case.id:
        raise StepRefused("duplicate_of_itself", "a case cannot be a duplicate of itself")
    if case_exists is None or not case_exists(other):
        raise StepRefused(
            "duplicate_unknown", f"no case {other[:64]!r} to be a duplicate of", case=other[:64]
        )
    return {"reason": step.reason.value, "duplicate_of": other}
