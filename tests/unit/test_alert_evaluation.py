"""The alert evaluator (domain/alert_evaluation.py) driven like the worker: levels, late readings, rates, silence."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest
from alert_readings import (
    AIR,
    GAS,
    GAUGE,
    MIN,
    RULES,
    SMOKE,
    STEP,
    T0,
    kinds,
    readings,
    threshold,
    watch,
)

from domain.alert_evaluation import (
    Clear,
    OpenAlert,
    Raise,
    Reading,
    Sensor,
    Update,
    evaluate,
    lookback,
)
from domain.alert_lifecycle import Severity
from domain.alert_rules import (
    OfflineRule,
    RateRule,
    SustainedRule,
)

# --- threshold rules and hysteresis -------------------------------------------------------


def test_a_smoke_detector_firing_raises_at_the_sensors_own_critical_level():
    events = watch(RULES["smoke_alarm"], SMOKE, readings([0.05, 0.04, 4.6, 5.2, 5.0]))
    (now, raised), update = events[0], events[1][1]
    assert isinstance(raised, Raise) and now == T0 + 2 * STEP
    assert (raised.rule, raised.sensor_id, raised.quantity) == ("smoke_alarm", SMOKE.id, "obscuration")
    assert raised.severity is Severity.CRITICAL and raised.value == 4.6 and raised.threshold == 4.0
    assert raised.at == T0 + 2 * STEP
    assert raised.title.key == "alert_rule.smoke_alarm"
    assert raised.message.key == "alert_message.above"
    assert raised.message.values == {"value": "4.6", "threshold": "4", "unit": "%/m"}
    assert isinstance(update, Update) and update.value == 5.2 and update.severity is Severity.CRITICAL
    assert len(events) == 2  # 5.0 is no new peak


def test_a_reading_exactly_at_the_level_raises_and_one_just_below_does_not():
    assert kinds(watch(RULES["gas_leak"], GAS, readings([1, 19.9, 1]))) == []
    assert kinds(watch(RULES["gas_leak"], GAS, readings([1, 20]))) == ["Raise:warning"]


def test_a_rules_own_levels_override_the_sensors_thresholds():
    rule = threshold(warning=1.0, critical=3.0)
    assert kinds(watch(rule, SMOKE, readings([0.1, 1.2]))) == ["Raise:warning"]
    no_levels = Sensor("urn:dev:sm-999", "smoke", None)
    assert watch(threshold(), no_levels, readings([0.1, 9.0])) == []  # nothing to judge against


def test_alert_does_not_flap_inside_hysteresis_band():
    # the gas hovers around the first alarm level (20 %LEL), never below 15 (20 less the band)
    hovering = [21, 19, 20.5, 16, 22, 18, 15.5, 20, 17]
    events = watch(RULES["gas_leak"], GAS, readings([1, *hovering]))
    assert kinds(events) == ["Raise:warning", "Update:warning"]  # one alert, its peak raised once
    without_band = watch(
        threshold(id="bare", sensor_kinds=("gas",), quantity="ch4"), GAS, readings([1, *hovering])
    )
    assert kinds(without_band).count("Raise:warning") == 4  # what the band prevents


def test_an_alert_clears_only_after_staying_below_the_band_for_its_minutes():
    # smoke_alarm: band 0.5 (clears below 1.5 %/m), clear_after 5 minutes
    values = [0.05, 2.5, 1.4, 2.2, 1.2, 1.0, 0.6]
    events = watch(RULES["smoke_alarm"], SMOKE, readings(values))
    assert kinds(events) == ["Raise:warning", "Clear"]
    cleared_now, clear = events[-1]
    assert clear.at == T0 + 4 * STEP + 5 * MIN  # below since the reading at 4 steps, for 5 minutes
    assert cleared_now == T0 + 5 * STEP and clear.value == 1.0


def test_severity_rises_to_critical_and_falls_back_to_warning_below_its_band():
    values = [0.05, 2.5, 4.2, 3.8, 3.6, 3.4, 3.2, 2.6, 0.3, 0.2, 0.1]
    events = watch(RULES["smoke_alarm"], SMOKE, readings(values))
    # 3.8 and 3.6 are inside critical's band (4 less 0.5): still critical; 3.4 starts the five
    # minutes below it and 3.2 ends them
    assert kinds(events) == ["Raise:warning", "Update:critical", "Update:warning", "Clear"]
    _, down = events[2]
    assert down.value == 4.2 and down.threshold == 2.0  # the peak stays the worst reached
    assert events[2][0] == T0 + 6 * STEP


def test_a_rule_for_low_values_raises_below_its_levels():
    rule = threshold(
        id="low_water",
        sensor_kinds=("water_level",),
        quantity="level",
        direction="below",
        warning=0.05,
        critical=0.02,
        band=0.01,
    )
    events = watch(rule, GAUGE, readings([0.2, 0.06, 0.04, 0.01, 0.05, 0.07]))
    assert kinds(events) == ["Raise:warning", "Update:critical", "Update:warning", "Clear"]
    raised = events[0][1]
    assert raised.value == 0.04 and raised.threshold == 0.05
    assert raised.message.key == "alert_message.below"
    assert events[1][1].value == 0.01  # the peak of a low alert is its lowest reading


def test_nan_and_infinite_readings_are_ignored():
    values = [0.05, math.nan, math.inf, -math.inf, 0.06]
    assert watch(RULES["smoke_alarm"], SMOKE, readings(values)) == []


def test_a_rule_decides_nothing_for_a_sensor_kind_it_does_not_watch():
    assert evaluate(RULES["gas_leak"], SMOKE, readings([90]), None, T0) is None


def test_naive_now_is_a_callers_bug():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(RULES["gas_leak"], GAS, [], None, datetime(2026, 12, 6))  # noqa: DTZ001


# --- late readings ------------------------------------------------------------------------


def test_a_late_spike_older_than_the_newest_reading_raises_no_stale_alert():
    on_time = readings([1, 1, 1])  # up to T0 + 10 min
    spike = Reading(T0 + 7 * MIN, 60)  # arrives at T0 + 12 min, after the 10-minute reading
    events = watch(RULES["gas_leak"], GAS, [*on_time, (T0 + 12 * MIN, spike)])
    assert events == []


def test_a_late_normal_reading_does_not_clear_a_live_alert():
    live = readings([1, 30, 32])  # raised at T0 + 5 min, still 32 at T0 + 10 min
    late = Reading(T0 + 7 * MIN, 2)  # a normal reading from before the newest arrives late
    events = watch(RULES["gas_leak"], GAS, [*live, (T0 + 11 * MIN, late)])
    assert kinds(events) == ["Raise:warning", "Update:warning"]  # 30 then the peak 32; no Clear


def test_a_late_reading_inside_the_alert_raises_its_peak_not_its_severity():
    live = readings([1, 30, 25])
    late = Reading(T0 + 7 * MIN, 55)  # critical, but the newest reading (25) says warning
    events = watch(RULES["gas_leak"], GAS, [*live, (T0 + 11 * MIN, late)])
    last = events[-1][1]
    assert isinstance(last, Update) and last.value == 55 and last.severity is Severity.WARNING


def test_a_replayed_backlog_raises_no_alert_for_a_condition_nobody_knows_holds_now():
    backlog = readings([1, 40, 45, 44])  # an hour old when it arrives
    arrivals = [(T0 + 60 * MIN, r) for r in backlog]
    assert watch(RULES["gas_leak"], GAS, arrivals) == []
    # the same readings on time raise at once
    assert kinds(watch(RULES["gas_leak"], GAS, backlog))[0] == "Raise:warning"


def test_readings_from_before_the_alert_change_nothing():
    active = OpenAlert(Severity.WARNING, 30.0, T0 + 30 * MIN)
    older = readings([2, 2, 2])  # all before the alert was raised
    assert evaluate(RULES["gas_leak"], GAS, older, active, T0 + 31 * MIN) is None


@pytest.mark.parametrize("seed", range(20))
def test_the_order_readings_arrive_in_does_not_change_the_decision(seed):
    rng = random.Random(seed)
    series = readings([rng.uniform(0, 40) for _ in range(12)])
    now = series[-1].at + MIN
    active = rng.choice([None, OpenAlert(Severity.WARNING, 25.0, series[4].at)])
    expected = evaluate(RULES["gas_leak"], GAS, series, active, now)
    shuffled = series[:]
    rng.shuffle(shuffled)
    assert evaluate(RULES["gas_leak"], GAS, shuffled, active, now) == expected


# --- sustained and rate ---------------------------------------------------------------------


def test_a_sustained_rule_raises_only_after_its_minutes():
    # pm25_high: 60 minutes at or above 75 ug/m3 (the sensor's own warning level)
    values = [40] + [80] * 12 + [82]
    events = watch(RULES["pm25_high"], AIR, readings(values))
    assert kinds(events) == ["Raise:warning"]
    now, raised = events[0]
    assert raised.at == T0 + STEP + 60 * MIN and now == T0 + 13 * STEP
    assert raised.message.key == "alert_message.sustained_above"
    assert raised.message.values["minutes"] == "60"
    assert watch(RULES["pm25_high"], AIR, readings([40] + [80] * 11)) == []  # 55 minutes


def test_a_gap_longer_than_max_gap_breaks_a_sustained_run():
    before = readings([80] * 6)  # 25 minutes at 80
    after = readings([80] * 8, start=T0 + 25 * MIN + 20 * MIN)  # 20 minutes of silence, then 35
    assert watch(RULES["pm25_high"], AIR, [*before, *after]) == []


def test_a_river_gauge_rising_over_an_hour_warns_by_its_rate_before_the_road_floods():
    # dry (a few mm of noise), then 0.35 m over an hour
    rng = random.Random(9)
    values = [abs(rng.gauss(0, 0.003)) for _ in range(12)]
    values += [0.35 * i / 12 + abs(rng.gauss(0, 0.003)) for i in range(1, 13)]
    series = readings(values)
    rising = watch(RULES["water_rising"], GAUGE, series)
    flooding = watch(RULES["road_flooding"], GAUGE, series)
    # the slope over a window still holding dry readings warns; the full rise (0.35 m/h) is
    # past the critical 0.25 m/h
    assert kinds(rising)[0] == "Raise:warning"
    assert "Update:critical" in kinds(rising)
    assert rising[0][1].message.key == "alert_message.rising"
    assert rising[0][1].message.values["unit"] == "m/h"
    assert 0.25 <= max(o.value for _, o in rising) < 0.5
    assert kinds(flooding)[0] == "Raise:warning" and "Update:critical" in kinds(flooding)
    assert rising[0][0] < flooding[0][0]  # the rate warns first


def test_gauge_noise_and_a_steady_level_raise_no_rate_alert():
    rng = random.Random(3)
    noise = readings([abs(rng.gauss(0, 0.003)) for _ in range(48)])
    assert watch(RULES["water_rising"], GAUGE, noise) == []
    steady = readings([0.12] * 24)
    assert watch(RULES["water_rising"], GAUGE, steady) == []


def test_a_rate_needs_half_its_window_of_readings():
    rule = RULES["water_rising"]  # window 30 minutes: 15 minutes and 3 readings at least
    fast = readings([0.0, 0.1], step=MIN)  # 6 m/h, but two readings a minute apart
    assert watch(rule, GAUGE, fast) == []
    assert kinds(watch(rule, GAUGE, readings([0.0, 0.05, 0.1, 0.15])))[0] == "Raise:critical"


def test_a_falling_rate_rule_watches_the_fall():
    rule = RateRule(
        id="draining",
        kind="rate",
        sensor_kinds=("water_level",),
        quantity="level",
        direction="falling",
        window_min=30,
        warning=0.1,
        per="hour",
    )
    assert watch(rule, GAUGE, readings([0.0, 0.05, 0.1, 0.15])) == []
    events = watch(rule, GAUGE, readings([0.3, 0.25, 0.2, 0.15]))
    assert kinds(events) == ["Raise:warning"]
    assert events[0][1].value == pytest.approx(0.6) and events[0][1].message.key == "alert_message.falling"


# --- offline --------------------------------------------------------------------------------


def test_a_sensor_falling_silent_raises_offline_after_its_minutes():
    rule = RULES["sensor_offline"]
    series = readings([0.05] * 4)  # last reading at T0 + 15 min
    ticks = [T0 + 15 * MIN + i * MIN for i in range(1, 20)]
    events = watch(rule, SMOKE, series, ticks=ticks)
    assert kinds(events) == ["Raise:warning"]
    now, raised = events[0]
    assert now == raised.at == T0 + 30 * MIN
    assert raised.quantity is None and raised.value == 15.0 and raised.threshold == 15
    assert raised.message.key == "alert_message.offline" and raised.message.values == {"minutes": "15"}


def test_offline_clears_on_a_fresh_reading_but_not_on_a_late_one():
    rule = RULES["sensor_offline"]
    active = OpenAlert(Severity.WARNING, 15.0, T0 + 30 * MIN)
    old = readings([0.05] * 4)
    now = T0 + 60 * MIN
    late = Reading(T0 + 40 * MIN, 0.05)  # measured in the silence, arriving only now
    assert evaluate(rule, SMOKE, [*old, late], active, now) is None
    fresh = Reading(T0 + 58 * MIN, 0.05)
    cleared = evaluate(rule, SMOKE, [*old, late, fresh], active, now)
    assert isinstance(cleared, Clear) and cleared.at == T0 + 58 * MIN


def test_a_sensor_never_heard_from_is_not_judged_offline():
    assert evaluate(RULES["sensor_offline"], SMOKE, [], None, T0 + timedelta(days=1)) is None


def test_silence_neither_raises_nor_clears_a_level_alert():
    live = readings([1, 30])
    quiet_ticks = [T0 + STEP + i * 10 * MIN for i in range(1, 13)]  # two hours without readings
    assert kinds(watch(RULES["gas_leak"], GAS, live, ticks=quiet_ticks)) == ["Raise:warning"]


def test_lookback_covers_what_each_rule_needs():
    assert lookback(RULES["pm25_high"]) == timedelta(minutes=60 + 15)
    assert lookback(RULES["water_rising"]) == timedelta(minutes=30 + 15 + 15)
    assert lookback(RULES["sensor_offline"]) == timedelta(minutes=30)
    assert isinstance(RULES["sensor_offline"], OfflineRule) and isinstance(RULES["pm25_high"], SustainedRule)


def test_a_raise_gives_the_new_alerts_row_and_an_update_its_changes():
    events = watch(RULES["gas_leak"], GAS, readings([1, 30, 62]))
    (_, raised), (_, update) = events
    assert raised.row("AL-20261206-0001", "emergency_management") == {
        "id": "AL-20261206-0001",
        "state": "raised",
        "severity": "warning",
        "raised_at": T0 + STEP,
        "department": "emergency_management",
        "version": 1,
        "rule": "gas_leak",
        "sensor_id": GAS.id,
        "quantity": "ch4",
        "value": 30.0,
        "threshold": 20.0,
    }
    assert update.changes == {"severity": "critical", "value": 62.0, "threshold": 50.0}


def test_a_sensor_silent_since_before_the_window_is_raised_from_its_newest_reading():
    rule = RULES["sensor_offline"]
    newest = Reading(T0, 0.05)  # three hours before now: long before lookback(rule)
    now = T0 + timedelta(hours=3)
    assert lookback(rule) < now - newest.at
    raised = evaluate(rule, SMOKE, [newest], None, now)
    assert isinstance(raised, Raise) and raised.at == T0 + 15 * MIN and raised.value == 180.0
