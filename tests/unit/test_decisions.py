"""The leaders' "needs a decision" list (domain/decisions.py): what comes first, how many lines
each kind gets, the rest counted in one sentence, a screens viewer's alerts counted only; and
the sensor network's states (domain/sensor_states.py): online, late (a reading missed by the
kind's own rhythm) and silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.chain_analysis import Finding
from domain.decisions import Gap, Name, OverdueGroup, Term, WaitingAlert, allot, needs_decision
from domain.sensor_states import state_of, states_by_kind, usual_interval

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _alert(minutes: int, place: str | None = "Gate 3") -> WaitingAlert:
    return WaitingAlert(
        Term("alert_rule.smoke_alarm"), Name(place, place) if place else None, NOW - minutes * MIN
    )


def _overdue(department: str, count: int, days: int) -> OverdueGroup:
    return OverdueGroup(Name(department, department), count, NOW - timedelta(days=days))


GAP = Gap(Name("生物医药", "Biomedicine"), Name("原料药", "APIs"), "empty", Finding("empty"))


def test_alerts_come_first_then_overdue_cases_then_the_chains_first_target():
    decisions = needs_decision([_alert(5)], [_overdue("market", 3, 2)], [GAP, GAP], NOW)
    assert [d.kind for d in decisions] == ["alert", "overdue", "gap"]
    alert, overdue, gap = decisions
    assert alert.values == {
        "rule": Term("alert_rule.smoke_alarm"),
        "place": Name("Gate 3", "Gate 3"),
        "age": 5 * MIN,
    }
    assert overdue.values == {"department": Name("market", "market"), "count": 3, "age": timedelta(days=2)}
    assert (
        gap.key == "decisions.gap"
        and gap.values["count"] == 2
        and gap.values["link"] == Name("原料药", "APIs")
    )


def test_the_oldest_alert_and_the_department_with_most_overdue_lead_their_kind():
    decisions = needs_decision(
        [_alert(3, "A"), _alert(40, "B")], [_overdue("small", 2, 30), _overdue("big", 9, 1)], [], NOW
    )
    assert [d.values.get("place") for d in decisions[:2]] == [Name("B", "B"), Name("A", "A")]
    assert [d.values["department"] for d in decisions[2:]] == [Name("big", "big"), Name("small", "small")]
    # the same count: the department keeping a resident waiting longest first
    tied = needs_decision([], [_overdue("recent", 4, 1), _overdue("old", 4, 9)], [], NOW)
    assert [d.values["department"].en for d in tied] == ["old", "recent"]


def test_never_more_than_five_lines_and_the_rest_is_counted_not_dropped():
    alerts = [_alert(m, f"P{m}") for m in range(10, 70, 10)]  # six waiting
    groups = [_overdue(f"d{i}", 10 - i, i) for i in range(5)]  # five departments
    decisions = needs_decision(alerts, groups, [GAP], NOW, alert_total=8)
    assert len(decisions) == 5
    assert [d.key for d in decisions] == [
        "decisions.alert",
        "decisions.alerts_more",
        "decisions.overdue",
        "decisions.overdue_more",
        "decisions.gap",
    ]
    # 8 waiting in all (the store read the oldest six): one named, seven counted, the oldest of
    # those waiting 50 minutes
    assert decisions[1].values == {"count": 7, "age": 50 * MIN}
    assert decisions[3].values == {"count": 10 + 9 + 8 + 7 + 6 - 10, "departments": 4}


def test_a_kind_with_less_to_say_leaves_its_lines_to_the_others():
    assert allot({"alert": 0, "overdue": 7, "gap": 1}) == {"alert": 0, "overdue": 4, "gap": 1}
    assert allot({"alert": 9, "overdue": 0, "gap": 0}) == {"alert": 5, "overdue": 0, "gap": 0}
    assert allot({"alert": 1, "overdue": 1, "gap": 1}) == {"alert": 1, "overdue": 1, "gap": 1}
    assert allot({"alert": 3, "overdue": 3, "gap": 1}, limit=3) == {"alert": 2, "overdue": 1, "gap": 0}
    three_departments = needs_decision([], [_overdue(f"d{i}", 5, 1) for i in range(3)], [], NOW)
    assert [d.key for d in three_departments] == ["decisions.overdue"] * 3  # all named, none counted


def test_one_line_for_several_counts_them_all():
    alerts = [_alert(5, "A"), _alert(9, "B")]
    groups = [_overdue("a", 3, 1), _overdue("b", 2, 4)]
    decisions = needs_decision(alerts, groups, [], NOW, limit=2)
    assert [(d.key, dict(d.values)) for d in decisions] == [
        (
            "decisions.alert",
            {"rule": Term("alert_rule.smoke_alarm"), "place": Name("B", "B"), "age": 9 * MIN},
        ),
        (
            "decisions.alert",
            {"rule": Term("alert_rule.smoke_alarm"), "place": Name("A", "A"), "age": 5 * MIN},
        ),
    ]
    one = needs_decision(alerts, groups, [], NOW, limit=1)
    assert [(d.key, dict(d.values)) for d in one] == [
        ("decisions.alerts_counted", {"count": 2, "age": 9 * MIN})
    ]
    overdue = needs_decision([], groups, [], NOW, limit=1)
    values = {"count": 5, "departments": 2, "age": timedelta(days=4)}
    assert [(d.key, dict(d.values)) for d in overdue] == [("decisions.overdue_counted", values)]


def test_a_reader_who_may_not_read_alerts_gets_them_counted_only():
    decisions = needs_decision([_alert(7, None), _alert(2, None)], [], [], NOW, alert_total=2)
    assert len(decisions) == 1
    assert decisions[0].key == "decisions.alerts_counted"
    assert decisions[0].values == {"count": 2, "age": 7 * MIN}


def test_nothing_waiting_is_an_empty_list():
    assert needs_decision([], [], [], NOW) == []


def test_sensor_states_follow_each_kind_s_own_rhythm():
    five = timedelta(minutes=5)
    silent_after = timedelta(minutes=30)
    every_five = [NOW - k * five for k in range(6)]
    assert usual_interval([every_five, [NOW - MIN, NOW - 6 * MIN]]) == five
    assert usual_interval([[NOW]]) is None
    assert state_of(every_five, NOW, silent_after, five) == "online"
    assert state_of([t - 2 * five for t in every_five], NOW, silent_after, five) == "late"  # two missed
    assert state_of([NOW - 31 * MIN], NOW, silent_after, five) == "silent"
    assert state_of([], NOW, silent_after, five) == "silent"
    assert state_of([NOW - 20 * MIN], NOW, silent_after, None) == "online"  # no rhythm known: heard is online
    heard = {"a1": every_five, "a2": every_five[2:], "n1": [NOW - 40 * MIN]}
    kinds = {"a1": "air", "a2": "air", "a3": "air", "n1": "noise"}
    states = states_by_kind(kinds, heard, NOW, silent_after)
    assert list(states) == ["air", "noise"]
    assert dict(states["air"]) == {"online": 1, "late": 1, "silent": 1}
    assert dict(states["noise"]) == {"online": 0, "late": 0, "silent": 1}
