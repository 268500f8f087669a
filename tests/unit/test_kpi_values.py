"""One KPI as the page and the API ask for it: the value over a period equals the store's
answer, with the period before and a year earlier; a write to the store shows at the next read
(the cache is keyed by the data's version); bad drill-down filters are refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apps import build_app
from sqlalchemy import select, update

from security.scope import WHOLE_PARK, Scope
from services import kpi_values
from services.kpi_periods import period
from store import kpi_sql
from store.models import Case

OWN = "urban_management"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("kpi-values"), demo_cases=600, demo_live=False)


@pytest.fixture
def ctx(app):
    with app.server.app_context():
        services = app.server.extensions["onescreen"]
        yield services.engine, services.settings.zone


def test_a_reading_is_the_stores_answer_with_its_comparisons(ctx):
    engine, zone = ctx
    spec = kpi_values.spec_of("on_time_closure_30d")
    p = period("quarter", datetime.now(UTC), zone)
    got = kpi_values.reading(spec, WHOLE_PARK, p)
    with engine.connect() as connection:
        ask = kpi_sql.Ask(spec, WHOLE_PARK, datetime.now(UTC), got.series[0][0], p.end)
        assert got.value == pytest.approx(kpi_sql.value(connection, ask, zone))
        before = p.before()
        previous = kpi_sql.value(
            connection, kpi_sql.Ask(spec, WHOLE_PARK, datetime.now(UTC), before.start, before.end), zone
        )
    assert got.previous == pytest.approx(previous) if previous is not None else got.previous is None
    assert got.status == spec.status(got.value) and got.series and got.computed_at <= datetime.now(UTC)


def test_a_write_shows_at_the_next_read(ctx):
    engine, _ = ctx
    spec = kpi_values.spec_of("open_cases")
    first = kpi_values.reading(spec, WHOLE_PARK, None)
    again = kpi_values.reading(spec, WHOLE_PARK, None)
    assert again.computed_at == first.computed_at  # nothing written: the cached figure
    with engine.begin() as connection:
        open_case = connection.execute(
            select(Case.id).where(Case.status.not_in(["closed", "rejected"])).limit(1)
        ).scalar_one()
        connection.execute(update(Case).where(Case.id == open_case).values(status="closed"))
    after = kpi_values.reading(spec, WHOLE_PARK, None)
    assert after.value == first.value - 1 and after.computed_at > first.computed_at


def test_a_department_reads_its_own_figure(ctx):
    engine, zone = ctx
    spec = kpi_values.spec_of("open_cases")
    mine = kpi_values.reading(spec, Scope(OWN), None).value
    split = dict(kpi_values.split(spec, WHOLE_PARK, None, {}, "department"))
    assert mine == split.get(OWN, 0.0)


@pytest.mark.parametrize(
    ("filters", "scope", "message"),
    [
        ({"status": "closed"}, WHOLE_PARK, "does not drill through 'status'"),
        ({"department": "atlantis"}, WHOLE_PARK, "department 'atlantis' does not exist"),
        ({"grid_cell": "<script>"}, WHOLE_PARK, "does not exist"),
        ({"department": "water"}, Scope(OWN), "outside your scope"),
    ],
)
def test_bad_drill_down_filters_are_refused_by_name(ctx, filters, scope, message):
    with pytest.raises(kpi_values.BadFilter, match=message):
        kpi_values.check_filters(kpi_values.spec_of("cases_30d"), filters, scope)


def test_an_unknown_kpi_is_refused():
    with pytest.raises(kpi_values.UnknownKpi, match="no KPI 'nope'"):
        kpi_values.spec_of("nope")


def test_the_drill_path_goes_down_one_field_at_a_time(ctx):
    spec = kpi_values.spec_of("cases_30d")
    assert kpi_values.next_level(spec, {}) == "department"
    assert kpi_values.next_level(spec, {"department": OWN}) == "grid_cell"
    assert kpi_values.next_level(spec, {"department": OWN, "grid_cell": "U101", "case_type": "x"}) is None


def test_checking_case_filters_reads_the_reference_lists_not_the_cases_after_a_write(ctx):
    """The live demo writes cases every few seconds: a filter's check must not scan them again."""
    from sqlalchemy import event

    engine, _ = ctx
    spec = kpi_values.spec_of("cases_30d")
    with engine.connect() as connection:
        department, cell, case_type = connection.execute(
            select(Case.department, Case.grid_cell, Case.case_type)
            .where(Case.grid_cell.is_not(None))
            .limit(1)
        ).one()
    filters = {"department": department, "grid_cell": cell, "case_type": case_type}
    assert kpi_values.check_filters(spec, filters, WHOLE_PARK) == filters  # the lists are read
    with engine.begin() as connection:  # a write raises the cases' version
        first = connection.execute(select(Case.id).limit(1)).scalar_one()
        connection.execute(update(Case).where(Case.id == first).values(description="seen again"))
    asked: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        asked.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert kpi_values.check_filters(spec, filters, WHOLE_PARK) == filters
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in asked if "DISTINCT" in s.upper() and "cases" in s], asked
