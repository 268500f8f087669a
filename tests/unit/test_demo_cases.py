"""Demo cases: the closed loop, its audit trail, and the rhythms and hot spots in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from demo import DemoPark, generate_park
from demo.cases import TIME_COLUMNS, _case_ids
from demo.catalogue import STAGES
from domain.hotspots import COUNT, REPEAT, HotspotRules, find_hotspots, windows

NOW = datetime(2026, 11, 24, 3, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return generate_park(seed=20261124, cases=20_000, now=NOW)


@pytest.fixture(scope="module")
def cases(park: DemoPark) -> pd.DataFrame:
    return park.cases


def test_case_times_follow_the_closed_loop(cases: pd.DataFrame) -> None:
    times = cases[list(TIME_COLUMNS)]
    reached = times.notna().to_numpy()
    # A stage is reached only after every stage before it, and the status names the last one.
    assert (np.diff(reached.astype(int), axis=1) <= 0).all()
    statuses = np.array(["reported", "accepted", "dispatched", "handled", "verified", "closed"])
    assert (cases["status"].to_numpy() == statuses[reached.sum(axis=1) - 1]).all()
    values = times.apply(lambda s: s.astype("int64").where(s.notna()))
    assert (values.diff(axis=1).iloc[:, 1:].fillna(1) > 0).all().all()
    assert times.max(axis=None) <= pd.Timestamp(NOW)
    assert cases["reported_at"].min() >= pd.Timestamp(NOW) - pd.DateOffset(years=3)
    assert (cases["sla_deadline"] > cases["reported_at"]).all()


def test_case_events_trace_every_stage_reached(park: DemoPark, cases: pd.DataFrame) -> None:
    events = park.case_events
    assert len(events) == int(cases[list(TIME_COLUMNS)].notna().sum(axis=None))
    first = cases.iloc[[0, len(cases) // 2, len(cases) - 1]]
    for _, case in first.iterrows():
        trail = events[events["case_id"] == case["id"]]
        expected = [c.removesuffix("_at") for c in TIME_COLUMNS if pd.notna(case[c])]
        assert trail["action"].tolist() == expected
        assert trail["at"].tolist() == [case[c] for c in TIME_COLUMNS if pd.notna(case[c])]
    actors = set(events["actor"])
    assert "command_center" in actors and any(a.startswith("GW") for a in actors)
    assert set(events.loc[events["action"] == "handled", "actor"]) <= set(park.departments["id"])


def test_old_cases_are_closed_and_recent_ones_still_open(cases: pd.DataFrame) -> None:
    old = cases[cases["reported_at"] < pd.Timestamp(NOW) - timedelta(days=90)]
    assert (old["status"] == "closed").mean() > 0.99
    recent = cases[cases["reported_at"] > pd.Timestamp(NOW) - timedelta(days=1)]
    assert len(recent) > 0 and (recent["status"] != "closed").mean() > 0.5


def test_deadline_is_report_time_plus_all_four_stage_limits(park: DemoPark, cases: pd.DataFrame) -> None:
    limits = park.case_types.set_index("id")[[f"sla_{s}_h" for s in STAGES]].sum(axis=1)
    expected = pd.to_timedelta(cases["case_type"].map(limits), unit="h")
    assert ((cases["sla_deadline"] - cases["reported_at"]) - expected).abs().max() < pd.Timedelta(
        milliseconds=1
    )


def test_a_few_percent_of_cases_close_late_and_more_for_some_types(cases: pd.DataFrame) -> None:
    closed = cases[cases["status"] == "closed"]
    late = closed["closed_at"] > closed["sla_deadline"]
    assert 0.03 < late.mean() < 0.10
    by_domain = late.groupby(closed["domain"]).mean()
    assert by_domain["petitions"] > 1.5 * by_domain["urban_management"]
    by_type = late.groupby(closed["case_type"]).agg(["mean", "size"])
    assert by_type.loc[by_type["size"] >= 100, "mean"].max() > 2 * late.mean()


def test_on_time_closure_over_30_days_is_90_to_97_percent(cases: pd.DataFrame) -> None:
    """As the Overview's on_time_closure_30d computes it (config/kpis.yaml)."""
    window = cases["closed_at"].between(pd.Timestamp(NOW) - timedelta(days=30), pd.Timestamp(NOW))
    recent = cases[window & (cases["status"] == "closed")]
    assert len(recent) > 300
    assert 0.90 <= (recent["closed_at"] <= recent["sla_deadline"]).mean() <= 0.97


