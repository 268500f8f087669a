"""What the closed loop of a case (domain/case_lifecycle.py) and the lifecycle of an alert
(domain/alert_lifecycle.py) share: the desks people act from and who acts, a refused step (a
code and values for the message, nothing changed), the optimistic version check and notes.

Each lifecycle names its subject (`noun`: "case", "alert") so one rule reads the same in both,
and its refusals are catalogued as `<noun>_refusal.<code>` (locales/)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

NOTE_MAX = 2000


class Desk(StrEnum):
    CENTRE = "centre"  # the command centre's duty officers
    DEPARTMENT = "department"  # a handling department, for its own cases and alerts only
    SYSTEM = "system"  # the worker: raises and clears alerts, escalates them when nobody answers


class StepRefused(ValueError):
    """A step that may not be taken; nothing changed. `code` names the rule that refused it
    (the message catalogue has `case_refusal.<code>` or `alert_refusal.<code>`), `values` fill
    its placeholders."""

    def __init__(self, code: str, message: str, **values: Any) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


class StaleVersion(StepRefused):
    """The subject changed since the caller read it (another officer acted first)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step: a name for the record, the desks they may act from, and for the
    department desk, their department."""

    name: str
    desks: frozenset[Desk]
    department: str | None = None


E = TypeVar("E", bound=StrEnum)


def parse_choice(kind: type[E], value: object, code: str, field: str) -> E:
    """A member of `kind` from untrusted input; StepRefused(code) naming the value otherwise."""
    try:
        return kind(str(value))
    except ValueError:
        text = str(value)[:40]
        raise StepRefused(code, f"unknown {field} {text!r}", **{field: text}) from None


def check_version(noun: str, subject_id: str, seen: int, now: int) -> None:
    """Raise StaleVersion when the version the asker saw is not the subject's current one."""
    if seen != now:
        raise StaleVersion(
            "stale",
            f"{noun} {subject_id} changed since you read it (version {seen}, now {now}): "
            "look at its new state and try again",
            seen=seen,
            now=now,
        )


def check_time(noun: str, subject_id: str, at: datetime, start: datetime, code: str, event: str) -> None:
    """A step's time is timezone-aware (ValueError: a caller's bug) and not before `start`
    (StepRefused(code): a step cannot precede its subject's `event`)."""
    if at.tzinfo is None:
        raise ValueError("step times are timezone-aware")
    if at < start:
        raise StepRefused(code, f"a step cannot precede the {event} of {noun} {subject_id}")


def refusal_of_who(
    noun: str,
    subject_id: str,
    status: str,
    department: str | None,
    actor: Actor,
    action: str,
    sources: Iterable[str],
    desks: frozenset[Desk],
) -> StepRefused | None:
    """Why `actor` may not take `action` on a subject in `status` owned by `department`, or
    None: the step must start from one of `sources`, be one of the actor's desks' steps, and
    a department acts only on what is its own."""
    article = "an" if noun[:1] in "aeiou" else "a"
    if status not in sources:
        allowed = ", ".join(sorted(sources))
        return StepRefused(
            "wrong_status",
            f"{article} {noun} that is {status} cannot be given '{action}' (only from: {allowed})",
            action=action,
            status=status,
            allowed=allowed,
        )
    shared = desks & actor.desks
    if not shared:
        return StepRefused("not_your_step", f"your role may not '{action}' {article} {noun}", action=action)
    if shared == {Desk.DEPARTMENT} and (actor.department is None or department != actor.department):
        return StepRefused(
            "not_your_department",
            f"{noun} {subject_id} belongs to another department",
            department=department or "",
        )
    return None


def clean_note(action: str, note: str | None, *, needed: bool) -> str | None:
    """The note stripped (None when blank); StepRefused when a needed note is missing or a
    note is longer than NOTE_MAX."""
    text = (note or "").strip() or None
    if needed and text is None:
        raise StepRefused("note_needed", f"'{action}' needs a note saying why", action=action)
    if text is not None and len(text) > NOTE_MAX:
        raise StepRefused("note_too_long", f"a note has at most {NOTE_MAX} characters", limit=NOTE_MAX)
    return text
