"""Every KPI of the shipped catalogue, and one of each measure, computed in the store
(store/kpi_sql.py) equals the same KPI computed with pandas over the same rows
(domain/kpi_frames.py): the value, the breakdown by each drill-down field, one drill-down level
and the daily series, for the whole park and for one department (SQLite here; PostgreSQL in
tests/integration/test_kpi_sql_postgres.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from kpi_compare import close, compare_every_kpi, read_tables, specs

from domain import kpi_frames
from security.scope import WHOLE_PARK, Scope
from services.kpis import load_specs
from store import kpi_sql

OWN = "urban_management"


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("kpi-sql"), demo_cases=1500, demo_live=False)
    services = app.server.extensions["onescreen"]
    frames, now = read_tables(services.engine)
    return services.engine, services.settings.zone, frames, now


@pytest.mark.parametrize("scope", [WHOLE_PARK, Scope(OWN)], ids=["park", "department"])
def test_the_store_answers_what_pandas_answers_for_every_kpi(park, scope):
    engine, zone, frames, now = park
    assert compare_every_kpi(engine, zone, frames, now, scope) >= 30


def test_a_picked_range_and_daily_series_match(park):
    engine, zone, frames, now = park
    local = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    edges = [local - timedelta(days=13 - i) for i in range(14)] + [local + timedelta(days=1)]
    with engine.connect() as connection:
        for spec in specs():
            if not spec.timed or spec.yearly:
                continue
            frame = frames[spec.contract]
            total = frames[spec.total] if spec.total else None
            ask = kpi_sql.Ask(spec, WHOLE_PARK, now, edges[0], edges[-1])
            got = kpi_sql.series(connection, ask, zone, edges)
            assert len(got) == 14
            for i in range(14):
                start, end = edges[i], edges[i + 1]
                want = kpi_frames.evaluate(spec, frame, now, zone, start=start, end=end, total=total)
                assert close(got[i], want), (spec.id, i)


def test_a_yearly_figure_is_the_latest_year_with_data(park):
    engine, zone, frames, now = park
    spec = next(s for s in load_specs() if s.id == "revenue_year")
    figures = frames["enterprise_figures"]
    latest = int(figures["year"].max())
    with engine.connect() as connection:
        this_year = kpi_sql.value(connection, kpi_sql.Ask(spec, WHOLE_PARK, now), zone)
        # a range ending within the year before: that year's figure
        back = datetime(latest - 1, 6, 30, tzinfo=UTC)
        before = kpi_sql.value(
            connection, kpi_sql.Ask(spec, WHOLE_PARK, now, back - timedelta(days=365), back), zone
        )
        # a range ending after the latest year with data: still the latest year's
        ahead = datetime(latest + 3, 6, 30, tzinfo=UTC)
        later = kpi_sql.value(
            connection, kpi_sql.Ask(spec, WHOLE_PARK, now, ahead - timedelta(days=365), ahead), zone
        )
    assert this_year == later == pytest.approx(figures.loc[figures["year"] == latest, "revenue"].sum())
    assert before == pytest.approx(figures.loc[figures["year"] == latest - 1, "revenue"].sum())


def test_a_contract_without_a_scoping_rule_fails_closed():
    with pytest.raises(ValueError, match="no department scoping rule"):
        kpi_sql.scope_condition("users", WHOLE_PARK)


@pytest.mark.parametrize("apart", [0, 1000], ids=["one_pass", "a_query_per_group"])
def test_a_percentile_per_group_is_the_same_by_either_way_of_ranking(park, monkeypatch, apart):
    """SQLite ranks a few groups one query each and many in one pass (cume_dist): both give
    pandas' percentile for every group of every drill-down field."""
    engine, zone, frames, now = park
    monkeypatch.setattr(kpi_sql, "RANKED_APART", apart)
    checked = 0
    with engine.connect() as connection:
        for spec in (s for s in specs() if s.measure == "percentile"):
            ask = kpi_sql.Ask(spec, WHOLE_PARK, now)
            for by in spec.drill:
                got = kpi_sql.breakdown(connection, ask, zone, by)
                want = kpi_frames.breakdown(spec, frames[spec.contract], by, now, zone)
                assert got.keys() == want.keys() and all(close(got[k], want[k]) for k in want), (spec.id, by)
                checked += len(want)
    assert checked > 40