def test_no_case_counted_overdue_was_closed_before_its_deadline(cases: pd.DataFrame) -> None:
    """overdue_open_cases (open, deadline passed) replayed at weekly moments of the past: every
    case it counted then went on to close after its deadline; at `now` they are still open."""
    counted = 0
    for weeks in range(1, 13):
        moment = pd.Timestamp(NOW) - timedelta(weeks=weeks)
        seen = cases[cases["reported_at"] <= moment]
        still_open = seen["closed_at"].isna() | (seen["closed_at"] > moment)
        overdue = seen[still_open & (seen["sla_deadline"] < moment)]
        counted += len(overdue)
        closed = overdue.dropna(subset=["closed_at"])
        assert (closed["closed_at"] > closed["sla_deadline"]).all()
    assert counted > 0
    now_overdue = cases[(cases["status"] != "closed") & (cases["sla_deadline"] < pd.Timestamp(NOW))]
    assert len(now_overdue) > 0 and now_overdue["closed_at"].isna().all()


def test_satisfaction_is_high_and_lower_when_closed_late(cases: pd.DataFrame) -> None:
    rated = cases[cases["satisfaction"].notna()]
    assert (rated["status"] == "closed").all()
    assert set(rated["channel"]).isdisjoint({"grid_patrol", "video_ai"})  # no resident to ask
    assert rated["satisfaction"].between(1, 5).all() and rated["satisfaction"].mean() > 4
    late = rated["closed_at"] > rated["sla_deadline"]
    assert rated.loc[late, "satisfaction"].mean() < rated.loc[~late, "satisfaction"].mean() - 0.5


def test_repeats_point_to_an_earlier_case_of_the_same_type_and_cell(cases: pd.DataFrame) -> None:
    repeats = cases[cases["repeat_of"].notna()]
    assert 0.025 < len(repeats) / len(cases) < 0.035
    parents = cases.set_index("id").loc[repeats["repeat_of"]]
    assert (parents["case_type"].to_numpy() == repeats["case_type"].to_numpy()).all()
    assert (parents["grid_cell"].to_numpy() == repeats["grid_cell"].to_numpy()).all()
    assert (parents["reported_at"].to_numpy() <= repeats["reported_at"].to_numpy()).all()


def test_patrols_work_weekday_hours_and_residents_call_in_the_evening(cases: pd.DataFrame) -> None:
    local = cases["reported_at"].dt.tz_convert("Asia/Shanghai")
    patrol = cases["channel"] == "grid_patrol"
    hotline = cases["channel"] == "hotline_12345"
    assert local[patrol].dt.hour.between(7, 19).mean() > 0.97
    assert (local[patrol].dt.day_of_week >= 5).mean() < 0.12
    assert (local[hotline].dt.day_of_week >= 5).mean() > 0.22
    assert local[hotline].dt.hour.between(18, 22).mean() > local[patrol].dt.hour.between(18, 22).mean() + 0.2


def test_seasonal_types_peak_in_their_season(park: DemoPark, cases: pd.DataFrame) -> None:
    season = cases["case_type"].map(park.case_types.set_index("id")["season"])
    month = cases["reported_at"].dt.tz_convert("Asia/Shanghai").dt.month
    summer, winter = month.isin([6, 7, 8]), month.isin([12, 1, 2])
    assert (season.eq("summer") & summer).sum() > 2 * (season.eq("summer") & winter).sum()
    assert month[season.eq("heating")].isin([11, 12, 1, 2, 3]).mean() > 0.85


