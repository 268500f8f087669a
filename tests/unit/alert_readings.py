"""Shared cases for the alert rule tests: the shipped rule book, demo sensors, and a worker-like driver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.alert_rules import load_alert_rules
from demo.sensors import SENSOR_KINDS
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
from domain.alert_rules import (
    ThresholdRule,
)

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
STEP = 5 * MIN  # the demo park's sensors report every five minutes
BOOK = load_alert_rules()
RULES = {rule.id: rule for rule in BOOK.rules}
OWN = {
    k.kind: {q.name: {"unit": q.unit, "warning": q.warning, "critical": q.critical} for q in k.quantities}
    for k in SENSOR_KINDS
}
SMOKE = Sensor("urn:dev:sm-007", "smoke", OWN["smoke"])
GAS = Sensor("urn:dev:gs-003", "gas", OWN["gas"])
GAUGE = Sensor("urn:dev:wl-012", "water_level", OWN["water_level"])
AIR = Sensor("urn:dev:aq-017", "air_quality", OWN["air_quality"])


def readings(values, start=T0, step=STEP):
    return [Reading(start + i * step, float(v)) for i, v in enumerate(values)]


def watch(rule, sensor, arrivals, *, delay=timedelta(0), ticks=()):
    """Drive `rule` as the worker does: each reading arrives `delay` after its own time (or at
    the time given with it), the evaluator sees what has arrived back to lookback(rule), and
    each outcome is applied to the open alert. `ticks` are extra evaluation times without a
    reading (the offline rule's clock). The outcomes, each with the time it was decided."""
    events = [(r.at + delay, r) if isinstance(r, Reading) else r for r in arrivals]
    events += [(tick, None) for tick in ticks]
    events.sort(key=lambda e: e[0])
    seen, active, out = [], None, []
    for now, reading in events:
        if reading is not None:
            seen.append(reading)
        window = [r for r in seen if r.at >= now - lookback(rule)]
        outcome = evaluate(rule, sensor, window, active, now)
        if isinstance(outcome, Raise):
            assert active is None
            active = OpenAlert(outcome.severity, outcome.value, outcome.at)
        elif isinstance(outcome, Update):
            active = OpenAlert(outcome.severity, outcome.value, active.raised_at)
        elif isinstance(outcome, Clear):
            active = None
        if outcome is not None:
            out.append((now, outcome))
    return out


def kinds(events):
    return [type(o).__name__ + (f":{o.severity.value}" if hasattr(o, "severity") else "") for _, o in events]


def threshold(**kw) -> ThresholdRule:
    values = {"id": "test_rule", "kind": "threshold", "sensor_kinds": ("smoke",), "quantity": "obscuration"}
    return ThresholdRule(**{**values, **kw})
