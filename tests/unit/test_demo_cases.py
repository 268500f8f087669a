"""Demo cases: the closed loop, its audit trail, and the rhythms and hot spots in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from demo import DemoPark, generate_park
from demo.cases import TIME_COLUMNS

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


def test_a_few_percent_of_cases_run_over_their_deadline(cases: pd.DataFrame) -> None:
    overdue = (cases["handled_at"] > cases["sla_deadline"]) | (
        cases["handled_at"].isna() & (cases["sla_deadline"] < pd.Timestamp(NOW))
    )
    assert 0.01 < overdue.mean() < 0.10


def test_satisfaction_is_high_and_lower_when_overdue(cases: pd.DataFrame) -> None:
    rated = cases[cases["satisfaction"].notna()]
    assert (rated["status"] == "closed").all()
    assert set(rated["channel"]).isdisjoint({"grid_patrol", "video_ai"})  # no resident to ask
    assert rated["satisfaction"].between(1, 5).all() and rated["satisfaction"].mean() > 4
    late = rated["handled_at"] > rated["sla_deadline"]
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
