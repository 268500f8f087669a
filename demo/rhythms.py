"""When cases are reported: season, weekday and hour by channel, over a slowly growing trend."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

# The profiles are tables of numbers: kept one row per line for review.
# fmt: off
# Month (Jan..Dec) multipliers by the catalogue's `season` key.
SEASONS = {
    "none":     [1.0] * 12,
    "spring":   [0.7, 0.8, 1.3, 1.6, 1.4, 1.0, 0.8, 0.8, 0.9, 1.0, 0.9, 0.8],  # dust, muck trucks, pruning
    "summer":   [0.5, 0.5, 0.7, 0.9, 1.2, 1.6, 1.8, 1.7, 1.3, 0.9, 0.6, 0.5],  # odours, night noise, barbecue
    "rainy":    [0.2, 0.2, 0.3, 0.5, 0.9, 1.6, 3.0, 2.7, 1.2, 0.5, 0.3, 0.2],  # Hebei's rains: Jul–Aug
    "autumn":   [0.8, 0.6, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0, 1.3, 1.7, 1.6, 1.1],  # leaf and straw burning
    "winter":   [1.7, 1.5, 1.1, 0.8, 0.6, 0.5, 0.5, 0.5, 0.6, 0.9, 1.4, 1.8],  # ice, gas use
    "heating":  [2.0, 1.8, 1.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 2.0, 2.2],  # heating Nov 15 – Mar 15
    "festival": [2.2, 1.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.6],  # before Spring Festival
    "school":   [0.6, 0.7, 0.8, 0.9, 1.2, 1.8, 1.9, 1.9, 1.5, 0.7, 0.6, 0.5],  # enrolment, new term
}
# Weekday (Mon..Sun) multipliers by channel: patrols rest at weekends, residents write then.
WEEKLY = {
    "hotline_12345": [1.08, 1.02, 1.0, 1.0, 1.0, 0.95, 0.95],
    "video_ai":      [1.0] * 7,
    "grid_patrol":   [1.15, 1.1, 1.1, 1.1, 1.05, 0.3, 0.2],
    "wechat":        [1.0, 0.95, 0.95, 0.95, 1.0, 1.1, 1.1],
    "snap_report":   [0.95, 0.9, 0.9, 0.9, 1.0, 1.2, 1.2],
    "portal":        [1.2, 1.1, 1.1, 1.1, 1.0, 0.6, 0.55],
}
# Hour-of-day (0..23) weights by channel: patrols peak mid-morning and mid-afternoon, the
# hotline and WeChat in the evening, commuters snap reports at the rush hours.
DIURNAL = {
    #                 0    1    2    3    4    5    6    7    8    9   10   11   12   13   14   15   16   17   18   19   20   21   22   23
    "grid_patrol":   [0,   0,   0,   0,   0,   0,   .02, .3,  1.0, 1.8, 2.0, 1.4, .3,  .5,  1.5, 1.9, 1.6, .8,  .2,  .05, .05, .02, 0,   0],
    "hotline_12345": [.3,  .2,  .15, .1,  .1,  .2,  .5,  .9,  1.3, 1.5, 1.5, 1.3, 1.0, 1.0, 1.2, 1.2, 1.2, 1.2, 1.4, 1.7, 1.8, 1.5, 1.0, .6],
    "video_ai":      [.3,  .2,  .2,  .2,  .2,  .3,  .6,  1.0, 1.2, 1.3, 1.3, 1.3, 1.2, 1.2, 1.3, 1.3, 1.3, 1.3, 1.2, 1.0, .8,  .6,  .5,  .4],
    "wechat":        [.4,  .2,  .1,  .1,  .1,  .2,  .4,  .8,  1.0, 1.1, 1.1, 1.1, 1.2, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.0, 1.6, .9],
    "snap_report":   [.3,  .1,  .1,  .1,  .1,  .3,  .8,  1.6, 1.8, 1.2, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.2, 1.6, 1.8, 1.5, 1.2, 1.0, .7,  .5],
    "portal":        [.3,  .2,  .1,  .1,  .1,  .1,  .3,  .6,  1.3, 1.6, 1.6, 1.4, 1.0, 1.1, 1.5, 1.5, 1.4, 1.2, 1.0, 1.0, 1.1, 1.0, .8,  .5],
}
# fmt: on
_US_PER_HOUR = 3_600_000_000


def draw_report_times(
    rng: np.random.Generator,
    now: datetime,
    years: int,
    growth_per_year: float,
    utc_offset_h: int,
    season: np.ndarray,
    channel: np.ndarray,
) -> np.ndarray:
    """One report time per case in the `years` before `now`, given each case's season key and
    channel, as UTC datetime64[us]. Never later than `now`."""
    now_utc = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)
    local_now = now_utc + pd.Timedelta(hours=utc_offset_h)
    local_start = local_now - pd.DateOffset(years=years)
    days = pd.date_range(local_start.normalize(), local_now.normalize(), freq="D")
    t_years = np.asarray((days - days[0]).days, dtype="float64") / 365.25
    trend = (1 + growth_per_year) ** t_years
    month = np.asarray(days.month) - 1
    dow = np.asarray(days.day_of_week)
    lo = (local_start - pd.Timedelta(hours=utc_offset_h)).to_datetime64().astype("datetime64[us]")
    hi = now_utc.to_datetime64().astype("datetime64[us]")
    day0 = days[0].to_datetime64().astype("datetime64[us]") - np.timedelta64(
        utc_offset_h * _US_PER_HOUR, "us"
    )
    out = np.empty(len(season), dtype="datetime64[us]")
    # Group by integer codes (hashing, not sorting 300,000 strings), in first-seen order.
    season_code, season_keys = pd.factorize(season)
    channel_code, channel_keys = pd.factorize(channel)
    group = season_code * len(channel_keys) + channel_code
    todo = np.arange(len(season))
    while len(todo):
        for g in np.unique(group[todo]):
            idx = todo[group[todo] == g]
            s, c = season_keys[g // len(channel_keys)], channel_keys[g % len(channel_keys)]
            w = trend * np.asarray(SEASONS[s])[month] * np.asarray(WEEKLY[c])[dow]
            d = np.searchsorted(np.cumsum(w), rng.random(len(idx)) * w.sum(), side="right")
            hours = np.asarray(DIURNAL[c], dtype="float64")
            h = np.searchsorted(np.cumsum(hours), rng.random(len(idx)) * hours.sum(), side="right")
            us = ((d * 24 + h + rng.random(len(idx))) * _US_PER_HOUR).astype("int64")
            out[idx] = day0 + us.astype("timedelta64[us]")
        # The first and last days are partial: draws outside the window are drawn again.
        todo = todo[(out[todo] < lo) | (out[todo] > hi)]
    return out
