"""The lifecycle of an alert (domain/alert_lifecycle.py): every legal and illegal step, who may take it and what it needs."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from alert_steps import (
    CENTRE,
    COMPLETE,
    EVERY_DESK,
    FIRE,
    LATER,
    MINUTE,
    T0,
    VIEWER,
    WATER,
    alert,
    applied,
    step,
    take,
)

from domain.alert_lifecycle import (
    RULES,
    SYSTEM,
    Action,
    Severity,
    State,
    allowed_actions,
    parse_action,
    raised_row,
)
from domain.steps import StaleVersion, StepRefused

PAIRS = [(state, action) for state in State for action in Action]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_each_step_is_legal_exactly_from_its_states(state, action):
    rule = RULES[action]
    # cleared, so that closing is judged on state alone; not cleared, so that clearing is
    subject = alert(state, cleared_at=None if action is Action.CLEAR else T0 + MINUTE)
    the_step = step(action, **COMPLETE.get(action, {}))
    if state in rule.sources:
        decision = take(subject, EVERY_DESK, the_step)
        expected = rule.target or (
            State.ACKNOWLEDGED if action is Action.OPEN_CASE and state is State.RAISED else state
        )
        assert decision.target is expected
        assert decision.changes.get("state", state.value) == expected.value
        assert decision.changes.get("version") == (2 if rule.counts else None)
        if rule.stamps:
            assert decision.changes[rule.stamps] == LATER
    else:
        with pytest.raises(StepRefused) as refused:
            take(subject, EVERY_DESK, the_step)
        assert refused.value.code == "wrong_status"
        assert state.value in str(refused.value)


def test_the_whole_lifecycle_from_raised_to_closed():
    state = alert()
    path = [
        (CENTRE, Action.ACKNOWLEDGE, {}),
        (CENTRE, Action.ASSIGN, {"assignee": "zhao.min"}),
        (FIRE, Action.ESCALATE, {"note": "the fire spreads to the next block"}),
        (CENTRE, Action.ACKNOWLEDGE, {}),
        (CENTRE, Action.OPEN_CASE, {"case_id": "2026120600044"}),
        (FIRE, Action.RESOLVE, {"note": "put out; the owner repairs the kitchen"}),
        (SYSTEM, Action.CLEAR, {}),
        (CENTRE, Action.CLOSE, {}),
    ]
    at = T0
    for actor, action, needs in path:
        at += MINUTE
        state = applied(state, take(state, actor, step(action, state.version, at, **needs)))
    assert state.state is State.CLOSED
    assert state.version == 8  # seven counted steps; clearing is the condition's, not a step
    assert state.case_id == "2026120600044"
    assert state.owner == "duty1"  # who took the escalated alert up
    assert state.acknowledged_at == T0 + 4 * MINUTE
    assert state.escalated_at == T0 + 3 * MINUTE
    assert state.cleared_at == T0 + 7 * MINUTE
    assert allowed_actions(state, CENTRE) == []


@pytest.mark.parametrize("action", [Action.ACKNOWLEDGE, Action.ASSIGN, Action.ESCALATE, Action.RESOLVE])
def test_a_department_head_works_their_own_departments_alerts_only(action):
    the_step = step(action, **{**COMPLETE.get(action, {}), "department": None, "assignee": "zhao.min"})
    if action is not Action.ASSIGN:
        the_step = dataclasses.replace(the_step, assignee=None)
    assert take(alert(), FIRE, the_step).target
    with pytest.raises(StepRefused) as refused:
        take(alert(), WATER, the_step)
    assert refused.value.code == "not_your_department"


@pytest.mark.parametrize("action", [Action.CLOSE, Action.OPEN_CASE])
def test_closing_and_opening_a_case_stay_with_the_centre(action):
    source = State.RESOLVED
    with pytest.raises(StepRefused) as refused:
        take(alert(source, cleared_at=LATER), FIRE, step(action, **COMPLETE.get(action, {})))
    assert refused.value.code == "not_your_step"


@pytest.mark.parametrize("actor", [CENTRE, FIRE, VIEWER])
def test_only_the_system_clears_an_alert(actor):
    with pytest.raises(StepRefused) as refused:
        take(alert(), actor, step(Action.CLEAR))
    assert refused.value.code == "not_your_step"
    assert take(alert(), SYSTEM, step(Action.CLEAR)).changes == {"cleared_at": LATER}


@pytest.mark.parametrize("action", [Action.ACKNOWLEDGE, Action.ASSIGN, Action.RESOLVE, Action.OPEN_CASE])
def test_the_system_takes_no_persons_step(action):
    with pytest.raises(StepRefused) as refused:
        take(alert(), SYSTEM, step(action, **COMPLETE.get(action, {})))
    assert refused.value.code == "not_your_step"


def test_a_viewer_can_take_no_step():
    for state in State:
        assert allowed_actions(alert(state, cleared_at=LATER), VIEWER) == []


def test_allowed_actions_follow_state_and_desk():
    raised = alert()
    assert allowed_actions(raised, CENTRE) == [
        Action.ACKNOWLEDGE,
        Action.ASSIGN,
        Action.ESCALATE,
        Action.RESOLVE,
        Action.OPEN_CASE,
    ]
    assert allowed_actions(raised, FIRE) == [
        Action.ACKNOWLEDGE,
        Action.ASSIGN,
        Action.ESCALATE,
        Action.RESOLVE,
    ]
    assert allowed_actions(raised, WATER) == []
    assert allowed_actions(raised, SYSTEM) == [Action.ESCALATE, Action.CLEAR]
    assert allowed_actions(alert(State.RESOLVED), CENTRE) == [Action.OPEN_CASE]  # not cleared: no close
    assert allowed_actions(alert(State.RESOLVED, cleared_at=LATER), CENTRE) == [
        Action.CLOSE,
        Action.OPEN_CASE,
    ]
    assert allowed_actions(alert(State.ASSIGNED, case_id="C7"), CENTRE) == [
        Action.ASSIGN,
        Action.ESCALATE,
        Action.RESOLVE,
    ]


def test_an_alert_is_assigned_to_a_known_person_or_department_not_both():
    acked = alert(State.ACKNOWLEDGED, acknowledged_at=T0 + MINUTE, owner="duty1")
    for needs, code in [
        ({}, "assignee_needed"),
        ({"assignee": "  ", "department": ""}, "assignee_needed"),
        ({"assignee": "li.wei", "department": "water"}, "assignee_both"),
        ({"assignee": "nobody"}, "unknown_person"),
        ({"department": "mars"}, "unknown_department"),
    ]:
        with pytest.raises(StepRefused) as refused:
            take(acked, CENTRE, step(Action.ASSIGN, **needs))
        assert refused.value.code == code
    to_person = take(acked, CENTRE, step(Action.ASSIGN, assignee="li.wei"))
    assert to_person.changes["owner"] == "li.wei"
    assert to_person.changes["department"] == "water"  # the person's department answers for it now
    to_department = take(acked, CENTRE, step(Action.ASSIGN, department="water"))
    assert to_department.changes["owner"] is None and to_department.changes["department"] == "water"
    # a person without a department (another duty officer) leaves the alert's department as it is
    to_officer = take(acked, CENTRE, step(Action.ASSIGN, assignee="duty2"))
    assert to_officer.changes["department"] == "fire_rescue"


def test_a_department_head_assigning_outside_their_department_is_refused():
    for needs in ({"department": "water"}, {"assignee": "li.wei"}):
        with pytest.raises(StepRefused) as refused:
            take(alert(), FIRE, step(Action.ASSIGN, **needs))
        assert refused.value.code == "assign_outside_department"
    inside = take(alert(), FIRE, step(Action.ASSIGN, assignee="zhao.min"))
    assert inside.changes["owner"] == "zhao.min"


@pytest.mark.parametrize("note", [None, "", "   "])
@pytest.mark.parametrize("action", [Action.RESOLVE, Action.ESCALATE])
def test_resolving_and_escalating_by_hand_need_a_note(action, note):
    with pytest.raises(StepRefused) as refused:
        take(alert(), CENTRE, step(action, note=note))
    assert refused.value.code == "note_needed"


def test_an_over_long_resolution_note_is_refused():
    with pytest.raises(StepRefused) as refused:
        take(alert(), CENTRE, step(Action.RESOLVE, note="x" * 2001))
    assert refused.value.code == "note_too_long"


@pytest.mark.parametrize("action", [Action.ASSIGN, Action.ESCALATE, Action.RESOLVE, Action.OPEN_CASE])
def test_acting_on_an_unacknowledged_alert_acknowledges_it(action):
    decision = take(alert(), CENTRE, step(action, **COMPLETE[action]))
    assert decision.changes["acknowledged_at"] == LATER
    if action is not Action.ASSIGN:
        assert decision.changes["owner"] == "duty1"
    acked = alert(State.ACKNOWLEDGED, acknowledged_at=T0 + MINUTE, owner="duty2")
    again = take(acked, CENTRE, step(action, **COMPLETE[action]))
    assert "acknowledged_at" not in again.changes


def test_acknowledging_makes_the_acknowledger_the_owner():
    decision = take(alert(), FIRE, step(Action.ACKNOWLEDGE))
    assert decision.changes == {
        "version": 2,
        "state": "acknowledged",
        "acknowledged_at": LATER,
        "owner": "fire-head",
    }
    escalated = alert(State.ESCALATED, acknowledged_at=T0, owner="zhao.min", escalated_at=T0 + MINUTE)
    taken = take(escalated, CENTRE, step(Action.ACKNOWLEDGE))
    assert taken.changes["owner"] == "duty1" and taken.target is State.ACKNOWLEDGED


def test_opening_a_case_links_it_once_and_keeps_the_state():
    assigned = alert(State.ASSIGNED, acknowledged_at=T0, owner="zhao.min")
    decision = take(assigned, CENTRE, step(Action.OPEN_CASE, case_id=" 2026120600044 "))
    assert decision.target is State.ASSIGNED and "state" not in decision.changes
    assert decision.changes["case_id"] == decision.detail["case_id"] == "2026120600044"
    with pytest.raises(StepRefused) as refused:
        take(assigned, CENTRE, step(Action.OPEN_CASE, case_id=""))
    assert refused.value.code == "case_needed"
    linked = dataclasses.replace(assigned, case_id="2026120600044")
    with pytest.raises(StepRefused) as refused:
        take(linked, CENTRE, step(Action.OPEN_CASE, case_id="2026120600045"))
    assert refused.value.code == "case_linked"
    assert refused.value.values == {"case": "2026120600044"}


def test_an_alert_closes_only_once_its_condition_has_cleared():
    resolved = alert(State.RESOLVED, acknowledged_at=T0, owner="duty1")
    with pytest.raises(StepRefused) as refused:
        take(resolved, CENTRE, step(Action.CLOSE))
    assert refused.value.code == "still_active"
    cleared = applied(resolved, take(resolved, SYSTEM, step(Action.CLEAR)))
    assert take(cleared, CENTRE, step(Action.CLOSE)).target is State.CLOSED


def test_clearing_keeps_the_state_and_the_version_and_happens_once():
    escalated = alert(State.ESCALATED, version=3)
    decision = take(escalated, SYSTEM, step(Action.CLEAR, 3))
    assert decision.target is State.ESCALATED
    assert decision.changes == {"cleared_at": LATER}
    with pytest.raises(StepRefused) as refused:
        take(applied(escalated, decision), SYSTEM, step(Action.CLEAR, 3))
    assert refused.value.code == "already_cleared"


def test_a_stale_version_is_refused_before_anything_else():
    with pytest.raises(StaleVersion) as refused:
        take(alert(State.CLOSED, version=4), VIEWER, step(Action.ACKNOWLEDGE, 3))
    assert refused.value.code == "stale"
    assert refused.value.values == {"seen": 3, "now": 4}


def test_a_step_before_the_raising_is_refused_and_naive_times_are_a_bug():
    with pytest.raises(StepRefused) as refused:
        take(alert(), CENTRE, step(Action.ACKNOWLEDGE, at=T0 - MINUTE))
    assert refused.value.code == "before_raise"
    with pytest.raises(ValueError, match="timezone-aware"):
        take(alert(), CENTRE, step(Action.ACKNOWLEDGE, at=datetime(2026, 12, 6, 8, 5)))  # noqa: DTZ001


@pytest.mark.parametrize("value", ["ack", "", None, 3, "ACKNOWLEDGE", "raise"])
def test_unknown_actions_are_refused(value):
    with pytest.raises(StepRefused) as refused:
        parse_action(value)
    assert refused.value.code == "unknown_action"


def test_a_raised_row_starts_the_lifecycle():
    row = raised_row("A9", severity=Severity.WARNING, at=T0, department="water")
    assert row == {
        "id": "A9",
        "state": "raised",
        "severity": "warning",
        "raised_at": T0,
        "department": "water",
        "version": 1,
    }
    with pytest.raises(ValueError, match="timezone-aware"):
        raised_row("A9", severity=Severity.WARNING, at=datetime(2026, 12, 6), department=None)  # noqa: DTZ001


def test_every_refusal_state_severity_and_action_is_in_both_catalogues():
    import re
    import string
    from pathlib import Path

    from locales import catalogue

    root = Path(__file__).resolve().parents[2] / "domain"
    source = (root / "alert_lifecycle.py").read_text(encoding="utf-8") + (root / "steps.py").read_text(
        encoding="utf-8"
    )
    codes = set(re.findall(r"(?:StepRefused|StaleVersion)\(\s*\"([a-z_]+)\"", source)) | {"unknown_action"}
    keys = {f"alert_refusal.{code}" for code in codes}
    keys |= {f"alert_state.{s.value}" for s in State} | {f"alert_severity.{s.value}" for s in Severity}
    keys |= {f"alert_action.{a.value}" for a in Action}
    zh, en = catalogue("zh"), catalogue("en")
    assert keys <= set(en) and keys <= set(zh), keys - (set(en) & set(zh))
    # a refusal's values fill its message's placeholders
    refused = [
        (alert(State.CLOSED), CENTRE, step(Action.ACKNOWLEDGE)),
        (alert(), WATER, step(Action.ACKNOWLEDGE)),
        (alert(), VIEWER, step(Action.ACKNOWLEDGE)),
        (alert(case_id="C7"), CENTRE, step(Action.OPEN_CASE, case_id="C8")),
        (alert(), CENTRE, step(Action.ASSIGN, assignee="nobody")),
        (alert(), FIRE, step(Action.ASSIGN, department="water")),
        (alert(), CENTRE, step(Action.RESOLVE, note="x" * 2001)),
        (alert(version=2), CENTRE, step(Action.ACKNOWLEDGE)),
    ]
    for subject, actor, the_step in refused:
        with pytest.raises(StepRefused) as refusal:
            take(subject, actor, the_step)
        for lang in (zh, en):
            text = lang[f"alert_refusal.{refusal.value.code}"]
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert names == set(refusal.value.values), refusal.value.code
