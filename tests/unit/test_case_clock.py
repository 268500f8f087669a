"""The SLA clock of a case (domain/case_clock.py), with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case_clock import StageLimits, Standing, Times, case_deadline, clock
from domain.case_lifecycle import Status

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
LIMITS = StageLimits(accept_h=0.5, dispatch_h=1, handle_h=24, verify_h=24)  # urban management's


def test_the_case_deadline_is_the_report_plus_every_stage_limit():
    assert case_deadline(T0, LIMITS) == T0 + 49.5 * H


def test_a_fresh_report_runs_the_accept_stage():
    c = clock(Status.REPORTED, Times(T0), LIMITS, T0 + timedelta(minutes=10))
    assert c.stage == "accept"
    assert c.stage_deadline == T0 + 0.5 * H
    assert c.stage_standing is Standing.ON_TIME
    assert c.case_deadline == T0 + 49.5 * H
    assert not c.overdue and not c.due_soon


def test_close_to_the_stage_deadline_is_due_soon_and_past_it_overdue():
    times = Times(T0, accepted_at=T0 + 0.2 * H, dispatched_at=T0 + H)
    soon = clock(Status.DISPATCHED, times, LIMITS, T0 + H + 20 * H)  # 4 h of 24 left: < 20 %
    assert soon.stage == "handle"
    assert soon.stage_standing is Standing.DUE_SOON
    assert soon.due_soon
    late = clock(Status.IN_PROGRESS, times, LIMITS, T0 + H + 25 * H)
    assert late.stage_standing is Standing.OVERDUE
    assert late.overdue


def test_finished_stages_say_whether_they_met_their_limit():
    times = Times(T0, accepted_at=T0 + 2 * H, dispatched_at=T0 + 2.5 * H, handled_at=T0 + 10 * H)
    c = clock(Status.HANDLED, times, LIMITS, T0 + 11 * H)
    standing = {s.stage: s.standing for s in c.stages}
    assert standing == {
        "accept": Standing.MISSED,  # 2 h against 0.5 h
        "dispatch": Standing.MET,
        "handle": Standing.MET,
        "verify": Standing.ON_TIME,
    }
    assert c.stage == "verify" and c.stage_deadline == T0 + 34 * H


def test_a_returned_case_counts_its_new_dispatch_from_its_return():
    returned_at = T0 + 5 * H
    times = Times(T0, accepted_at=T0 + 0.1 * H, dispatched_at=T0 + 0.5 * H, status_at=returned_at)
    c = clock(Status.RETURNED, times, LIMITS, returned_at + 0.5 * H)
    assert c.stage == "dispatch"
    assert c.stage_deadline == returned_at + H
    assert c.stage_standing is Standing.ON_TIME


def test_a_closed_case_has_no_running_clock_and_says_if_it_closed_in_time():
    times = Times(T0, T0 + 0.1 * H, T0 + 0.5 * H, T0 + 3 * H, verified_at=T0 + 4 * H, closed_at=T0 + 60 * H)
    c = clock(Status.CLOSED, times, LIMITS, T0 + 100 * H)
    assert c.stage is None and c.stage_deadline is None
    assert c.case_standing is Standing.MISSED
    assert not c.overdue  # finished late is not "overdue": nothing is left to do


def test_an_open_case_past_its_closing_limit_is_overdue_whatever_its_stage():
    times = Times(T0, T0 + 0.1 * H, T0 + 0.5 * H, T0 + 20 * H, verified_at=T0 + 30 * H)
    c = clock(Status.VERIFIED, times, LIMITS, T0 + 50 * H)
    assert c.stage is None
    assert c.case_standing is Standing.OVERDUE and c.overdue


def test_stages_not_reached_are_pending():
    c = clock(Status.ACCEPTED, Times(T0, accepted_at=T0 + 0.1 * H), LIMITS, T0 + 0.2 * H)
    assert [s.standing for s in c.stages] == [
        Standing.MET,
        Standing.ON_TIME,
        Standing.PENDING,
        Standing.PENDING,
    ]


def test_a_rejected_case_stops_its_clock():
    c = clock(Status.REJECTED, Times(T0, status_at=T0 + H), LIMITS, T0 + 100 * H)
    assert c.stage is None and not c.overdue
