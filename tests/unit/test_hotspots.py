"""Act before complaints (domain/hotspots.py): counts that must and must not flag, the tail and
the false-discovery correction, and repeated complaints from one place."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from domain.hotspots import (
    COUNT,
    REPEAT,
    HotspotRules,
    benjamini_hochberg,
    count_pvalues,
    expectations,
    find_hotspots,
    nb_upper_tail,
    windows,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)  # a Wednesday, noon in the park
RULES = HotspotRules()
W = windows(NOW, ZONE, RULES)
K = RULES.baseline_weeks


def _cells(n: int) -> pd.DataFrame:
    ids = [f"U{i:03d}" for i in range(n)]
    return pd.DataFrame(
        {"lon": 114.6 + np.arange(n) * 0.002, "lat": 38.0, "area_m2": 33_000.0},
        index=pd.Index(ids, name="id"),
    )


def _recent(counts: np.ndarray, cells: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """counts[cell, type, block] (block 0 the window) as the store's GROUP BY answers it."""
    c, t, b = np.nonzero(counts)
    return pd.DataFrame(
        {
            "grid_cell": cells.index.to_numpy()[c],
            "case_type": np.asarray(types)[t],
            "block": b,
            "count": counts[c, t, b],
        }
    )


def _history(per_type: dict[str, tuple[int, int]], years: int = 2) -> pd.DataFrame:
    """Earlier years: per type (window count, count per baseline week), park-wide."""
    rows = []
    for case_type, (window, week) in per_type.items():
        for year in range(1, years + 1):
            rows.append((case_type, year, 0, window))
            rows.extend((case_type, year, block, week) for block in range(1, K + 1))
    return pd.DataFrame(rows, columns=["case_type", "year", "block", "count"])


NO_CASES = pd.DataFrame(columns=["id", "case_type", "grid_cell", "lon", "lat", "address"])


def test_the_window_is_the_last_seven_park_days_and_the_baseline_the_same_weekdays() -> None:
    assert (W.first_day.isoformat(), W.last_day.isoformat()) == ("2026-07-09", "2026-07-15")
    assert W.window.start == datetime(2026, 7, 9, tzinfo=ZONE) and W.window.end == NOW
    week1 = W.years[0][1]
    assert week1.start == datetime(2026, 7, 2, tzinfo=ZONE) and week1.end.weekday() == NOW.weekday()
    last_year = W.years[1][0]
    assert last_year.start.weekday() == W.window.start.weekday()
    assert (W.window.start - last_year.start).days == 364


def test_negative_binomial_tail_matches_the_sum_of_its_terms_and_poisson_at_large_size() -> None:
    # P(X >= 3) for Poisson(1): 1 - e^-1 (1 + 1 + 1/2)
    assert nb_upper_tail(3, 1.0, None) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)
    assert nb_upper_tail(3, 1.0, 1e12) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)
    # geometric (size 1, mean 1): P(X >= k) = (1/2)^k
    assert nb_upper_tail(10, 1.0, 1.0) == pytest.approx(0.5**10, rel=1e-12)
    assert nb_upper_tail(0, 5.0, 2.0) == 1.0
    # far tails keep their precision instead of rounding to 0
    assert 0 < nb_upper_tail(60, 2.0, None) < 1e-40
    # overdispersion makes the same count less surprising
    assert nb_upper_tail(12, 3.0, 2.0) > nb_upper_tail(12, 3.0, None)


def test_benjamini_hochberg_q_values() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    # sorted: 0.01·4/1, 0.03·4/2, 0.04·4/3, 0.2·4/4, then each no larger than those after it
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert list(benjamini_hochberg([])) == []


def _steady_field(rng: np.random.Generator, n_cells: int, types: list[str], rate: np.ndarray) -> np.ndarray:
    """Poisson counts per cell, type and block at `rate[cell, type]` per week."""
    return rng.poisson(rate[:, :, None], size=(n_cells, len(types), K + 1))


def test_a_real_spike_in_one_cell_flags_with_its_evidence() -> None:
    rng = np.random.default_rng(7)
    cells, types = _cells(100), ["um.storm_drain_blocked", "ep.odour"]
    counts = _steady_field(rng, 100, types, np.full((100, 2), 0.4))
    counts[17, 0, 1:] = [3, 2, 4, 3, 3, 2, 3, 4]  # usually about three a week
    counts[17, 0, 0] = 12
    window_cases = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(12)],
            "case_type": types[0],
            "grid_cell": "U017",
            "lon": 114.6 + 17 * 0.002 + np.arange(12) * 0.003,  # spread out: no cluster
            "lat": 38.0,
            "address": None,
        }
    )
    found = find_hotspots(_recent(counts, cells, types), _history({}), window_cases, cells, RULES, W)
    assert [(f.kind, f.grid_cell, f.case_type) for f in found] == [(COUNT, "U017", "um.storm_drain_blocked")]
    spike = found[0]
    assert spike.observed == 12 and 2 < spike.expected < 4
    assert spike.p < 1e-4 and spike.q <= RULES.fdr
    assert spike.case_ids == tuple(sorted(f"c{i}" for i in range(12)))
    assert (spike.window_start, spike.window_end) == (W.window.start, NOW)
    assert (spike.lon, spike.lat) == pytest.approx((114.6 + 17 * 0.002, 38.0))


