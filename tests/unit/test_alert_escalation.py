"""The system's escalations of alerts and the lifecycle's invariants under random walks of steps."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

import pytest
from alert_steps import (
    CENTRE,
    COMPLETE,
    FIRE,
    MINUTE,
    POLICY,
    T0,
    VIEWER,
    WATER,
    alert,
    applied,
    step,
    take,
)

from domain.alert_lifecycle import (
    OPEN,
    SYSTEM,
    Action,
    Severity,
    State,
    allowed_actions,
    due_escalations,
)
from domain.steps import StaleVersion, StepRefused

# --- the system's escalations ---------------------------------------------------------------


def test_an_unacknowledged_alert_escalates_once_its_severitys_time_has_passed():
    critical = alert(severity=Severity.CRITICAL)
    warning = dataclasses.replace(alert(severity=Severity.WARNING), id="A2")
    assert due_escalations([critical, warning], T0 + 5 * MINUTE - timedelta(seconds=1), POLICY) == []
    due = due_escalations([critical, warning], T0 + 5 * MINUTE, POLICY)
    assert [d.alert_id for d in due] == ["A1"]
    assert due[0].target is State.ESCALATED
    assert due[0].changes == {"version": 2, "state": "escalated", "escalated_at": T0 + 5 * MINUTE}
    assert due[0].detail == {"automatic": True, "after_min": 5.0}
    assert due[0].note is None
    assert [d.alert_id for d in due_escalations([critical, warning], T0 + 15 * MINUTE, POLICY)] == [
        "A1",
        "A2",
    ]


def test_an_acknowledged_or_already_escalated_alert_does_not_escalate_by_itself():
    late = T0 + timedelta(hours=2)
    acked = alert(State.ACKNOWLEDGED, acknowledged_at=T0 + MINUTE, owner="duty1")
    escalated = applied(alert(), due_escalations([alert()], T0 + 5 * MINUTE, POLICY)[0])
    resolved = alert(State.RESOLVED, acknowledged_at=T0, owner="duty1")
    assert due_escalations([acked, escalated, resolved], late, POLICY) == []
    # and the system may not escalate an acknowledged one even when asked directly
    with pytest.raises(StepRefused) as refused:
        take(acked, SYSTEM, step(Action.ESCALATE))
    assert refused.value.code == "acknowledged"


def test_a_severity_without_a_time_never_escalates_by_itself():
    info = alert(severity=Severity.INFO)
    assert due_escalations([info], T0 + timedelta(days=3), POLICY) == []


def test_an_escalation_decided_before_an_officer_acknowledged_is_stale_when_applied():
    due = due_escalations([alert()], T0 + 6 * MINUTE, POLICY)[0]
    acked = applied(alert(), take(alert(), CENTRE, step(Action.ACKNOWLEDGE, at=T0 + 5 * MINUTE)))
    # the service applies the system's step under the version it was decided on
    with pytest.raises(StaleVersion):
        take(acked, SYSTEM, step(Action.ESCALATE, due.changes["version"] - 1, at=T0 + 6 * MINUTE))


def test_due_escalations_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_escalations([alert()], datetime(2026, 12, 6, 9, 0), POLICY)  # noqa: DTZ001


# --- property-style: random walks of people's and the system's steps ------------------------

ACTORS = (CENTRE, FIRE, WATER, VIEWER, SYSTEM)


@pytest.mark.parametrize("seed", range(60))
def test_random_walks_keep_the_lifecycles_invariants(seed):
    rng = random.Random(seed)
    state = alert(severity=rng.choice(list(Severity)))
    at = T0
    counted = 1
    for _ in range(40):
        at += timedelta(seconds=rng.randint(0, 600))
        actor = rng.choice(ACTORS)
        action = rng.choice(list(Action))
        needs = dict(COMPLETE.get(action, {}))
        if action is Action.ASSIGN:
            needs = rng.choice(
                [{"department": "fire_rescue"}, {"assignee": "zhao.min"}, {"assignee": "li.wei"}]
            )
        offered = action in allowed_actions(state, actor)
        try:
            decision = take(state, actor, step(action, state.version, at, **needs))
        except StepRefused:
            continue
        # whatever decide accepts, the page offered (what it needs aside)
        assert offered, (state, actor, action)
        counted += "version" in decision.changes
        state = applied(state, decision)
        assert state.version == counted
        if actor is not SYSTEM:  # an alert a person acted on has been acknowledged
            assert state.acknowledged_at is not None
        for stamp in ("acknowledged_at", "escalated_at", "cleared_at"):
            value = getattr(state, stamp)
            assert value is None or T0 <= value <= at
        if state.state is State.CLOSED:
            assert state.cleared_at is not None
            assert all(allowed_actions(state, who) == [] for who in ACTORS)
            break
    assert state.state in set(State)
    assert (state.state in OPEN) is (state.state not in {State.RESOLVED, State.CLOSED})
