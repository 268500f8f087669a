"""Kiosk mode, playlists, the critical-alert takeover and the night theme in headless Chromium
(issue 13, item 3). The takeover runs on a server of its own (the shared Redis as its bus, as in
test_live_alerts.py) whose screens file adds a playlist of two 10-s layouts and holds an alert
15 s: critical alerts are raised the app's way (a row and its event in the store, the sequence
number announced on the bus), the wall shows the first with the next waiting, gives the screen
to the next once the first is acknowledged, keeps it while the playlist's clock turns, back to
the playlist after the hold time, and turns on by Dash's navigation (no reload). Screenshots of
the takeover and the night theme at 1920×1080 and 3840×2160, in zh and en, in shots_dir."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import yaml
from live_alerts import at_a_smoke_detector, write_alert
from servers import ROOT, AppServer
from sqlalchemy import create_engine
from test_live_alerts import REDIS, SERVER_ENV
from test_wall_layouts import _open as open_wall

from config.settings import Settings

# every piece of text the takeover shows, with its size on the screen (CSS px times the scale)
TEXT_SIZES = """() => [...document.querySelectorAll('.os-wall-takeover *')]
  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => parseFloat(getComputedStyle(e).fontSize) * e.getBoundingClientRect().height / (e.offsetHeight || 1))"""
MARK = "() => { window.__noReload = 1; }"  # gone if the page reloads
SHOWN = "() => document.querySelector('.os-wall-takeover')?.getAttribute('data-alert') ?? null"
TURN_S = 10  # the seconds of each layout of the server's playlist "quick" (the shortest allowed)
PLAYLIST = ["overview-hd", "overview-4k"]  # its layouts
HOLD_S = 15  # how long the server's wall holds an unacknowledged alert


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kiosk-server")
    screens = yaml.safe_load((ROOT / "config" / "screens.yaml").read_text(encoding="utf-8"))
    screens["playlists"] = {
        "quick": {
            "title": {"zh": "快速", "en": "Quick"},
            "seconds": TURN_S,
            "layouts": PLAYLIST,
        }
    }
    # the night hours around now in the park's zone: a wall without ?theme= is dark by the clock
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    hours = {"from": f"{(now - timedelta(hours=1)):%H:%M}", "to": f"{(now + timedelta(hours=1)):%H:%M}"}
    # long enough for the takeover test to watch a turn of the playlist's clock (at most 11.5 s)
    screens["wall"] = {"alert_hold_seconds": HOLD_S, "night": hours}
    (folder / "screens.yaml").write_text(yaml.safe_dump(screens, allow_unicode=True), encoding="utf-8")
    made = AppServer(folder, {**SERVER_ENV, "ONESCREEN_SCREENS_FILE": str(folder / "screens.yaml")})
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def raise_alert(server):
    """Raise (or move) a critical smoke alarm at a real smoke detector, as the alert engine does."""
    engine = create_engine(f"sqlite:///{server.data_dir / 'onescreen.sqlite'}")
    channel = (
        f"onescreen:{Settings.model_construct(data_dir=server.data_dir, database_url=None).store_key}:alerts"
    )
    bus = redis.Redis.from_url(REDIS)

    def step(alert_id: str, **kwargs) -> None:
        seq = write_alert(engine, alert_id, "fire_rescue", **kwargs)
        at_a_smoke_detector(engine, alert_id)
        assert bus.publish(channel, json.dumps({"seq": seq})) >= 1, "no server process listens"

    yield step
    bus.close()
    engine.dispose()


def _open(browser, url, size=(1920, 1080), scale=1, locale="en-US"):
    return open_wall(browser, url, None, None, size, scale, locale)


def _layout(page) -> str | None:
    return page.evaluate("() => document.querySelector('.os-wall-viewport')?.dataset.layout ?? null")


def _agreed(pages, seconds: float) -> str:
    """The layout the windows show alike within `seconds` (failing when they do not)."""
    deadline = time.monotonic() + seconds
    while True:
        shown = {_layout(page) for page in pages}
        if len(shown) == 1 and None not in shown:
            return shown.pop()
        assert time.monotonic() < deadline, shown
        time.sleep(0.25)


def _held_while_the_clock_turns(page, held: str) -> None:
    """Watch the window until the playlist's clock has wanted another layout than `held` for
    1.5 s (it turns every TURN_S from the epoch; a window looks every 0.5 s, assets/87-kiosk.js):
    the window shows `held` all along."""
    since = None
    while True:
        assert _layout(page) == held
        now = time.time()
        if PLAYLIST[int(now // TURN_S) % len(PLAYLIST)] == held:
            since = None
        elif since is None:
            since = now
        elif now - since >= 1.5:
            return
        time.sleep(0.25)


def _check_takeover(page, size) -> None:
    """The takeover fills the window (no scroll bar) and no text is under 18 px on the screen."""
    box = page.evaluate("() => document.querySelector('.os-wall-takeover').getBoundingClientRect().toJSON()")
    assert abs(box["width"] - size[0]) <= 1 and abs(box["height"] - size[1]) <= 1, box
    geometry = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert geometry[0] <= size[0] and geometry[1] <= size[1]
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes and min(sizes) >= 18, sorted(sizes)[:5]


@pytest.mark.browser
def test_critical_alerts_take_over_a_playlist_queue_and_give_it_back(browser, server, raise_alert, shots_dir):
    size = (1920, 1080)
    context, page, errors, offsite = _open(browser, f"{server.url}/wall/overview-hd?playlist=quick&theme=day")
    try:
        page.wait_for_selector(".os-live-live", state="attached", timeout=60000)
        page.evaluate(MARK)
        stamp = int(time.time())
        first, second = f"KIOSK-A-{stamp}", f"KIOSK-B-{stamp}"
        raise_alert(first)
        raise_alert(second)
        page.wait_for_function(f"() => ({SHOWN})() === '{first}'", timeout=20000)
        page.wait_for_function("() => document.querySelector('.os-wall-alert-map path')", timeout=20000)
        text = page.inner_text(".os-wall-takeover")
        for words in (
            "Critical alert",
            "Smoke alarm",
            "Where",
            "Raised at",
            "Reading",
            "What to do",
            "threshold",
        ):
            assert words in text, text
        assert "Critical alerts waiting after this one: 1" in text
        _check_takeover(page, size)
        page.screenshot(path=str(shots_dir / "wall-takeover-en_1920x1080.png"))
        raise_alert(first, action="acknowledge", state="acknowledged")
        page.wait_for_function(f"() => ({SHOWN})() === '{second}'", timeout=20000)
        assert "waiting" not in page.inner_text(".os-wall-takeover")
        # the second holds the wall while the playlist would turn (at most a turn's time, within
        # the hold the test waits out anyway, rather than a turn's time before the ack)
        _held_while_the_clock_turns(page, _layout(page))
        assert page.evaluate(SHOWN) == second
        # nobody acknowledges the second: after its HOLD_S the wall goes back to the playlist
        page.wait_for_selector(".os-wall-takeover", state="detached", timeout=25000)
        page.wait_for_selector(".os-wall-stage .os-wall-cell")
        turned_from = _layout(page)
        page.wait_for_function(
            f"() => document.querySelector('.os-wall-viewport')?.dataset.layout !== '{turned_from}'",
            timeout=25000,
        )
        assert page.evaluate("() => window.__noReload") == 1  # turned without a reload
        page.wait_for_timeout(3000)
        assert page.evaluate(SHOWN) is None  # the new layout does not show a past alert again
        assert page.evaluate("() => location.search") == "?playlist=quick&theme=day"
        assert errors == [] and offsite == []
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("size", "scale", "locale"),
    [((3840, 2160), 1, "zh-CN"), ((1920, 1080), 2, "en-US"), ((1920, 1080), 1, "zh-CN")],
    ids=["4k-zh", "hd-at-2-en", "hd-zh"],
)
def test_the_takeover_at_night_on_every_screen_size(
    browser, server, raise_alert, shots_dir, size, scale, locale
):
    url = f"{server.url}/wall/overview-4k?theme=night"
    context, page, errors, offsite = _open(browser, url, size, scale, locale)
    try:
        page.wait_for_selector(".os-live-live", state="attached", timeout=60000)
        page.wait_for_selector(".os-wall-stage .os-wall-cell .os-panel")
        page.wait_for_timeout(500)  # the charts' second pass
        assert page.evaluate("() => document.documentElement.classList.contains('os-night')")
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('.os-wall-stage')).filter") != "none"
        )
        name = f"{size[0]}x{size[1]}@{scale}-{locale}"
        page.screenshot(path=str(shots_dir / f"wall-night-{name}.png"))
        alert_id = f"KIOSK-N-{locale}-{size[0]}-{scale}"
        raise_alert(alert_id)
        page.wait_for_function(f"() => ({SHOWN})() === '{alert_id}'", timeout=20000)
        page.wait_for_function("() => document.querySelector('.os-wall-alert-map path')", timeout=20000)
        words = "烟感报警" if locale == "zh-CN" else "Smoke alarm"
        assert words in page.inner_text(".os-wall-takeover")
        _check_takeover(page, size)
        # the alert is drawn apart from the dimmed stage: at full strength at night
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('.os-wall-takeover')).filter")
            == "none"
        )
        page.screenshot(path=str(shots_dir / f"wall-takeover-night-{name}.png"))
        raise_alert(alert_id, action="acknowledge", state="acknowledged")
        page.wait_for_selector(".os-wall-takeover", state="detached", timeout=20000)
        assert errors == [] and offsite == []
    finally:
        context.close()


@pytest.mark.browser
def test_two_windows_of_a_playlist_show_the_same_layout(browser, server):
    """Opened at different moments, they agree by the clock and turn together."""
    opened = time.monotonic()
    one = _open(browser, f"{server.url}/wall/overview-hd?playlist=quick")
    # at least 3 s apart; opening the first (a sign-in and the wall's load) often takes that
    time.sleep(max(0.0, opened + 3 - time.monotonic()))
    two = _open(browser, f"{server.url}/wall/overview-4k?playlist=quick")
    try:
        pages = (one[1], two[1])
        for page in pages:
            page.wait_for_selector(".os-wall-stage .os-wall-cell")
        first = _agreed(pages, 20)  # each draws a turn a moment after the clock: they agree soon
        for page in pages:
            page.wait_for_function(
                f"() => document.querySelector('.os-wall-viewport')?.dataset.layout !== '{first}'",
                timeout=25000,
            )
        _agreed(pages, 5)
        assert one[2] == [] and two[2] == []
    finally:
        one[0].close()
        two[0].close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_kiosk_mode_hides_the_chrome_and_gives_a_way_out(browser, live_server, shots_dir, locale):
    context, page, errors, offsite = _open(browser, f"{live_server}/", locale=locale)
    header = "() => document.querySelector('.os-header').getBoundingClientRect().height"
    try:
        page.wait_for_selector("#shell-kiosk")
        assert page.evaluate(header) > 0
        title = page.get_attribute("#shell-kiosk", "title")
        assert title.startswith("展示模式" if locale == "zh-CN" else "Kiosk mode")
        page.click("#shell-kiosk")
        page.wait_for_function(f"() => ({header})() === 0")
        assert "kiosk=1" in page.url
        size = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert size[0] <= 1920 and size[1] <= 1080  # no scroll bars: the page fits the window
        page.wait_for_selector("#shell-kiosk-exit", state="hidden", timeout=20000)  # the mouse rests
        page.mouse.move(400, 300)
        page.mouse.move(500, 320)
        page.wait_for_selector("#shell-kiosk-exit", state="visible")
        exit_words = page.inner_text("#shell-kiosk-exit")
        assert exit_words == ("退出展示模式（Esc）" if locale == "zh-CN" else "Leave kiosk mode (Esc)")
        page.screenshot(path=str(shots_dir / f"kiosk-{locale}_1920x1080.png"))
        page.keyboard.press("Escape")
        page.wait_for_function(f"() => ({header})() > 0")
        assert "kiosk" not in page.url
        page.goto(f"{live_server}/map?kiosk=1", wait_until="networkidle")  # any page, by its address
        page.wait_for_function(f"() => ({header})() === 0")
        page.mouse.move(300, 300)
        page.click("#shell-kiosk-exit")
        page.wait_for_function(f"() => ({header})() > 0")
        assert errors == [] and offsite == []
    finally:
        context.close()


@pytest.mark.browser
def test_the_night_hours_darken_walls_and_kiosk_pages_by_the_park_clock(browser, server):
    """The server's night hours hold now: a wall is dark by itself, a desk page only in kiosk
    mode, and ?theme=day keeps a wall bright for the tab."""
    night = "() => document.documentElement.classList.contains('os-night')"
    context, page, errors, _offsite = _open(browser, f"{server.url}/wall/overview-hd")
    try:
        page.wait_for_function(night, timeout=20000)
        page.goto(f"{server.url}/", wait_until="networkidle")
        page.wait_for_selector(".os-header")
        page.wait_for_timeout(1000)
        assert not page.evaluate(night)  # a desk page at the desk: as it is
        page.goto(f"{server.url}/?kiosk=1", wait_until="networkidle")
        page.wait_for_function(night, timeout=20000)
        page.goto(f"{server.url}/wall/overview-hd?theme=day", wait_until="networkidle")
        page.wait_for_selector(".os-wall-stage")
        page.wait_for_timeout(1000)
        assert not page.evaluate(night)
        page.goto(f"{server.url}/wall/overview-hd?theme=auto", wait_until="networkidle")
        page.wait_for_function(night, timeout=20000)
        assert errors == []
    finally:
        context.close()
