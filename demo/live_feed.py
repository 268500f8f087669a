"""The demo park's live sensor feed: the readings every IoT sensor of the demo park sends from
now on, with the shapes of the seven days of history (demo/readings.py), and incidents injected
on a schedule so that a screen left open sees alerts come and go.

Each sensor reports at its kind's own interval (INTERVAL_S), at a phase of its own, so the
park's readings arrive spread over the minute rather than in one burst. Air quality follows the
real hourly series of the Beijing station (demo/data, UCI Beijing Multi-Site), placed by the
hour of the park's day so the diurnal shape lands at the right local time, each site lagged and
scaled as in the history; noise and traffic follow the park's daily profiles; water gauges,
gas and smoke detectors read their clean-air baselines.

The incidents of a park-local day are the same whenever they are asked for (seeded by the
seed and the date): INCIDENTS_PER_DAY of each kind between 07:00 and 23:00, each shaped to
cross the matching rule of config/alert_rules.yaml and hold long enough (tests check this with
domain/alert_evaluation.py):
- smoke_firing: a smoke detector's obscuration past its critical 4 %/m for several minutes;
- gas_spike: a gas detector past the second alarm level (50 %LEL), then back to zero;
- water_rising: a road gauge rising 0.35 m over an hour (past 0.25 m/h and past 0.30 m), then
  draining over a few hours;
- silent: one sensor sends nothing for 30 to 50 minutes (the offline rule waits 15).

Pure and single-threaded: the caller gives the clock (`readings(start, end)`)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from demo.readings import (
    AIR_EXCEEDANCE,
    DECIMALS,
    NOISE_DAY,
    TRAFFIC_WEEKDAY,
    TRAFFIC_WEEKEND,
    air_series,
    smooth_day,
)

# seconds between two readings of a sensor of each kind
INTERVAL_S = {"air_quality": 300, "noise": 300, "traffic": 300, "water_level": 60, "gas": 120, "smoke": 120}
INCIDENTS_PER_DAY = 2  # of each kind
INCIDENT_HOURS = (7, 23)  # park-local hours within which incidents start
# (minutes since the start, value) knots, linear between them
SMOKE_FIRING = ((0, 0.0), (2, 2.6), (4, 4.4), (6, 4.8), (10, 4.5), (14, 3.1), (18, 0.9), (22, 0.0))
GAS_SPIKE = ((0, 0.0), (2, 6.0), (4, 38.0), (6, 61.0), (10, 57.0), (14, 30.0), (18, 8.0), (24, 0.0))
WATER_RISING = ((0, 0.0), (60, 0.35), (80, 0.36), (110, 0.22), (150, 0.1), (210, 0.03), (270, 0.0))
SILENT_MIN = (30, 50)
INCIDENT_KINDS = {"smoke_firing": "smoke", "gas_spike": "gas", "water_rising": "water_level", "silent": None}
_PROFILES = {"smoke_firing": SMOKE_FIRING, "gas_spike": GAS_SPIKE, "water_rising": WATER_RISING}
_AR_STEP_S = 300  # the history's AR(1) noise is per 5-minute reading (demo/readings._ar1)


class Simulated(NamedTuple):
    """One reading, as the readings contract has it (at: aware UTC)."""

    sensor_id: str
    quantity: str
    unit: str
    value: float
    at: datetime


@dataclass(frozen=True, slots=True)
class Incident:
    kind: str  # a key of INCIDENT_KINDS
    sensor_id: str
    start: datetime  # aware UTC
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def offset(self, at: datetime) -> float:
        """What the incident adds at `at` (0 outside it, and for a silent sensor)."""
        knots = _PROFILES.get(self.kind)
        if knots is None or not self.covers(at):
            return 0.0
        minutes = (at - self.start).total_seconds() / 60
        return float(np.interp(minutes, [k for k, _ in knots], [v for _, v in knots]))


@dataclass
class _Site:
    """One sensor's fixed character (seeded by its id) and its noise state."""

    id: str
    kind: str
    thresholds: Mapping[str, Mapping[str, Any]]
    interval: int
    phase: int
    lag_h: float
    site: float
    level: float  # noise: dB(A) below the day limit; gas and smoke: the clean baseline
    busy: float  # traffic: share of capacity at the peak
    drift: dict[str, float]


