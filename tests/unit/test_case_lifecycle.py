"""The closed loop's rules (domain/case_lifecycle.py): every legal and every illegal step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case_lifecycle import (
    RULES,
    Action,
    Actor,
    CaseState,
    Desk,
    RejectReason,
    StaleVersion,
    Status,
    Step,
    StepRefused,
    allowed_actions,
    decide,
    parse_action,
)

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
DEPARTMENTS = frozenset({"urban_management", "water", "environment"})
CENTRE = Actor("duty", frozenset({Desk.CENTRE}))
URBAN = Actor("dept-head", frozenset({Desk.DEPARTMENT}), "urban_management")
WATER = Actor("water-head", frozenset({Desk.DEPARTMENT}), "water")
NOBODY = Actor("viewer", frozenset())


def case(status: Status, *, channel: str = "grid_patrol", department: str | None = "urban_management", **kw):
    return CaseState("C1", status, channel, department, T0, **kw)


def step(action: Action, version: int = 1, **kw) -> Step:
    return Step(action, version, LATER, **kw)


# what each step needs to be complete, so the status table below tests status alone
COMPLETE = {
    Action.DISPATCH: {"department": "urban_management"},
    Action.CLOSE: {"satisfaction": 5},
    Action.RETURN: {"note": "not ours: a private courtyard"},
    Action.REOPEN: {"note": "the resident says the light is still out"},
    Action.REJECT: {"note": "nothing found on site", "reason": RejectReason.INVALID},
}
PAIRS = [(status, action) for status in Status for action in Action]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_each_step_is_legal_exactly_from_its_statuses(status, action):
    rule = RULES[action]
    subject = case(status, channel="hotline_12345")
    the_step = step(action, **COMPLETE.get(action, {}))
    if status in rule.sources:
        decision = decide(subject, CENTRE, the_step, known_departments=DEPARTMENTS)
        assert decision.target is rule.target
        assert decision.changes["status"] == rule.target.value
        assert decision.changes["version"] == 2
        assert decision.changes["status_at"] == LATER
        if rule.stamps:
            assert decision.changes[rule.stamps] == LATER
    else:
        with pytest.raises(StepRefused) as refused:
            decide(subject, CENTRE, the_step, known_departments=DEPARTMENTS)
        assert refused.value.code == "wrong_status"
        assert status.value in str(refused.value)


def test_the_whole_loop_from_report_to_close():
    state = case(Status.REPORTED, channel="hotline_12345")
    path = [
        (Action.ACCEPT, {}),
        (Action.DISPATCH, {"department": "water"}),
        (Action.START, {}),
        (Action.HANDLE, {}),
        (Action.VERIFY, {}),
        (Action.CLOSE, {"satisfaction": 4}),
    ]
    for action, needs in path:
        decision = decide(state, CENTRE, step(action, state.version, **needs), known_departments=DEPARTMENTS)
        state = CaseState(
            state.id,
            decision.target,
            state.channel,
            decision.changes.get("department", state.department),
            state.reported_at,
            decision.changes["version"],
        )
    assert state.status is Status.CLOSED
    assert state.department == "water"
    assert state.version == 7


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.VERIFY, Action.CLOSE, Action.REOPEN, Action.REJECT])
def test_a_department_may_not_take_the_centres_steps(action):
    source = next(iter(RULES[action].sources))
    with pytest.raises(StepRefused) as refused:
        decide(case(source), URBAN, step(action, **COMPLETE.get(action, {})), known_departments=DEPARTMENTS)
    assert refused.value.code == "not_your_step"


@pytest.mark.parametrize("action", [Action.START, Action.HANDLE, Action.RETURN])
def test_a_department_works_its_own_cases_only(action):
    the_step = step(action, **COMPLETE.get(action, {}))
    assert decide(case(Status.DISPATCHED), URBAN, the_step, known_departments=DEPARTMENTS).target
    with pytest.raises(StepRefused) as refused:
        decide(case(Status.DISPATCHED), WATER, the_step, known_departments=DEPARTMENTS)
    assert refused.value.code == "not_your_department"


def test_a_department_head_dispatching_outside_their_department_is_refused():
    with pytest.raises(StepRefused) as refused:
        decide(
            case(Status.ACCEPTED),
            URBAN,
            step(Action.DISPATCH, department="water"),
            known_departments=DEPARTMENTS,
        )
    assert refused.value.code == "dispatch_outside_department"
    inside = decide(case(Status.ACCEPTED), URBAN, step(Action.DISPATCH), known_departments=DEPARTMENTS)
    assert inside.changes["department"] == "urban_management"


def test_a_role_without_a_desk_can_take_no_step():
    for action in Action:
        source = next(iter(RULES[action].sources))
        with pytest.raises(StepRefused):
            decide(
                case(source), NOBODY, step(action, **COMPLETE.get(action, {})), known_departments=DEPARTMENTS
            )
    assert allowed_actions(case(Status.REPORTED), NOBODY) == []


def test_allowed_actions_follow_status_and_desk():
    assert allowed_actions(case(Status.REPORTED), CENTRE) == [Action.ACCEPT, Action.REJECT]
    assert allowed_actions(case(Status.DISPATCHED), URBAN) == [Action.START, Action.HANDLE, Action.RETURN]
    assert allowed_actions(case(Status.DISPATCHED), WATER) == []
    assert allowed_actions(case(Status.CLOSED), CENTRE) == [Action.REOPEN]
    assert allowed_actions(case(Status.REJECTED), CENTRE) == []


def test_dispatch_needs_a_known_department():
    with pytest.raises(StepRefused) as refused:
        decide(case(Status.ACCEPTED), CENTRE, step(Action.DISPATCH), known_departments=DEPARTMENTS)
    assert refused.value.code == "department_needed"
    with pytest.raises(StepRefused) as refused:
        decide(
            case(Status.ACCEPTED),
            CENTRE,
            step(Action.DISPATCH, department="mars"),
            known_departments=DEPARTMENTS,
        )
    assert refused.value.code == "unknown_department"


@pytest.mark.parametrize("action", [Action.RETURN, Action.REOPEN, Action.REJECT])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_return_reopen_and_reject_need_a_note(action, note):
    source = next(iter(RULES[action].sources))
    needs = {**COMPLETE[action], "note": note}
    with pytest.raises(StepRefused) as refused:
        decide(case(source), CENTRE, step(action, **needs), known_departments=DEPARTMENTS)
    assert refused.value.code == "note_needed"


def test_an_over_long_note_is_refused():
    with pytest.raises(StepRefused) as refused:
        decide(
            case(Status.DISPATCHED),
            URBAN,
            step(Action.RETURN, note="x" * 2001),
            known_departments=DEPARTMENTS,
        )
    assert refused.value.code == "note_too_long"


def test_a_hotline_case_closes_only_with_a_satisfaction_score():
    hotline = case(Status.VERIFIED, channel="hotline_12345")
    with pytest.raises(StepRefused) as refused:
        decide(hotline, CENTRE, step(Action.CLOSE), known_departments=DEPARTMENTS)
    assert refused.value.code == "satisfaction_needed"
    for bad in (0, 6, True, 3.5, "5"):
        with pytest.raises(StepRefused) as refused:
            decide(hotline, CENTRE, step(Action.CLOSE, satisfaction=bad), known_departments=DEPARTMENTS)
        assert refused.value.code == "satisfaction_range"
    closed = decide(hotline, CENTRE, step(Action.CLOSE, satisfaction=3), known_departments=DEPARTMENTS)
    assert closed.changes["satisfaction"] == 3
    # a patrol case has no callback: it closes without a score
    patrol = decide(case(Status.VERIFIED), CENTRE, step(Action.CLOSE), known_departments=DEPARTMENTS)
    assert "satisfaction" not in patrol.changes


def test_reopen_goes_back_to_dispatched_and_counts_as_a_repeat():
    closed = case(Status.CLOSED, reopen_count=1, version=6)
    decision = decide(
        closed, CENTRE, step(Action.REOPEN, 6, note="still broken"), known_departments=DEPARTMENTS
    )
    assert decision.target is Status.DISPATCHED
    assert decision.changes["reopen_count"] == 2
    assert decision.changes["dispatched_at"] == LATER
    for cleared in ("handled_at", "verified_at", "closed_at", "satisfaction"):
        assert decision.changes[cleared] is None


def test_reject_as_duplicate_names_an_existing_earlier_case():
    exists = {"C0"}.__contains__
    reported = case(Status.REPORTED)

    def reject(**kw):
        return decide(
            reported,
            CENTRE,
            step(Action.REJECT, note="same manhole", **kw),
            known_departments=DEPARTMENTS,
            case_exists=exists,
        )

    for kw, code in [
        ({}, "reason_needed"),
        ({"reason": RejectReason.DUPLICATE}, "duplicate_needed"),
        ({"reason": RejectReason.DUPLICATE, "duplicate_of": "C1"}, "duplicate_of_itself"),
        ({"reason": RejectReason.DUPLICATE, "duplicate_of": "C9"}, "duplicate_unknown"),
    ]:
        with pytest.raises(StepRefused) as refused:
            reject(**kw)
        assert refused.value.code == code
    decision = reject(reason=RejectReason.DUPLICATE, duplicate_of="C0")
    assert decision.target is Status.REJECTED
    assert decision.changes["repeat_of"] == "C0"
    assert decision.detail == {"reason": "duplicate", "duplicate_of": "C0"}


def test_a_stale_version_is_refused_before_anything_else():
    with pytest.raises(StaleVersion) as refused:
        decide(
            case(Status.REPORTED, version=3), CENTRE, step(Action.ACCEPT, 2), known_departments=DEPARTMENTS
        )
    assert refused.value.code == "stale"
    assert refused.value.values == {"seen": 2, "now": 3}


def test_a_step_before_the_report_is_refused():
    early = Step(Action.ACCEPT, 1, T0 - timedelta(minutes=1))
    with pytest.raises(StepRefused) as refused:
        decide(case(Status.REPORTED), CENTRE, early, known_departments=DEPARTMENTS)
    assert refused.value.code == "before_report"


@pytest.mark.parametrize("value", ["close!", "", None, 3, "ACCEPT "])
def test_unknown_actions_are_refused(value):
    with pytest.raises(StepRefused) as refused:
        parse_action(value)
    assert refused.value.code == "unknown_action"


def test_nothing_in_a_decision_is_shared_with_the_case():
    subject = case(Status.REPORTED)
    decide(subject, CENTRE, step(Action.ACCEPT), known_departments=DEPARTMENTS)
    assert subject.status is Status.REPORTED and subject.version == 1
