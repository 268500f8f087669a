"""The evaluator of the alert rules (domain/alert_rules.py): over a sensor's recent readings and
the alert its rule holds open, what to do now: raise, update, clear, or nothing (None).

Readings are judged in the order of their own time, whatever order they arrived in, so late
readings take their place in the series:
- only the newest reading (by its own time) says whether the condition holds now, so a late
  reading older than it can neither raise an alert for a spike that is over nor clear one that
  still holds; it may still raise the open alert's peak, which it truly reached;
- nothing raises unless the newest reading is at most the rule's `fresh_min` old: a backlog
  replayed after an outage does not raise alerts for conditions nobody knows to hold now;
- silence decides nothing for a level rule: an alert stays open while its sensor is quiet
  (the offline rule says so) and a quiet sensor raises nothing;
- the offline rule clears only on a reading whose own time is within `silent_min` of now.

The caller reads the readings of the rule's quantity (any quantity for an offline rule) back
to `lookback(rule)` before now; older ones change nothing, except that an offline rule also
needs the sensor's newest reading however old (a sensor silent since before the window is
still silent). An alert is "open" to its rule from its raising until its condition clears (its
cleared time is set), whatever people do with it. Its raising time is the condition's, in the
readings' own time: an offline alert raised after a worker outage says since when the sensor
is silent (and, unacknowledged that long, is due to escalate at once)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.alert_lifecycle import Severity, raised_row
from domain.alert_rules import AnyRule, LevelRule, OfflineRule, RateRule

WORST_FIRST = (Severity.CRITICAL, Severity.WARNING)
_PER_S = {"minute": 60.0, "hour": 3600.0}
_PER_UNIT = {"minute": "/min", "hour": "/h"}


@dataclass(frozen=True, slots=True)
class Reading:
    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Sensor:
    """The sensor a rule is evaluated for: its kind, and its own thresholds as the sensors
    contract has them ({"pm25": {"unit": "ug/m3", "warning": 75, "critical": 115}, …})."""

    id: str
    kind: str
    thresholds: Mapping[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """The alert a rule holds open for a sensor: its severity, peak value and raising time."""

    severity: Severity
    value: float | None
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue key (locales/) and the values for its placeholders, numbers as text."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Raise:
    rule: str
    sensor_id: str
    quantity: str | None
    severity: Severity
    value: float
    threshold: float
    at: datetime  # when the condition was met (in readings' own time)
    title: Message  # alert_rule.<rule id>
    message: Message

    def row(self, alert_id: str, department: str | None) -> dict[str, Any]:
        """The new alert's row (the alerts contract's fields the system sets when raising):
        `department` is the sensor's owner, who answers for it."""
        row = raised_row(alert_id, severity=self.severity, at=self.at, department=department)
        fields = {"value": self.value, "threshold": self.threshold}
        return {**row, "rule": self.rule, "sensor_id": self.sensor_id, "quantity": self.quantity, **fields}


@dataclass(frozen=True, slots=True)
class Update:
    severity: Severity
    value: float  # the peak so far
    threshold: float
    message: Message

    @property
    def changes(self) -> dict[str, Any]:
        """The open alert's fields to write (a condition's change: no version step)."""
        return {"severity": self.severity.value, "value": self.value, "threshold": self.threshold}


@dataclass(frozen=True, slots=True)
class Clear:
    """The condition is back to normal: the system's `clear` step (domain/alert_lifecycle.py)
    at `at`, with the newest value (None for an offline rule)."""

    at: datetime
    value: float | None


Outcome = Raise | Update | Clear | None


def lookback(rule: AnyRule) -> timedelta:
    """How far before now the caller must read readings for `rule` (for an offline rule,
    plus the sensor's newest reading when none is that recent)."""
    if isinstance(rule, OfflineRule):
        return 2 * rule.silent + timedelta(minutes=rule.clear_after_min)
    held = max(rule.hold, timedelta(minutes=rule.clear_after_min))
    return rule.window + held + timedelta(minutes=rule.max_gap_min)


