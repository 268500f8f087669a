"""Relative ranges roll over at midnight in the park's zone (the settings' timezone), computed by
the server: the server's clock is moved across the park's midnight (time_machine moves what
datetime.now, time.time and the cache's expiry read — the services' clock is the standard
library's) and the wall's panels and the KPI page's cards, asked 15 seconds apart, within the
figures' cache time, show the new day: "cases reported today" starts again from nothing, the
trend's last day is the new one, the KPI page's "today" begins at the new midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from apps import build_app
from dash_calls import call, output_named, router_page
from signin import signed_in
from sqlalchemy import select
from test_wall_page import _refresh, _walk

from security.scope import WHOLE_PARK
from services.kpi_periods import park_today, period
from services.kpi_values import reading, spec_of
from store.models import Case

ZONE_NAME = "Asia/Shanghai"  # the demo park's (settings.timezone's default)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("midnight"), demo_cases=300)


@pytest.fixture(scope="module")
def midnight(app):
    """The park's next midnight (UTC-aware), with a case reported two minutes before it."""
    services = app.server.extensions["onescreen"]
    zone = services.settings.zone
    assert str(zone) == ZONE_NAME
    at = datetime.combine(park_today(zone) + timedelta(days=1), time(), zone).astimezone(UTC)
    with services.engine.begin() as connection:
        row = dict(connection.execute(select(Case.__table__).order_by(Case.pk.desc())).mappings().first())
        row.pop("pk")
        row.update(id="MIDNIGHT-EVE", reported_at=at - timedelta(minutes=2))
        connection.execute(Case.__table__.insert().values(**row))
    return at


def _trend_days(response) -> tuple[str, str, int]:
    """The first and last day the wall's trend draws (dates of the park) and how many days, as
    sent to the browser (components/line_chart.py names them on the chart)."""
    (chart,) = [
        n["props"] for n in _nodes(response.get_json()) if n["props"].get("className") == "os-line-chart"
    ]
    return chart["data-from"], chart["data-to"], int(chart["data-days"])


def _nodes(tree):
    """Every component in a callback's answer."""
    return (n for n in _walk(tree) if "props" in n)


def _card_value(response, kpi: str) -> str:
    """What the wall's card of `kpi` says its value is (the value's title: "1 cases")."""
    card = next(
        n for n in _nodes(response.get_json()) if n["props"].get("id") == {"type": "kpi-card", "kpi": kpi}
    )
    value = next(
        n for n in _nodes(card["props"]["children"]) if n["props"].get("className") == "os-kpi-value"
    )
    return value["props"]["title"]


def test_the_walls_today_and_trend_roll_over_at_the_parks_midnight(app, midnight):
    with time_machine.travel(midnight - timedelta(seconds=10), tick=False) as clock:
        # signed in on the travelled clock: the next midnight can be nearly a day away, longer
        # than a session lasts (session_hours)
        session = signed_in(app, "leader")
        before = _refresh(app, session, "panel-tick", [1, 2])
        clock.move_to(midnight + timedelta(seconds=5))
        after = _refresh(app, session, "panel-tick", [1, 2])
    eve = (midnight - timedelta(days=1)).astimezone(app.server.extensions["onescreen"].settings.zone).date()
    day = eve + timedelta(days=1)
    assert _trend_days(before)[1] == eve.isoformat()
    assert _trend_days(after) == ((day - timedelta(days=29)).isoformat(), day.isoformat(), 30)
    # the card's figure: at least the case of 23:58 before, none yet after
    assert _card_value(before, "cases_today") not in ("0 cases", "—")
    assert _card_value(after, "cases_today") == "0 cases"


def test_a_kpi_over_today_starts_again_at_the_parks_midnight(app, midnight):
    zone = app.server.extensions["onescreen"].settings.zone
    own, listed = spec_of("cases_today"), spec_of("cases_30d")  # the Overview's card; the KPI page's
    with app.server.app_context(), time_machine.travel(midnight - timedelta(seconds=10), tick=False) as clock:
        late = reading(own, WHOLE_PARK, None).value
        late_page = reading(listed, WHOLE_PARK, period("today", datetime.now(UTC), zone)).value
        clock.move_to(midnight + timedelta(seconds=5))
        early = reading(own, WHOLE_PARK, None).value
        today = period("today", datetime.now(UTC), zone)
        early_page = reading(listed, WHOLE_PARK, today).value
    assert late is not None and late >= 1 and late_page == late  # the case of 23:58 at least
    assert early == 0 and early_page == 0
    assert today.start == midnight and today.start.astimezone(zone).time() == time()


def test_an_open_kpi_page_learns_of_the_new_day_from_the_server(app, midnight):
    """The page asks each minute; the answer changes only when the park's date does, and then
    its cards (which take the date as an input) are drawn again over the new day."""
    key = output_named(app, "kpis-day.data")
    zone = app.server.extensions["onescreen"].settings.zone
    eve = (midnight - timedelta(seconds=1)).astimezone(zone).date()
    shown = {"kpis-day-tick.n_intervals": 3, "kpis-day.data": eve.isoformat()}
    with time_machine.travel(midnight - timedelta(seconds=10), tick=False) as clock:
        client, csrf = signed_in(app, "leader")  # on the travelled clock (see the first test)
        same = call(client, csrf, app, key, shown)
        clock.move_to(midnight + timedelta(seconds=5))
        turned = call(client, csrf, app, key, shown)
    # the same day: nothing to redraw
    assert same.status_code in (200, 204) and "kpis-day" not in same.get_data(as_text=True)
    assert turned.status_code == 200
    assert turned.get_json()["response"]["kpis-day"]["data"] == (eve + timedelta(days=1)).isoformat()
    card = app.callback_map[output_named(app, '"type":"kpis-slot"')]
    assert {"id": "kpis-day", "property": "data"} in card["inputs"]


def test_the_kpi_pages_day_picker_ends_on_the_parks_today(app, midnight):
    """The custom range's calendar offers days up to the park's today and opens on its month,
    whatever the date of the browser's computer (the server refuses a later first day anyway)."""
    zone = app.server.extensions["onescreen"].settings.zone
    eve = (midnight - timedelta(seconds=1)).astimezone(zone).date()
    session = None

    def picker() -> dict:
        tree = router_page(session, "/kpis", "?range=today", "en")
        return next(n for n in _walk(tree) if n.get("props", {}).get("id") == "kpis-days")["props"]

    with time_machine.travel(midnight - timedelta(seconds=10), tick=False) as clock:
        session = signed_in(app, "leader")  # on the travelled clock (see the first test)
        before = picker()
        clock.move_to(midnight + timedelta(seconds=5))
        after = picker()
    assert before["max_date_allowed"] == eve.isoformat() == before["initial_visible_month"]
    assert after["max_date_allowed"] == (eve + timedelta(days=1)).isoformat()
