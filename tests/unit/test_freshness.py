"""Freshness is one rule for the Sources page and the header: a served contract that keeps
arriving (readings, cases) whose newest row is older than freshness_warn_s is stale, in both."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app

from data_sources.health import SourceHealth
from services.freshness import contract_state, source_state

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
WARN = timedelta(minutes=10)


def _state(health: SourceHealth, contract: str, now: datetime, **kwargs) -> str:
    return contract_state(health, contract, now, WARN, **kwargs).state


def test_a_contract_is_stale_once_its_newest_row_is_older_than_the_warning():
    health = SourceHealth("store", "sql").succeeded(T0, "readings", 40, 0, newest=T0 - timedelta(minutes=2))
    assert _state(health, "readings", T0) == "ok"
    assert _state(health, "readings", T0 + timedelta(minutes=8)) == "ok"
    assert _state(health, "readings", T0 + timedelta(minutes=9)) == "stale"
    # read successfully, so the source itself says ok; its state on the page says stale
    stale = contract_state(health, "readings", T0 + timedelta(hours=2), WARN)
    assert health.status == "ok" and source_state(health, [stale]) == "stale"
    assert stale.age == timedelta(hours=2, minutes=2)


def test_contracts_that_come_when_something_happens_are_not_judged_on_age():
    health = SourceHealth("store", "sql").succeeded(T0, "alerts", 3, 0, newest=T0 - timedelta(days=3))
    health = health.succeeded(T0, "features", 500, 0)
    assert _state(health, "alerts", T0) == "ok"
    assert _state(health, "features", T0) == "ok"
    # an import source's old cases are not the screen's data
    imported = SourceHealth("hotline", "csv").succeeded(T0, "cases", 5, 0, newest=T0 - timedelta(days=30))
    assert _state(imported, "cases", T0, served=False) == "ok"
    assert _state(imported, "cases", T0) == "stale"


def test_empty_unread_down_and_degraded_contracts_are_each_said():
    health = SourceHealth("store", "sql").succeeded(T0, "chains", 0, 0)
    assert _state(health, "chains", T0) == "empty"
    assert _state(health, "sensors", T0) == "unread"
    rejected = health.succeeded(T0, "sensors", 10, 2)
    assert _state(rejected, "sensors", T0) == "degraded"
    down = SourceHealth("layer", "geojson").failed(T0, "features", "no such file", down_after=3)
    assert _state(down, "features", T0) == "down"
    assert source_state(down, [contract_state(down, "features", T0, WARN)]) == "down"


def test_a_source_read_fine_is_not_called_unread_for_a_contract_nobody_asked_for():
    health = SourceHealth("store", "sql").succeeded(T0, "cases", 40, 0, newest=T0)
    read, unread = (contract_state(health, c, T0, WARN) for c in ("cases", "sensors"))
    assert unread.state == "unread"
    assert source_state(health, [read, unread]) == "ok"
    assert source_state(SourceHealth("store", "sql"), [unread]) == "unread"


def test_case_intake_is_judged_on_its_own_quiet_time_and_feeds_on_theirs():
    from config.settings import Settings
    from services.freshness import warn_after

    settings = Settings(freshness_warn_s=600, case_intake_warn_s=3600)
    assert warn_after(settings, "readings") == timedelta(minutes=10)
    assert warn_after(settings, "cases") == timedelta(hours=1)
    cases = SourceHealth("store", "sql").succeeded(T0, "cases", 40, 0, newest=T0 - timedelta(minutes=30))
    assert contract_state(cases, "cases", T0, warn_after(settings, "cases")).state == "ok"
    assert (
        contract_state(cases, "cases", T0 + timedelta(minutes=31), warn_after(settings, "cases")).state
        == "stale"
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("freshness"), demo_cases=300)


def _text(component) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_the_sources_page_and_the_header_say_the_same(app):
    from flask_login import login_user

    from components.freshness import update_freshness
    from pages import sources as page
    from security.users import find, principal_of
    from services.context import get_services
    from services.data import snapshot
    from services.freshness import freshness_summary, served_contracts

    with app.server.test_request_context("/"):
        login_user(principal_of(find(get_services().engine, "leader")))
        snapshot("cases"), snapshot("readings")
        newest = max(c.newest for c in served_contracts()[1] if c.judged)
        fresh = freshness_summary(now=newest + timedelta(minutes=1))
        later = newest + timedelta(seconds=get_services().settings.freshness_warn_s, hours=2)
        stale = freshness_summary(now=later)
        _healths, contracts = served_contracts(now=later)
        header, _css = update_freshness(None, "en")
        body = _text(page.make_body("en"))
        now = freshness_summary()
        on_page = {c.contract for c in served_contracts()[1] if c.state == "stale"}
    assert fresh.state == "ok" or fresh.stale  # ok unless the demo's cases already lag its readings
    assert stale.state == "stale" and set(stale.stale) == {"cases", "readings"}
    assert {c.contract for c in contracts if c.state == "stale"} == {"cases", "readings"}
    # at the real clock: the header names exactly the contracts the page marks stale
    assert set(now.stale) == on_page
    if on_page:  # the demo's cases usually end hours before its readings
        assert now.state == "stale" and ": data is" in _text(header)
        assert '"Stale"' in body and "Newest row is" in body


def test_the_sources_page_lists_every_served_contract_even_unread_ones(app):
    from flask_login import login_user

    from pages import sources as page
    from security.users import find, principal_of
    from services.context import get_services

    with app.server.test_request_context("/"):
        services = get_services()
        login_user(principal_of(find(services.engine, "leader")))
        served = set(services.sources.serving)
        body = _text(page.make_body("en"))
    assert {"alerts", "features", "chains", "case_events"} <= served
    for label in ("Alerts", "Map features", "Industry chains", "Case events", "Sensors", "Readings", "Cases"):
        assert f'"{label}"' in body, label
    assert f"Every contract the sources serve ({len(served)})" in body
    assert "Not read since start-up" in body
