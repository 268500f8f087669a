"""The shipped rules against the demo park's scheduled incidents and random series: right alerts, levels and band kept."""

from __future__ import annotations

import random

import pytest
from alert_readings import (
    BOOK,
    GAS,
    GAUGE,
    MIN,
    RULES,
    SMOKE,
    STEP,
    T0,
    kinds,
    readings,
    watch,
)

from domain.alert_evaluation import (
    Clear,
    Raise,
)
from domain.alert_lifecycle import Severity

# --- the scheduled incidents of issue 9 ---------------------------------------------------


def test_the_scheduled_incidents_each_raise_the_right_alert_and_nothing_else():
    rng = random.Random(20261206)
    calm = {
        "smoke": [0.05 + rng.gauss(0, 0.01) for _ in range(24)],
        "gas": [max(0.6 + rng.gauss(0, 0.3), 0) for _ in range(24)],
        "water_level": [abs(rng.gauss(0, 0.003)) for _ in range(24)],
    }
    incidents = {
        "smoke": calm["smoke"][:12] + [2.6, 4.4, 4.8, 3.1, 0.9] + calm["smoke"][:7],  # a detector firing
        "gas": calm["gas"][:12] + [6, 38, 61, 57] + calm["gas"][:8],  # a gas reading spiking
        "water_level": calm["water_level"][:12]
        + [0.35 * i / 12 for i in range(1, 13)],  # rising over an hour
    }
    expected = {
        "smoke": {"smoke_alarm"},
        "gas": {"gas_leak"},
        "water_level": {"water_rising", "road_flooding"},
    }
    end = T0 + 24 * STEP
    sensors = {s.kind: s for s in (SMOKE, GAS, GAUGE)}
    for kind, values in calm.items():
        sensor = sensors[kind]
        for rule in BOOK.for_kind(sensor.kind):
            raised = [
                o for _, o in watch(rule, sensor, readings(values), ticks=[end]) if isinstance(o, Raise)
            ]
            assert raised == [], (sensor.kind, rule.id)
    for kind, values in incidents.items():
        sensor = sensors[kind]
        fired = set()
        for rule in BOOK.for_kind(sensor.kind):
            raised = [
                o for _, o in watch(rule, sensor, readings(values), ticks=[end]) if isinstance(o, Raise)
            ]
            fired |= {o.rule for o in raised}
            assert all(o.severity in (Severity.WARNING, Severity.CRITICAL) for o in raised)
        assert fired == expected[kind], kind
    # a sensor falling silent: its readings stop half-way, the worker's clock runs on
    silent = readings(calm["gas"][:12])
    ticks = [T0 + i * MIN for i in range(60, 121)]
    by_rule = {rule.id: watch(rule, GAS, silent, ticks=ticks) for rule in BOOK.for_kind("gas")}
    assert kinds(by_rule["sensor_offline"]) == ["Raise:warning"]
    assert by_rule["gas_leak"] == []


# --- property-style: random series around a level -------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_raises_and_clears_respect_the_levels_and_the_band(seed):
    rng = random.Random(seed)
    rule = RULES["gas_leak"]  # 20 / 50 %LEL, band 5, clear after 10 minutes
    value, values = 15.0, []
    for _ in range(150):
        value = min(max(value + rng.gauss(0, 4), 0), 80)
        values.append(round(value, 1))
    series = readings(values)
    at = {r.at: r.value for r in series}
    events = watch(rule, GAS, series)
    kinds_seen = [type(o) for _, o in events]
    assert all(a is not b or a is not Raise for a, b in zip(kinds_seen, kinds_seen[1:], strict=False))
    for now, outcome in events:
        newest = at[now]
        if isinstance(outcome, Raise):
            assert newest >= outcome.threshold >= 20
        if isinstance(outcome, Clear):
            # cleared only after ten minutes (three readings) all below 20 less the band
            window = [v for t, v in at.items() if now - 10 * MIN <= t <= now]
            assert len(window) == 3 and all(v < 15 for v in window)
    # between two raises the series went below the band: each alert is one excursion
    raises = [now for now, o in events if isinstance(o, Raise)]
    for first, second in zip(raises, raises[1:], strict=False):
        assert any(v < 15 for t, v in at.items() if first < t < second)