def evaluate(
    rule: AnyRule, sensor: Sensor, readings: Iterable[Reading], active: OpenAlert | None, now: datetime
) -> Outcome:
    """What `rule` decides for `sensor` at `now` given its recent `readings` (any order; NaN
    and infinities are ignored) and the alert it holds open (`active`), if any. None when the
    rule does not watch this sensor's kind or has nothing to do."""
    if now.tzinfo is None:
        raise ValueError("now is timezone-aware")
    if sensor.kind not in rule.sensor_kinds:
        return None
    series = sorted((r for r in readings if math.isfinite(r.value)), key=lambda r: r.at)
    if isinstance(rule, OfflineRule):
        return _offline(rule, sensor, series, active, now)
    return _level(rule, sensor, series, active, now)


def _since(points: Sequence[Reading], holds: Callable[[float], bool], max_gap: timedelta) -> datetime | None:
    """The start of the unbroken run of points, ending with the newest, on which `holds` is
    true (a gap longer than `max_gap` breaks it); None when the newest point does not hold."""
    if not points or not holds(points[-1].value):
        return None
    since = points[-1].at
    for earlier, later in zip(reversed(points[:-1]), reversed(points[1:]), strict=True):
        if later.at - earlier.at > max_gap or not holds(earlier.value):
            break
        since = earlier.at
    return since


def _fmt(value: float) -> str:
    text = f"{value:.{3 if abs(value) < 10 else 1}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- level rules: threshold, sustained, rate ----------------------------------------------


def _signal(rule: LevelRule, series: list[Reading]) -> list[Reading]:
    """The points the levels are compared with, turned so that higher is always worse: the
    readings (negated for a rule watching low values) or, for a rate rule, the slope over the
    window ending at each reading."""
    sign = rule.signal_sign
    if not isinstance(rule, RateRule):
        return [Reading(r.at, sign * r.value) for r in series]
    if not series:
        return []
    # least-squares slopes over a sliding window from running sums: one pass, however many
    # readings the window holds (seconds from the first reading keep the sums well scaled)
    t0 = series[0].at
    xs = [(r.at - t0).total_seconds() for r in series]
    ys = [r.value for r in series]
    sx, sy, sxx, sxy = [0.0], [0.0], [0.0], [0.0]
    for x, y in zip(xs, ys, strict=True):
        sx.append(sx[-1] + x)
        sy.append(sy[-1] + y)
        sxx.append(sxx[-1] + x * x)
        sxy.append(sxy[-1] + x * y)
    window_s = rule.window.total_seconds()
    per_s = _PER_S[rule.per] * sign
    out = []
    start = 0
    for i, x in enumerate(xs):
        while xs[start] < x - window_s:
            start += 1
        n = i + 1 - start
        if n < rule.min_readings or x - xs[start] < window_s / 2:
            continue
        wx, wy = sx[i + 1] - sx[start], sy[i + 1] - sy[start]
        spread = n * (sxx[i + 1] - sxx[start]) - wx * wx
        slope = (n * (sxy[i + 1] - sxy[start]) - wx * wy) / spread if spread > 0 else 0.0
        out.append(Reading(series[i].at, slope * per_s))
    return out


def _levels(rule: LevelRule, sensor: Sensor) -> dict[Severity, float]:
    """The rule's levels, turned like the signal; the sensor's own thresholds stand in for
    levels a threshold or sustained rule leaves unset."""
    own: Mapping[str, Any] = {}
    if not isinstance(rule, RateRule) and sensor.thresholds:
        own = sensor.thresholds.get(rule.quantity) or {}
    sign = rule.level_sign
    out = {}
    for severity in WORST_FIRST:
        level = getattr(rule, severity.value)
        if level is None:
            level = own.get(severity.value)
        if isinstance(level, int | float) and not isinstance(level, bool) and math.isfinite(level):
            out[severity] = sign * float(level)
    return out


def _unit(rule: LevelRule, sensor: Sensor) -> str:
    own = (sensor.thresholds or {}).get(rule.quantity) or {}
    unit = str(own.get("unit") or "")
    return unit + _PER_UNIT[rule.per] if isinstance(rule, RateRule) else unit


def _message(rule: LevelRule, sensor: Sensor, value: float, threshold: float) -> Message:
    """The alert's text: the value and the level it reached, in the rule's own units."""
    sign = rule.level_sign
    values = {"value": _fmt(sign * value), "threshold": _fmt(sign * threshold), "unit": _unit(rule, sensor)}
    if isinstance(rule, RateRule):
        values["minutes"] = _fmt(rule.window_min)
        return Message(f"alert_message.{rule.direction}", values)
    side = "above" if rule.signal_sign > 0 else "below"
    if rule.hold:
        values["minutes"] = _fmt(rule.hold.total_seconds() / 60)
        return Message(f"alert_message.sustained_{side}", values)
    return Message(f"alert_message.{side}", values)


