"""The Overview's case charts computed in the store equal the pandas answers over every case:
reported and closed per park-local day (zeros kept), and the last 30 days by a field."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from apps import build_app
from kpi_compare import read_tables

from domain.kpi_frames import daily_counts
from security.scope import WHOLE_PARK, Scope
from services.case_figures import daily_cases, recent_cases_by


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("case-figures"), demo_cases=900, demo_live=False)
    services = app.server.extensions["onescreen"]
    frames, now = read_tables(services.engine)
    return services.engine, services.settings.zone, frames["cases"], now


@pytest.mark.parametrize("scope", [WHOLE_PARK, Scope("urban_management")], ids=["park", "department"])
def test_daily_cases_match_pandas(park, scope):
    engine, zone, cases, now = park
    frame = cases if scope.whole_park else cases[cases["department"] == scope.department]
    got = daily_cases(engine, scope, zone, 30, now)
    assert list(got["reported"]) == list(daily_counts(frame, "reported_at", 30, now, zone))
    assert list(got["closed"]) == list(daily_counts(frame, "closed_at", 30, now, zone))
    assert got.index[-1] == pd.Timestamp(now).tz_convert(zone).normalize() and len(got) == 30
    assert got["reported"].sum() > 0


@pytest.mark.parametrize("column", ["domain", "channel", "case_type"])
def test_recent_cases_by_a_field_match_pandas(park, column):
    engine, zone, cases, now = park
    recent = cases[
        (cases["reported_at"] >= pd.Timestamp(now - timedelta(days=30))) & (cases["reported_at"] <= now)
    ]
    got = recent_cases_by(engine, WHOLE_PARK, zone, column, 30, now)
    assert got.to_dict() == recent[column].value_counts().to_dict()
    assert list(got) == sorted(got, reverse=True)
