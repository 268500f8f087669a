"""Act before complaints (未诉先办): grid cells × case types whose recent counts are anomalous
against their own seasonal baseline, and repeated complaints from one place.

The count test, per (grid cell, case type):
- Window: the last `window_days` park-local days up to now (today partly). Baseline: the same
  weekdays and hours in each of the `baseline_weeks` weeks before (block k is the window moved
  back 7·k days), so a weekday rhythm never reads as a rise.
- Season: how the type's park-wide count moved from those baseline weeks into the window in
  earlier years (the same spans 52, 104, … weeks back; weekdays stay aligned), as a factor s on
  the expectation. A rise the season always brings (storm drains in July) is expected.
- Expected: the cell's own baseline rate, shrunk towards the type's park-wide rate per cell by a
  weak gamma prior worth `prior_cases` cases (a cell with no baseline case still has a small
  expectation), times s and the window's length.
- Distribution: negative binomial with mean = expected and 1/size = 1/(prior_cases + baseline
  count) + α. The first term is the uncertainty of a rate judged from few cases (the gamma-
  Poisson predictive), α the type's extra-Poisson dispersion estimated from the baseline weeks'
  counts of all cells (method of moments, pooled). α = 0 and a long baseline give Poisson.
- p = P(X ≥ observed), the upper tail, summed from log-gamma terms (no scipy); this tail, α
  and the correction below are domain/hotspot_stats.py's.
- Benjamini–Hochberg false-discovery correction across every (cell, type) pair tested: every
  pair with a case in the window or the baseline (a pair with no case in the window has p = 1).
  A pair is flagged when q ≤ `fdr` and it has at least `min_count` cases in the window, so a
  single case never flags.

Repeated complaints: cases of one type in the window, `cluster_min` or more within
`cluster_radius_m` metres of one of them (lon/lat, or the same address where a case has no
place). The cluster's expectation is its cell's expected count times the share of the cell a
disc of that radius covers, and its p the same negative-binomial tail. The disc is centred on a
case after looking, so that p is optimistic: clusters join the same false-discovery correction
and must still reach `cluster_min` cases. Every finding carries its evidence: observed,
expected, p, q, the window and the ids of the cases behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from domain.hotspot_stats import benjamini_hochberg, dispersion, nb_upper_tail

COUNT = "count"  # a cell × type over its seasonal baseline
REPEAT = "repeat"  # repeated complaints from one place
_M_PER_DEG_LAT = 110_540.0
_M_PER_DEG_LON = 111_320.0


@dataclass(frozen=True)
class HotspotRules:
    """The test's settings. Raises ValueError for a window that is not 1–7 days, a baseline
    under two weeks, an fdr outside (0, 1) or a minimum below two cases."""

    window_days: int = 7
    baseline_weeks: int = 8
    seasonal_years: int = 2
    min_count: int = 4
    fdr: float = 0.05
    prior_cases: float = 0.5
    cluster_radius_m: float = 50.0
    cluster_min: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 7:
            raise ValueError(
                f"window_days must be 1 to 7 (the same weekdays each week), not {self.window_days}"
            )
        if self.baseline_weeks < 2:
            raise ValueError(f"baseline_weeks must be at least 2, not {self.baseline_weeks}")
        if not 0 < self.fdr < 1:
            raise ValueError(f"fdr must be between 0 and 1, not {self.fdr}")
        if self.min_count < 2 or self.cluster_min < 2:
            raise ValueError("min_count and cluster_min must be at least 2 (one case is not a pattern)")
        if self.seasonal_years < 0 or self.prior_cases <= 0 or self.cluster_radius_m <= 0:
            raise ValueError("seasonal_years must be ≥ 0, prior_cases and cluster_radius_m > 0")


@dataclass(frozen=True)
class Span:
    """One block of time: `start` included, `end` excluded (aware datetimes)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Windows:
    """The window (block 0) and its baseline blocks (1..K) for this year (`years[0]`) and the
    earlier years (`years[y]`, moved back 52·y weeks), and the window's park-local days."""

    years: tuple[tuple[Span, ...], ...]
    first_day: date
    last_day: date

    @property
    def window(self) -> Span:
        return self.years[0][0]