def _level(
    rule: LevelRule, sensor: Sensor, series: list[Reading], active: OpenAlert | None, now: datetime
) -> Outcome:
    points = _signal(rule, series)
    levels = _levels(rule, sensor)
    if not points or not levels:
        return None
    newest = points[-1]
    gap = timedelta(minutes=rule.max_gap_min)
    clear_after = timedelta(minutes=rule.clear_after_min)
    sign = rule.level_sign  # turns the signal back into the rule's own units

    def held_at(severity: Severity, pool: Sequence[Reading]) -> datetime | None:
        """When the level of `severity` was first held `rule.hold` long, if it is now."""
        since = _since(pool, lambda v: v >= levels[severity], gap)
        return since + rule.hold if since is not None and newest.at - since >= rule.hold else None

    def normal_at(level: float, pool: Sequence[Reading]) -> datetime | None:
        """When the signal, below `level` less the band, had stayed there `clear_after`."""
        since = _since(pool, lambda v: v < level - rule.band, gap)
        return since + clear_after if since is not None and newest.at - since >= clear_after else None

    if active is None:
        if now - newest.at > timedelta(minutes=rule.fresh_min):
            return None  # late or stale readings raise nothing
        for severity in (s for s in WORST_FIRST if s in levels):
            at = held_at(severity, points)
            if at is not None:
                run = [p.value for p in points if p.at >= at - rule.hold]
                peak, threshold = max(run), levels[severity]
                return Raise(
                    rule.id,
                    sensor.id,
                    rule.quantity,
                    severity,
                    sign * peak,
                    sign * threshold,
                    at,
                    Message(f"alert_rule.{rule.id}"),
                    _message(rule, sensor, peak, threshold),
                )
        return None
    since_raised = [p for p in points if p.at >= active.raised_at]
    if not since_raised:
        return None  # every reading predates the alert: late ones change nothing
    cleared = normal_at(min(levels.values()), since_raised)
    if cleared is not None:
        return Clear(max(cleared, active.raised_at), sign * newest.value)
    severity = active.severity
    critical, warning = levels.get(Severity.CRITICAL), levels.get(Severity.WARNING)
    if severity is not Severity.CRITICAL and critical is not None and held_at(Severity.CRITICAL, points):
        severity = Severity.CRITICAL
    elif severity is Severity.CRITICAL and critical is not None and warning is not None:
        # back to warning once below the critical level less the band, long enough
        severity = Severity.WARNING if normal_at(critical, since_raised) else severity
    if severity not in levels:
        severity = next(s for s in WORST_FIRST if s in levels)
    peak = max(p.value for p in since_raised)
    known = sign * active.value if active.value is not None and math.isfinite(active.value) else -math.inf
    if severity is active.severity and peak <= known:
        return None
    peak = max(peak, known)
    threshold = levels[severity]
    return Update(severity, sign * peak, sign * threshold, _message(rule, sensor, peak, threshold))


# --- offline ------------------------------------------------------------------------------


def _offline(
    rule: OfflineRule, sensor: Sensor, series: list[Reading], active: OpenAlert | None, now: datetime
) -> Outcome:
    if not series:
        return None  # never heard from: nothing says since when it is silent
    newest = series[-1].at
    minutes = _fmt(rule.silent_min)
    if active is None:
        if now - newest < rule.silent:
            return None
        silent_min = (now - newest).total_seconds() / 60
        return Raise(
            rule.id,
            sensor.id,
            None,
            rule.severity,
            round(silent_min, 1),
            rule.silent_min,
            newest + rule.silent,
            Message(f"alert_rule.{rule.id}"),
            Message("alert_message.offline", {"minutes": minutes}),
        )
    if now - newest >= rule.silent:
        return None  # still silent, or only late readings of the silent time arrived
    since = _since(series, lambda _v: True, rule.silent)
    clear_after = timedelta(minutes=rule.clear_after_min)
    if since is None or newest - since < clear_after:
        return None
    return Clear(max(since + clear_after, active.raised_at), None)
