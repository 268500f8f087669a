"""The park's days on a computer far from the park: a browser in a zone whose date is not the
park's (Playwright's timezone_id), and with its clock hours off, still shows the park's date —
the wall's trend ends on the park's today and its read times are the park's; the KPI page's
"today" starts at the park's midnight; the header's clock shows the park's date and time. The
ranges are computed by the server (tests/unit/test_midnight_rollover.py moves its clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_pages import sign_in

PARK = ZoneInfo("Asia/Shanghai")  # the live server's (settings.timezone's default)
# at any moment one of these has another date than the park's (UTC+8): UTC-8, UTC-11, UTC+14
FAR = ("America/Los_Angeles", "Pacific/Pago_Pago", "Pacific/Kiritimati")
# the last day a date axis draws, as plotly reads the figure (its own calendar: no zone applied)
LAST_DAY = """sel => { const gd = document.querySelector(sel); const ax = gd._fullLayout.xaxis;
  const xs = gd._fullData.flatMap(t => Array.from(t.x || [])).map(x => ax.d2c(x));
  return {first: ax.c2d(Math.min(...xs)), last: ax.c2d(Math.max(...xs))}; }"""
BROWSER = "() => ({zone: Intl.DateTimeFormat().resolvedOptions().timeZone, day: new Date().toLocaleDateString('en-CA')})"


def _far_zone() -> str:
    now = datetime.now(UTC)
    return next(z for z in FAR if now.astimezone(ZoneInfo(z)).date() != now.astimezone(PARK).date())


def _park_minutes() -> set[str]:
    """The park's time now and a minute either side (a page drawn at a minute's edge)."""
    now = datetime.now(PARK)
    return {(now + timedelta(minutes=m)).strftime("%H:%M") for m in (-1, 0, 1)}


@pytest.fixture
def far_page(browser, live_server):
    zone = _far_zone()
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US", timezone_id=zone)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "leader")
    yield page, zone, errors
    context.close()


@pytest.mark.browser
def test_a_wall_far_from_the_park_shows_the_parks_day(far_page, live_server, shots_dir):
    page, zone, errors = far_page
    page.goto(live_server + "/wall/overview-hd", wait_until="load")
    page.wait_for_selector(".os-wall-stage .os-line-chart .os-lc-x-label")
    browser = page.evaluate(BROWSER)
    park_day = datetime.now(PARK).date()
    assert browser["zone"] == zone and browser["day"] != park_day.isoformat()  # the premise
    chart = page.locator(".os-wall-cell .os-line-chart")  # the days it draws (components/line_chart.py)
    assert chart.get_attribute("data-to") == park_day.isoformat()
    assert chart.get_attribute("data-from") == (park_day - timedelta(days=29)).isoformat()
    assert page.locator(".os-wall-cell .os-lc-x-label").last.inner_text() == park_day.strftime("%m-%d")
    read = page.inner_text(".os-wall-stage .os-kpi-card .os-read-at")
    assert read.removeprefix("read ") in _park_minutes(), read  # "read 18:02": the park's time
    page.screenshot(path=str(shots_dir / f"wall-far-{zone.replace('/', '-')}_1920x1080.png"))
    assert errors == []


@pytest.mark.browser
def test_the_kpi_pages_today_and_the_clock_are_the_parks_on_a_computer_far_off_and_wrong(
    far_page, live_server, shots_dir
):
    page, _zone, errors = far_page
    page.clock.set_system_time(datetime.now(UTC) - timedelta(days=3, hours=5))  # a wrong clock too
    page.goto(live_server + "/kpis?range=today", wait_until="load")
    park_day = datetime.now(PARK).date()
    try:
        page.wait_for_selector(".os-kpi-slot .js-plotly-plot", timeout=30_000)
        charted = True
    except PlaywrightTimeout:  # just after the park's midnight its today may hold no case yet
        charted = datetime.now(PARK).hour >= 2
        assert not charted, "no chart of today's first hours"
    assert page.evaluate("() => Date.now()") < (datetime.now(UTC) - timedelta(days=3)).timestamp() * 1000
    if charted:
        first = page.evaluate(LAST_DAY, ".os-kpi-slot .js-plotly-plot")["first"]
        assert first.startswith(park_day.isoformat())  # today's first hour: the park's midnight
    page.wait_for_function(
        "() => /\\d{2}:\\d{2}:\\d{2}$/.test(document.querySelector('#shell-clock').innerText)"
    )
    clock = page.inner_text("#shell-clock")
    assert f"{park_day.day} {park_day.strftime('%b')} {park_day.year}" in clock, clock
    assert clock[-8:-3] in _park_minutes(), clock
    page.screenshot(path=str(shots_dir / "kpis-far_1920x1080.png"))
    assert errors == []