def test_cases_grow_slowly_year_on_year(cases: pd.DataFrame) -> None:
    reported = cases["reported_at"]
    first = (reported < pd.Timestamp(NOW) - pd.DateOffset(years=2)).sum()
    last = (reported >= pd.Timestamp(NOW) - pd.DateOffset(years=1)).sum()
    assert 1.1 < last / first < 1.45


def test_video_ai_reports_only_types_cameras_can_see(park: DemoPark, cases: pd.DataFrame) -> None:
    visible = set(park.case_types.loc[park.case_types["video_ai"], "id"])
    video = cases[cases["channel"] == "video_ai"]
    assert len(video) > 0 and set(video["case_type"]) <= visible
    assert video["reporter"].str.startswith(("urn:dev:cam-", "urn:dev:eagle-")).all()


def test_some_cells_are_recurring_hot_spots(cases: pd.DataFrame) -> None:
    pairs = cases.groupby(["case_type", "grid_cell"]).size()
    per_type = cases.groupby("case_type").size()
    top = pairs.groupby(level=0).max()
    # Under a uniform spread a type's busiest cell would hold a percent or two of its cases.
    assert (top / per_type).loc[per_type > 100].max() > 0.1


def test_descriptions_and_addresses_read_naturally(cases: pd.DataFrame) -> None:
    assert cases["description"].str.len().between(15, 200).all()
    assert cases["address"].str.contains(r"号|交叉口").all()
    assert cases["address_en"].str.match(r"^(near \d+ |[NS][EW] corner of |Building \d+, )").all()
    assert cases["id"].str.match(r"^20\d{11}$").all() and cases["id"].is_unique


def test_case_ids_stay_unique_past_99999_cases_a_day() -> None:
    day = np.datetime64("2025-03-15T02:00:00", "us")
    ids = _case_ids(np.full(100_001, day), utc_offset_h=8)
    assert len(set(ids)) == len(ids)
    assert ids[0] == "20250315000001" and ids[-1] == "20250315100001"
    assert _case_ids(np.array([day]), utc_offset_h=8)[0] == "2025031500001"


def _blocks(cases: pd.DataFrame, spans) -> pd.Series:
    """Which span (block) of `spans` each case was reported in, -1 for none."""
    block = pd.Series(-1, index=cases.index)
    for k, span in enumerate(spans):
        block[(cases["reported_at"] >= span.start) & (cases["reported_at"] < span.end)] = k
    return block


def test_recent_bursts_are_there_for_act_before_complaints_to_find(
    park: DemoPark, cases: pd.DataFrame
) -> None:
    """The park holds three recent bursts (demo/cases.py _BURSTS) and domain.hotspots finds each
    of them, as an anomalous count and as repeated complaints from one place, among 20,000
    cases with their own seasons, hot spots and repeats."""
    rules = HotspotRules()
    w = windows(NOW, ZoneInfo("Asia/Shanghai"), rules)
    block = _blocks(cases, w.years[0])
    recent = cases[block >= 0].assign(block=block).groupby(["grid_cell", "case_type", "block"]).size()
    history = []
    for year in range(1, len(w.years)):
        b = _blocks(cases, w.years[year])
        counts = cases[b >= 0].assign(block=b).groupby(["case_type", "block"]).size().rename("count")
        history.append(counts.reset_index().assign(year=year))
    window = cases.loc[block == 0, ["id", "case_type", "grid_cell", "lon", "lat", "address"]]
    cells = park.grid_cells[park.grid_cells["level"] == "unit"].set_index("id")
    found = find_hotspots(recent.rename("count").reset_index(), pd.concat(history), window, cells, rules, w)
    bursts = {"um.water_main_burst", "ep.industrial_noise", "um.street_light_out"}
    assert {f.case_type for f in found if f.kind == COUNT} >= bursts
    assert {f.case_type for f in found if f.kind == REPEAT} >= bursts
    burst = next(f for f in found if f.kind == COUNT and f.case_type == "um.water_main_burst")
    assert burst.observed >= 12 and burst.expected < 1 and len(burst.case_ids) == burst.observed
    # the rest of the park is ordinary: a handful of findings besides the bursts, not dozens
    assert len([f for f in found if f.case_type not in bursts]) <= 5