def test_a_seasonal_rise_the_earlier_years_also_had_does_not_flag() -> None:
    rng = np.random.default_rng(11)
    cells, types = _cells(200), ["um.storm_drain_blocked"]
    rate = np.full((200, 1), 1.0)
    counts = _steady_field(rng, 200, types, rate)
    counts[:, :, 0] = rng.poisson(3.0, size=(200, 1))  # July's rains: three times a usual week
    recent = _recent(counts, cells, types)
    # Without the earlier years to say July is like this, the rise flags: the test has teeth.
    assert len(find_hotspots(recent, _history({}), NO_CASES, cells, RULES, W)) > 5
    # Park-wide the type tripled into this window in earlier years too: nothing to flag.
    history = _history({"um.storm_drain_blocked": (600, 200)})
    assert find_hotspots(recent, history, NO_CASES, cells, RULES, W) == []
    # ... but one cell far beyond the season still flags.
    counts[42, 0, 0] = 16
    found = find_hotspots(_recent(counts, cells, types), history, NO_CASES, cells, RULES, W)
    assert [f.grid_cell for f in found] == ["U042"]


@pytest.mark.parametrize("seed", range(5))
def test_false_discoveries_stay_rare_on_pure_poisson_noise(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    cells, types = _cells(400), [f"t{i}" for i in range(15)]
    rate = rng.gamma(1.0, 1.0, size=(400, 15))  # cells differ; each keeps its own rate
    recent = _recent(_steady_field(rng, 400, types, rate), cells, types)
    found = find_hotspots(recent, _history({}), NO_CASES, cells, RULES, W)
    assert len(found) <= 1, [(f.grid_cell, f.case_type, f.observed, f.expected) for f in found]
    # Uncorrected, the same noise "flags" dozens of pairs at p < 0.05: the correction does the work.
    expect = expectations(recent, _history({}), RULES, len(cells))
    p = count_pvalues(expect)
    assert ((p < 0.05) & (expect.frame["observed"].to_numpy() >= RULES.min_count)).sum() > 30


def test_a_single_case_in_a_quiet_cell_never_flags() -> None:
    cells, types = _cells(50), ["cg.household_noise"]
    counts = np.zeros((50, 1, K + 1), dtype="int64")
    counts[3, 0, 0] = 1
    counts[4, 0, 0] = RULES.min_count - 1
    found = find_hotspots(_recent(counts, cells, types), _history({}), NO_CASES, cells, RULES, W)
    assert found == []


def _place(n: int, lon: float, lat: float, spread_m: float, rng: np.random.Generator) -> tuple:
    return (
        lon + rng.normal(0, spread_m, n) / (111_320 * math.cos(math.radians(lat))),
        lat + rng.normal(0, spread_m, n) / 110_540,
    )


def test_repeated_complaints_from_one_place_form_a_cluster_with_its_cases() -> None:
    rng = np.random.default_rng(3)
    cells, types = _cells(100), ["um.storm_drain_blocked"]
    counts = _steady_field(rng, 100, types, np.full((100, 1), 0.3))
    counts[5, 0, 0] = 5
    lon, lat = _place(5, 114.61, 38.0, 8.0, rng)
    window_cases = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(5)],
            "case_type": types[0],
            "grid_cell": "U005",
            "lon": lon,
            "lat": lat,
            "address": None,
        }  # fmt: skip
    )
    found = find_hotspots(_recent(counts, cells, types), _history({}), window_cases, cells, RULES, W)
    repeat = [f for f in found if f.kind == REPEAT]
    assert len(repeat) == 1
    assert repeat[0].case_ids == ("r0", "r1", "r2", "r3", "r4") and repeat[0].observed == 5
    assert repeat[0].lon == pytest.approx(float(np.mean(lon)))
    assert repeat[0].radius_m == RULES.cluster_radius_m and repeat[0].expected < 1


def test_cases_at_one_address_cluster_without_coordinates_and_scattered_ones_do_not() -> None:
    cells = _cells(10)
    same = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "case_type": "cg.household_noise",
            "grid_cell": "U001",
            "lon": np.nan,
            "lat": np.nan,
            "address": "建设北大街12号",
        }  # fmt: skip
    )
    scattered = pd.DataFrame(
        {
            "id": ["x", "y", "z"],
            "case_type": "ep.odour",
            "grid_cell": "U002",
            "lon": [114.60, 114.61, 114.62],
            "lat": 38.0,
            "address": ["甲", "乙", "丙"],
        }  # fmt: skip
    )
    empty = pd.DataFrame(columns=["grid_cell", "case_type", "block", "count"])
    found = find_hotspots(empty, _history({}), pd.concat([same, scattered]), cells, RULES, W)
    assert [(f.kind, f.case_ids) for f in found] == [(REPEAT, ("a", "b", "c"))]


def test_usual_cases_of_a_busy_cell_are_not_a_cluster() -> None:
    rng = np.random.default_rng(5)
    cells, types = _cells(100), ["um.illegal_parking"]
    rate = np.full((100, 1), 0.3)
    rate[9, 0] = 6.0
    counts = _steady_field(rng, 100, types, rate)
    counts[9, 0, 0] = 6
    lon, lat = _place(6, 114.618, 38.0, 60.0, rng)  # anywhere in the cell, as usual
    window_cases = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(6)],
            "case_type": types[0],
            "grid_cell": "U009",
            "lon": lon,
            "lat": lat,
            "address": None,
        }  # fmt: skip
    )
    assert find_hotspots(_recent(counts, cells, types), _history({}), window_cases, cells, RULES, W) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"window_days": 10}, "window_days must be 1 to 7"),
        ({"baseline_weeks": 1}, "baseline_weeks must be at least 2"),
        ({"fdr": 0.0}, "fdr must be between 0 and 1"),
        ({"min_count": 1}, "one case is not a pattern"),
    ],
)
def test_bad_rules_are_refused_with_the_setting_named(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HotspotRules(**values)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        windows(datetime(2026, 7, 15, 12, 0), ZONE, RULES)  # noqa: DTZ001 - the bad input
