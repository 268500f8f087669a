"""Seven days of 5-minute sensor readings: daily and weekly rhythms, noise, a few incidents."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from demo.files import DATA_DIR
from demo.sensors import SENSOR_KINDS
from demo.spec import ParkSpec

_AIR_FILE = "air_quality_aotizhongxin_2016-09-15_2016-11-14.csv"
_AIR_COLUMNS = {"pm25": "PM2.5", "pm10": "PM10", "no2": "NO2", "o3": "O3", "so2": "SO2", "co": "CO"}
# The Beijing station's autumn is dirtier than the park's air today: each pollutant is scaled
# down so that only this share of readings reaches its warning level.
AIR_EXCEEDANCE = 0.002
DECIMALS = {
    "pm25": 0,
    "pm10": 0,
    "no2": 0,
    "o3": 0,
    "so2": 0,
    "co": 2,
    "laeq": 1,
    "level": 3,
    "ch4": 1,
    "obscuration": 2,
    "flow": 0,
}
# Daily profiles (hour of the park's day → value), shared with the live feed (demo/live_feed.py):
# noise in dB(A) about a site's level; traffic as a share of its lanes' capacity.
NOISE_DAY: dict[int, float] = {0: -9, 5: -8, 7: 0, 9: 1, 12: 0, 17: 1, 19: 0, 22: -5, 24: -9}
TRAFFIC_WEEKDAY = {
    0: 0.06,
    5: 0.08,
    7: 0.6,
    8: 0.78,
    9: 0.55,
    12: 0.45,
    17: 0.62,
    18: 0.8,
    19: 0.55,
    22: 0.2,
    24: 0.06,
}
TRAFFIC_WEEKEND = {0: 0.06, 7: 0.15, 10: 0.45, 15: 0.5, 19: 0.4, 22: 0.2, 24: 0.06}


@functools.cache
def air_series() -> pd.DataFrame:
    """The hourly air-quality slice (demo/data, UCI Beijing Multi-Site, CC BY 4.0), gaps filled
    by linear interpolation, CO in mg/m3 like the Chinese standard."""
    raw = pd.read_csv(DATA_DIR / _AIR_FILE)
    frame = raw[list(_AIR_COLUMNS.values())].interpolate(limit_direction="both")
    frame.columns = list(_AIR_COLUMNS)
    frame["co"] = frame["co"] / 1000
    frame["hour"] = raw["hour"].to_numpy()
    return frame


def reading_times(spec: ParkSpec, now: datetime) -> np.ndarray:
    """The 5-minute marks of the `spec.reading_days` before `now`, oldest first, as UTC
    datetime64[us] (the last mark is `now` rounded down)."""
    step = timedelta(minutes=spec.reading_interval_min)
    end = pd.Timestamp(now).tz_convert("UTC").floor(step).tz_localize(None).to_datetime64()
    n = int(timedelta(days=spec.reading_days) / step)
    return (end - np.arange(n)[::-1] * np.timedelta64(step)).astype("datetime64[us]")


def build_readings(
    spec: ParkSpec, sensors: pd.DataFrame, now: datetime, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per sensor, quantity and 5-minute mark: sensor_id, quantity, unit, value, at."""
    times = reading_times(spec, now)
    local = pd.DatetimeIndex(times) + pd.Timedelta(hours=spec.utc_offset_h)
    hour = np.asarray(local.hour + local.minute / 60, dtype="float64")
    weekend = np.asarray(local.day_of_week >= 5)
    parts = []
    for kind in SENSOR_KINDS:
        group = sensors[sensors["kind"] == kind.kind]
        if group.empty:
            continue
        for q in kind.quantities:
            limits = [t[q.name] for t in group["thresholds"]]
            values = _GENERATORS[kind.kind](q.name, limits, hour, weekend, rng)
            values = np.round(values, DECIMALS[q.name])
            parts.append(
                pd.DataFrame(
                    {
                        "sensor_id": np.repeat(group["id"].to_numpy(), len(times)),
                        "quantity": q.name,
                        "unit": q.unit,
                        "value": values.ravel(),
                        "at": np.tile(times, len(group)),
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    frame["at"] = frame["at"].dt.tz_localize("UTC")
    return frame


def _air(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """The regional series of the source station, lagged and scaled per site, with noise."""
    src = air_series()
    n, k = len(hour), len(limits)
    # Start the window where the source's hour of day matches the first reading's, so the
    # diurnal shape (morning traffic, afternoon ozone) lands at the right local time.
    starts = np.flatnonzero(src["hour"].to_numpy() == int(hour[0]))
    starts = starts[starts + n / 12 + 2 < len(src)]
    start = starts[rng.integers(len(starts))]
    x = start + (np.arange(n) / 12 + (hour[0] % 1))
    lag = rng.uniform(0, 0.3, size=(k, 1))
    site = rng.lognormal(0, 0.12, size=(k, 1))
    series = src[name].to_numpy()
    base = np.interp(x[None, :] - lag, np.arange(len(series)), series)
    values = np.maximum(base * site * _ar1(rng, (k, n), 0.9, 0.05, multiplicative=True), 0.0)
    warn = limits[0]["warning"]
    top = np.quantile(values, 1 - AIR_EXCEEDANCE)
    return values * min(1.0, warn / top) if top > 0 else values


def _noise(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """Quieter at night by 8–10 dB(A), louder at the traffic peaks; one construction episode."""
    k, n = len(limits), len(hour)
    day = np.array([t["warning"] for t in limits], dtype="float64")[:, None]
    level = day - rng.uniform(4, 8, (k, 1))
    shape = smooth_day(hour, NOISE_DAY)
    values = level + shape[None, :] - 1.5 * weekend[None, :] + rng.normal(0, 1.5, (k, n))
    _episode(rng, values, hour, add=lambda v: v + rng.uniform(11, 15), length=(3, 6), daytime=True)
    return values


def _water(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """Dry roads read zero (with a few millimetres of sensor noise); one storm puddles every
    gauge for a few hours, the deepest low point past the warning depth."""
    k, n = len(limits), len(hour)
    values = np.abs(rng.normal(0, 0.003, (k, n)))
    start = int(rng.integers(n // 6, n - n // 4))
    t = np.arange(n) - start
    rise, fall = 6, rng.uniform(18, 36)  # 30 min to fill, a few hours to drain (5-min steps)
    shape = np.where(t < 0, 0, np.where(t < rise, t / rise, np.exp(-(t - rise) / fall)))
    peaks = rng.uniform(0.02, 0.12, (k, 1))
    peaks[rng.integers(k)] = rng.uniform(0.16, 0.22)
    return values + peaks * shape[None, :]


def _gas(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """Near zero %LEL with drift; one leak near a kitchen climbs past the first alarm level."""
    k, n = len(limits), len(hour)
    values = np.maximum(rng.uniform(0.2, 1.0, (k, 1)) + rng.normal(0, 0.3, (k, n)), 0)
    _episode(rng, values, hour, add=lambda v: v + rng.uniform(22, 32), length=(3, 5), daytime=True)
    return values


def _smoke(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """Clean air reads a few hundredths of %/m; one burst of cooking smoke trips a detector."""
    k, n = len(limits), len(hour)
    values = np.maximum(rng.uniform(0.02, 0.08, (k, 1)) + rng.normal(0, 0.01, (k, n)), 0)
    _episode(rng, values, hour, add=lambda v: v + rng.uniform(2.1, 2.8), length=(2, 3), daytime=True)
    return values


def _traffic(name: str, limits: list[dict], hour: np.ndarray, weekend: np.ndarray, rng) -> np.ndarray:
    """Flow follows the commuter peaks on weekdays and a flat midday hump at weekends; one
    counter on a busy road runs close to capacity at the evening peak."""
    k = len(limits)
    cap = np.array([t["critical"] for t in limits], dtype="float64")[:, None]
    weekday = smooth_day(hour, TRAFFIC_WEEKDAY)
    weekend_shape = smooth_day(hour, TRAFFIC_WEEKEND)
    shape = np.where(weekend, weekend_shape, weekday)
    busy = rng.uniform(0.7, 0.95, (k, 1))
    busy[rng.integers(k)] = 1.08
    mean = cap * busy * shape[None, :]
    return rng.poisson(np.maximum(mean, 0)).astype("float64")


_GENERATORS = {
    "air_quality": _air,
    "noise": _noise,
    "water_level": _water,
    "gas": _gas,
    "smoke": _smoke,
    "traffic": _traffic,
}


def smooth_day(hour: np.ndarray, knots: dict[int, float]) -> np.ndarray:
    """A daily profile through the given (hour → value) knots, linear between them."""
    h = np.array(sorted(knots), dtype="float64")
    return np.interp(hour, h, [knots[int(x)] for x in h])


def _ar1(
    rng: np.random.Generator, shape: tuple[int, int], phi: float, sd: float, multiplicative: bool
) -> np.ndarray:
    """Autocorrelated noise along the time axis (sensors drift, they do not jump)."""
    eps = rng.normal(0, sd * np.sqrt(1 - phi * phi), shape)
    out = np.empty(shape)
    out[:, 0] = rng.normal(0, sd, shape[0])
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + eps[:, t]
    return np.exp(out) if multiplicative else out


def _episode(rng, values: np.ndarray, hour: np.ndarray, add, length: tuple[int, int], daytime: bool) -> None:
    """Raise one sensor's readings for a few consecutive marks, in working hours, not in the
    last two hours (so its alert has closed by `now`)."""
    k, n = values.shape
    s = int(rng.integers(k))
    candidates = np.flatnonzero((hour >= 9) & (hour < 18)) if daytime else np.arange(n)
    candidates = candidates[candidates < n - 24 - length[1]]
    t0 = int(candidates[rng.integers(len(candidates))])
    span = int(rng.integers(length[0], length[1] + 1))
    values[s, t0 : t0 + span] = add(values[s, t0 : t0 + span])