def schedule(day: date, sensors: Iterable[tuple[str, str]], seed: int, zone: ZoneInfo) -> list[Incident]:
    """The incidents of park-local `day` for `sensors` ((id, kind) pairs), the same on every call."""
    by_kind: dict[str, list[str]] = {}
    for sensor_id, kind in sorted(sensors):
        if kind in INTERVAL_S:
            by_kind.setdefault(kind, []).append(sensor_id)
    every = sorted(s for ids in by_kind.values() for s in ids)
    rng = np.random.default_rng([seed, day.toordinal()])
    opens = datetime.combine(day, time(INCIDENT_HOURS[0]), zone)
    span_min = (INCIDENT_HOURS[1] - INCIDENT_HOURS[0]) * 60
    out = []
    for kind, sensor_kind in INCIDENT_KINDS.items():
        candidates = by_kind.get(sensor_kind, []) if sensor_kind else every
        for _ in range(INCIDENTS_PER_DAY):
            start_min, pick = int(rng.integers(span_min)), int(rng.integers(1 << 30))
            minutes = int(rng.integers(*SILENT_MIN)) if kind == "silent" else _PROFILES[kind][-1][0]
            if not candidates:
                continue
            start = (opens + timedelta(minutes=start_min)).astimezone(UTC)
            out.append(
                Incident(kind, candidates[pick % len(candidates)], start, start + timedelta(minutes=minutes))
            )
    return sorted(out, key=lambda i: i.start)