def windows(now: datetime, zone: ZoneInfo, rules: HotspotRules) -> Windows:
    """The blocks for a test run at `now` (aware): the window starts at the park-local midnight
    `window_days - 1` days before today's and ends at `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(zone).date()
    first = today - timedelta(days=rules.window_days - 1)
    start = datetime.combine(first, time(), zone)
    years = []
    for y in range(rules.seasonal_years + 1):
        back = timedelta(weeks=52 * y)
        years.append(
            tuple(
                Span(start - back - timedelta(weeks=k), now - back - timedelta(weeks=k))
                for k in range(rules.baseline_weeks + 1)
            )
        )
    return Windows(tuple(years), first, today)


@dataclass(frozen=True)
class Finding:
    """One thing worth acting on. `expected` is the count usual for the same span; `p` the
    chance of `observed` or more if nothing changed, `q` its false-discovery-corrected value."""

    kind: str  # COUNT or REPEAT
    grid_cell: str
    case_type: str
    observed: int
    expected: float
    p: float
    q: float
    window_start: datetime
    window_end: datetime
    case_ids: tuple[str, ...] = ()
    lon: float | None = None  # a cluster's centroid; a count finding's is its cell's centre
    lat: float | None = None
    radius_m: float | None = None

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf


@dataclass(frozen=True)
class Expectation:
    """Per (grid_cell, case_type): the window's count, its expectation and NB size."""

    frame: pd.DataFrame  # index (grid_cell, case_type); columns observed, expected, size, baseline
    seasonal: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))


def expectations(
    recent: pd.DataFrame,
    history: pd.DataFrame,
    rules: HotspotRules,
    n_cells: int,
    baseline_blocks: int | None = None,
) -> Expectation:
    """The model above, for every pair with a case in `recent`.

    `recent`: columns grid_cell, case_type, block (0 the window, 1..K the baseline weeks), count.
    `history`: columns case_type, year (1..Y), block, count: the type's park-wide counts in the
    same blocks of earlier years (only years whose blocks the store covers whole).
    `baseline_blocks`: how many baseline weeks the store covers (default all K)."""
    k = (
        rules.baseline_weeks
        if baseline_blocks is None
        else max(0, min(baseline_blocks, rules.baseline_weeks))
    )
    table = (
        recent[recent["block"].between(0, k)]
        .pivot_table(index=["grid_cell", "case_type"], columns="block", values="count", aggfunc="sum")
        .reindex(columns=range(k + 1), fill_value=0)
        .fillna(0)
    )
    columns = ["observed", "expected", "size", "baseline"]
    if table.empty:
        return Expectation(pd.DataFrame(columns=columns, index=table.index))
    observed = table[0].astype("int64")
    base = table[list(range(1, k + 1))]
    baseline = base.sum(axis=1)
    seasonal = seasonal_factors(history, rules)
    types = table.index.get_level_values("case_type")
    s = seasonal.reindex(types, fill_value=1.0).to_numpy()
    alpha = dispersion(base).reindex(types, fill_value=0.0).to_numpy() if k >= 2 else np.zeros(len(table))
    a0 = rules.prior_cases
    type_total = baseline.groupby(level="case_type").sum()
    per_cell = (type_total.reindex(types).to_numpy() + a0) / (max(n_cells, 1) * max(k, 1))
    b0 = a0 / per_cell  # the prior's weight in weeks
    rate = (a0 + baseline.to_numpy()) / (b0 + k)  # per baseline week
    # the window is a partial week when window_days < 7: the blocks are the same length, so
    # a block's rate is the window's
    expected = s * rate
    size = 1.0 / (1.0 / (a0 + baseline.to_numpy()) + alpha)
    frame = pd.DataFrame(
        {
            "observed": observed.to_numpy(),
            "expected": expected,
            "size": size,
            "baseline": baseline.to_numpy(),
        },
        index=table.index,
    )
    return Expectation(frame, seasonal)


def seasonal_factors(history: pd.DataFrame, rules: HotspotRules) -> pd.Series:
    """Per case type, how much more (or less) of it the window holds than a baseline week in the
    earlier years: (Σ window + 2) / (Σ baseline / K + 2), the pseudo-counts pulling a factor
    judged from few cases towards 1."""
    if history.empty:
        return pd.Series(dtype="float64")
    k = rules.baseline_weeks
    h = history[history["block"].between(0, k)]
    window = h[h["block"] == 0].groupby("case_type")["count"].sum()
    base = h[h["block"] > 0].groupby("case_type")["count"].sum()
    types = window.index.union(base.index)
    window = window.reindex(types, fill_value=0)
    base = base.reindex(types, fill_value=0)
    return (window + 2.0) / (base / k + 2.0)


def count_pvalues(expect: Expectation) -> np.ndarray:
    """Every tested pair's p-value, in the order of `expect.frame`."""
    frame = expect.frame
    columns = (frame["observed"].to_numpy(), frame["expected"].to_numpy(), frame["size"].to_numpy())
    return np.asarray(
        [nb_upper_tail(int(o), float(e), float(r)) for o, e, r in zip(*columns, strict=True)], dtype="float64"
    )


def metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local east/north metres from lon/lat (equirectangular: exact enough within a park)."""
    known = lat[np.isfinite(lat)]
    lat0 = float(known.mean()) if len(known) else 0.0
    return lon * _M_PER_DEG_LON * math.cos(math.radians(lat0)), lat * _M_PER_DEG_LAT


def clusters(cases: pd.DataFrame, rules: HotspotRules) -> list[pd.DataFrame]:
    """Groups of `cluster_min` or more cases of one type within `cluster_radius_m` of one of
    them or at the same address, largest first, each case in one group at most.
    `cases`: columns id, case_type, grid_cell, lon, lat, address (the window's cases)."""
    found = []
    for _, group in cases.groupby("case_type", sort=True):
        if len(group) < rules.cluster_min:
            continue
        group = group.reset_index(drop=True)
        x, y = metres(group["lon"].to_numpy(dtype="float64"), group["lat"].to_numpy(dtype="float64"))
        near = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) <= rules.cluster_radius_m
        address = group["address"].fillna("").astype(str).str.strip().to_numpy()
        same = (address[:, None] == address[None, :]) & (address[:, None] != "")
        linked = near | same
        free = np.ones(len(group), dtype=bool)
        if linked.sum(axis=1).max() < rules.cluster_min:
            continue  # most types: no case has enough neighbours, no need to peel groups off
        while True:
            degree = (linked & free[None, :] & free[:, None]).sum(axis=1)
            centre = int(np.argmax(degree))
            if degree[centre] < rules.cluster_min:
                break
            members = np.flatnonzero(linked[centre] & free)
            found.append(group.iloc[members])
            free[members] = False
    return found


def find_hotspots(
    recent: pd.DataFrame,
    history: pd.DataFrame,
    window_cases: pd.DataFrame,
    cells: pd.DataFrame,
    rules: HotspotRules,
    w: Windows,
    baseline_blocks: int | None = None,
) -> list[Finding]:
    """The flagged findings, most surprising first (smallest p; ties: larger observed).

    `recent`, `history`: as `expectations` takes them. `window_cases`: the window's cases (id,
    case_type, grid_cell, lon, lat, address), for the ids behind each finding and the clusters.
    `cells`: grid cells (index id; columns lon, lat, area_m2), for centres and disc shares."""
    expect = expectations(recent, history, rules, len(cells), baseline_blocks)
    frame = expect.frame
    p_count = count_pvalues(expect)
    repeats = [_repeat(group, frame, cells, rules, w) for group in clusters(window_cases, rules)]
    # one family: every pair tested and every candidate cluster
    q = benjamini_hochberg(np.concatenate([p_count, np.asarray([f.p for f in repeats], dtype="float64")]))
    q_count, q_repeat = q[: len(p_count)], q[len(p_count) :]
    out = [
        replace(f, q=float(q_value))
        for f, q_value in zip(repeats, q_repeat, strict=True)
        if q_value <= rules.fdr
    ]
    observed = frame["observed"].to_numpy()
    for i in np.flatnonzero((q_count <= rules.fdr) & (observed >= rules.min_count)):
        cell, case_type = (str(x) for x in frame.index[i])
        known = cell in cells.index
        out.append(
            Finding(
                COUNT,
                cell,
                case_type,
                int(observed[i]),
                float(frame["expected"].iat[i]),
                float(p_count[i]),
                float(q_count[i]),
                w.window.start,
                w.window.end,
                _ids_of(window_cases, cell, case_type),
                _number(cells.at[cell, "lon"]) if known else None,
                _number(cells.at[cell, "lat"]) if known else None,
            )  # fmt: skip
        )
    out.sort(key=lambda f: (f.p, -f.observed, f.kind, f.grid_cell, f.case_type))
    return out


def _repeat(
    group: pd.DataFrame, frame: pd.DataFrame, cells: pd.DataFrame, rules: HotspotRules, w: Windows
) -> Finding:
    """A cluster as a finding: its expectation is its cell's for the type times the share of
    the cell a disc of the radius covers; its place the cases' centroid (else the cell's centre)."""
    cell = str(group["grid_cell"].mode().iat[0])
    case_type = str(group["case_type"].iat[0])
    known = (cell, case_type) in frame.index
    cell_expected = float(frame.at[(cell, case_type), "expected"]) if known else 0.0
    size = float(frame.at[(cell, case_type), "size"]) if known else rules.prior_cases
    area = float(cells.at[cell, "area_m2"]) if cell in cells.index and "area_m2" in cells else math.nan
    share = min(1.0, math.pi * rules.cluster_radius_m**2 / area) if area > 0 else 1.0
    expected = cell_expected * share
    lon, lat = _number(group["lon"].mean()), _number(group["lat"].mean())
    if (lon is None or lat is None) and cell in cells.index:
        lon, lat = _number(cells.at[cell, "lon"]), _number(cells.at[cell, "lat"])
    return Finding(REPEAT, cell, case_type, len(group), expected, nb_upper_tail(len(group), expected, size), 1.0,
                   w.window.start, w.window.end, tuple(sorted(map(str, group["id"]))), lon, lat,
                   rules.cluster_radius_m)  # fmt: skip


def _ids_of(cases: pd.DataFrame, cell: str, case_type: str) -> tuple[str, ...]:
    if cases.empty:
        return ()
    ids = cases.loc[(cases["grid_cell"] == cell) & (cases["case_type"] == case_type), "id"]
    return tuple(sorted(map(str, ids)))


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
