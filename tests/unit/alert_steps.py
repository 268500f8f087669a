"""Shared cases for the alert lifecycle tests: a fixed clock, actors on each desk, and helpers to take steps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from domain.alert_lifecycle import (
    Action,
    Alert,
    EscalationPolicy,
    Severity,
    State,
    Step,
    decide,
)
from domain.steps import Actor, Desk

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3)
MINUTE = timedelta(minutes=1)
DEPARTMENTS = frozenset({"fire_rescue", "water", "emergency_management"})
PEOPLE = {"li.wei": "water", "zhao.min": "fire_rescue", "duty2": None}
CENTRE = Actor("duty1", frozenset({Desk.CENTRE}))
FIRE = Actor("fire-head", frozenset({Desk.DEPARTMENT}), "fire_rescue")
WATER = Actor("water-head", frozenset({Desk.DEPARTMENT}), "water")
VIEWER = Actor("viewer", frozenset())
# the table below tests state alone: one actor holding every desk
EVERY_DESK = Actor("duty1", frozenset({Desk.CENTRE, Desk.SYSTEM}))
POLICY = EscalationPolicy({Severity.CRITICAL: timedelta(minutes=5), Severity.WARNING: timedelta(minutes=15)})


def alert(state: State = State.RAISED, **kw) -> Alert:
    values = {"severity": Severity.CRITICAL, "department": "fire_rescue", "cleared_at": None}
    values.update(kw)
    return Alert("A1", state, raised_at=T0, **values)


def step(action: Action, version: int = 1, at: datetime = LATER, **kw) -> Step:
    return Step(action, version, at, **kw)


def take(subject: Alert, actor: Actor, the_step: Step):
    return decide(subject, actor, the_step, known_departments=DEPARTMENTS, people=PEOPLE)


def applied(subject: Alert, decision) -> Alert:
    """The alert as the store holds it after `decision` (what the service will write)."""
    fields = {f.name for f in dataclasses.fields(Alert)}
    changes = {k: v for k, v in decision.changes.items() if k in fields}
    if "state" in changes:
        changes["state"] = State(changes["state"])
    return dataclasses.replace(subject, **changes)


# what each step needs to be complete
COMPLETE = {
    Action.ASSIGN: {"department": "water"},
    Action.ESCALATE: {"note": "no answer from the building manager"},
    Action.RESOLVE: {"note": "burnt toast in flat 302; detector reset"},
    Action.OPEN_CASE: {"case_id": "2026120600044"},
}