class ParkFeed:
    """The live readings of the demo park's IoT sensors (a `sensors` contract frame: id, kind,
    thresholds); sensors of other kinds (cameras) are left out."""

    def __init__(self, sensors: pd.DataFrame, *, seed: int, zone: ZoneInfo) -> None:
        self.seed = seed
        self.zone = zone
        self.rng = np.random.default_rng([seed, 9])
        self.sites = [
            self._site(str(i), str(k), t if isinstance(t, dict) else {})
            for i, k, t in zip(sensors["id"], sensors["kind"], sensors["thresholds"], strict=True)
            if k in INTERVAL_S
        ]
        self._air = air_series()
        self._schedules: dict[date, list[Incident]] = {}
        self._scales: dict[tuple[str, float | None], float] = {}

    def _site(self, sensor_id: str, kind: str, thresholds: Mapping[str, Any]) -> _Site:
        rng = np.random.default_rng([self.seed, zlib.crc32(sensor_id.encode())])
        interval = INTERVAL_S[kind]
        base = {"gas": rng.uniform(0.2, 1.0), "smoke": rng.uniform(0.02, 0.08)}.get(kind, rng.uniform(4, 8))
        return _Site(
            sensor_id,
            kind,
            thresholds,
            interval,
            int(rng.integers(interval)),
            float(rng.uniform(0, 0.3)),
            float(rng.lognormal(0, 0.12)),
            float(base),
            float(rng.uniform(0.7, 0.95)),
            {q: float(rng.normal(0, 0.05)) for q in thresholds},
        )

    # -- incidents ------------------------------------------------------------------------
    def incidents(self, start: datetime, end: datetime) -> list[Incident]:
        """The scheduled incidents overlapping [start, end) (a day's run into the next)."""
        first = (start.astimezone(self.zone) - timedelta(days=1)).date()
        last = end.astimezone(self.zone).date()
        found = []
        day = first
        while day <= last:
            if day not in self._schedules:
                pairs = [(s.id, s.kind) for s in self.sites]
                self._schedules[day] = schedule(day, pairs, self.seed, self.zone)
                if len(self._schedules) > 8:  # bounded: only days near now are asked for
                    self._schedules.pop(min(self._schedules))
            found += [i for i in self._schedules[day] if i.start < end and i.end > start]
            day += timedelta(days=1)
        return found

    # -- readings -------------------------------------------------------------------------
    def readings(self, start: datetime, end: datetime) -> list[Simulated]:
        """Every reading taken in (start, end], in time order; a silent sensor's are missing."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end are timezone-aware")
        incidents = self.incidents(start, end + timedelta(seconds=1))
        by_sensor: dict[str, list[Incident]] = {}
        for incident in incidents:
            by_sensor.setdefault(incident.sensor_id, []).append(incident)
        s, e = start.timestamp(), end.timestamp()
        out: list[Simulated] = []
        for site in self.sites:
            first = int((s - site.phase) // site.interval) + 1
            last = int((e - site.phase) // site.interval)
            mine = by_sensor.get(site.id, [])
            for k in range(first, last + 1):
                at = datetime.fromtimestamp(k * site.interval + site.phase, UTC)
                if any(i.kind == "silent" and i.covers(at) for i in mine):
                    continue
                out.extend(self._values(site, at, mine))
        out.sort(key=lambda r: (r.at, r.sensor_id, r.quantity))
        return out

    def _values(self, site: _Site, at: datetime, incidents: list[Incident]) -> list[Simulated]:
        local = at.astimezone(self.zone)
        hour = local.hour + local.minute / 60 + local.second / 3600
        bump = sum(i.offset(at) for i in incidents)
        out = []
        for quantity, limits in site.thresholds.items():
            value = self._value(site, quantity, limits, at, hour, local.weekday() >= 5, bump)
            unit = str(limits.get("unit") or "")
            out.append(Simulated(site.id, quantity, unit, round(value, DECIMALS.get(quantity, 2)), at))
        return out

    def _value(
        self,
        site: _Site,
        quantity: str,
        limits: Mapping[str, Any],
        at: datetime,
        hour: float,
        weekend: bool,
        bump: float,
    ) -> float:
        rng = self.rng
        if site.kind == "air_quality":
            return self._air_value(site, quantity, limits, at)
        if site.kind == "noise":
            day_limit = float(limits.get("warning") or 70)
            shape = float(smooth_day(np.array([hour]), NOISE_DAY)[0])
            return day_limit - site.level + shape - 1.5 * weekend + rng.normal(0, 1.5)
        if site.kind == "traffic":
            knots = TRAFFIC_WEEKEND if weekend else TRAFFIC_WEEKDAY
            capacity = float(limits.get("critical") or 0)
            mean = capacity * site.busy * float(smooth_day(np.array([hour]), knots)[0])
            return float(rng.poisson(max(mean, 0.0)))
        if site.kind == "water_level":
            return abs(rng.normal(0, 0.003)) + bump
        if site.kind == "gas":
            return max(site.level + rng.normal(0, 0.3), 0.0) + bump
        clean = max(site.level + rng.normal(0, 0.01), 0.0)  # smoke: the detector reads the worse
        return max(clean, bump)

    def _air_value(self, site: _Site, quantity: str, limits: Mapping[str, Any], at: datetime) -> float:
        series = self._air[quantity].to_numpy() if quantity in self._air else None
        if series is None:
            return 0.0
        offset = at.astimezone(self.zone).utcoffset() or timedelta(0)
        hours = (at.timestamp() + offset.total_seconds()) / 3600 - site.lag_h
        base = float(np.interp(hours % len(series), np.arange(len(series)), series))
        phi = 0.9 ** (site.interval / _AR_STEP_S)
        site.drift[quantity] = phi * site.drift.get(quantity, 0.0) + self.rng.normal(
            0, 0.05 * np.sqrt(1 - phi * phi)
        )
        return max(
            base * site.site * float(np.exp(site.drift[quantity])) * self._scale(quantity, limits), 0.0
        )

    def _scale(self, quantity: str, limits: Mapping[str, Any]) -> float:
        # as the history: the Beijing autumn is dirtier than the park; scale it down so that only
        # AIR_EXCEEDANCE of readings reach the warning level
        key = (quantity, limits.get("warning"))
        if key not in self._scales:
            top = float(np.quantile(self._air[quantity].to_numpy(), 1 - AIR_EXCEEDANCE))
            warn = float(limits.get("warning") or top)
            self._scales[key] = min(1.0, warn / top) if top > 0 else 1.0
        return self._scales[key]
