"""A duty officer's Alerts page in a real browser, with the stream as make run serves it (a
server of its own, the shared Redis as its bus so this test can announce as the alert engine of
any process would): a new critical alert written to the store and announced is listed, marked
and announced within a second; the officer acknowledges it with the keyboard (j, A) and the
confirmation dialog; the timeline and the audit log show the step; the Overview's ticker shows
the alert. Screenshots of the page at 1920×1080 and 3840×2160, zh and en, wall and desk."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import redis
from servers import AppServer
from sqlalchemy import create_engine, insert, select
from test_live_alerts import REDIS, SERVER_ENV
from test_pages import visit

from config.settings import Settings
from store.models import Alert, AlertEvent, Sensor

URBAN = "urban_management"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    made = AppServer(tmp_path_factory.mktemp("alerts-desk"), SERVER_ENV)
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def store(server):
    engine = create_engine(f"sqlite:///{server.data_dir / 'onescreen.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def announce(server):
    """Publish {"seq": n} where the server's bus listens, as services.alert_engine.announce does."""
    settings = Settings.model_construct(data_dir=server.data_dir, database_url=None)
    channel = f"onescreen:{settings.store_key}:alerts"
    client = redis.Redis.from_url(REDIS)

    def publish(seq: int) -> None:
        assert client.publish(channel, json.dumps({"seq": seq})) >= 1, "no server process listens"

    yield publish
    client.close()


def raise_alert(
    engine,
    alert_id: str,
    severity: str = "critical",
    rule: str = "smoke_alarm",
    kind: str = "smoke",
    quantity: str = "obscuration",
    value: float = 9.5,
    threshold: float = 4.0,
) -> int:
    """A sensor of the park trips: the alert (answered by the sensor's department) and its raise
    event, as the alert engine writes them; the event's sequence number."""
    now = datetime.now(UTC)
    with engine.begin() as c:
        sensor, department = c.execute(
            select(Sensor.id, Sensor.department).where(Sensor.kind == kind).order_by(Sensor.id).limit(1)
        ).one()
        c.execute(insert(Alert.__table__).values(
            id=alert_id, rule=rule, sensor_id=sensor, quantity=quantity, value=value, threshold=threshold,
            severity=severity, state="raised", raised_at=now, version=1, department=department or URBAN,
            detail={"title": f"alert_rule.{rule}", "message": "alert_message.above",
                    "values": {"value": value, "unit": UNITS[quantity], "threshold": threshold}},
        ))  # fmt: skip
        result = c.execute(insert(AlertEvent.__table__).values(alert_id=alert_id, action="raise", actor="system",
                                                               at=now, to_state="raised"))  # fmt: skip
        return int(result.inserted_primary_key[0])


UNITS = {"obscuration": "%/m", "ch4": "%LEL", "level": "m", "pm25": "ug/m3", "laeq": "dB(A)"}


@pytest.fixture(scope="module")
def open_alerts(store):
    """A handful of open alerts of several kinds and severities (raised once per module)."""
    with store.connect() as c:
        if c.execute(select(Alert.id).where(Alert.id == "A-20991231-80001")).first() is not None:
            return
    for n, (severity, rule, kind, quantity, value, threshold) in enumerate([
        ("critical", "gas_leak", "gas", "ch4", 31.0, 25.0),
        ("warning", "road_flooding", "water_level", "level", 0.21, 0.15),
        ("warning", "pm25_high", "air_quality", "pm25", 118.0, 75.0),
        ("info", "noise_high", "noise", "laeq", 71.0, 70.0),
        ("critical", "smoke_alarm", "smoke", "obscuration", 8.2, 4.0),
    ], start=1):  # fmt: skip
        raise_alert(store, f"A-20991231-8{n:04d}", severity, rule, kind, quantity, value, threshold)


@pytest.mark.browser
def test_a_duty_officer_gets_a_critical_alert_within_a_second_and_acknowledges_it_by_keyboard(
    browser, server, store, announce, shots_dir
):
    raise_alert(store, "A-20991231-90001", severity="warning", rule="gas_leak")  # one already open
    with visit(browser, server.url + "/alerts", shots_dir, "alerts-desk", locale="en-US", user="duty",
               ready=".os-live-live") as v:  # fmt: skip
        page = v.page
        page.wait_for_selector("#alerts-sound[data-state]", state="attached")
        assert page.inner_text("#alerts-sound") == "Click to enable sound"
        page.click("#alerts-sound")  # the first click lets the page play sound (not a mute)
        assert page.inner_text("#alerts-sound") == "Sound on (click to mute)"
        alert_id = "A-20991231-90002"
        seq = raise_alert(store, alert_id)
        sent = time.monotonic()
        announce(seq)
        row = f"#alerts-list .os-alert-row.os-alert-new[data-alert='{alert_id}']"
        page.wait_for_selector(row, timeout=5000)
        page.wait_for_function(f"() => document.getElementById('alerts-announce').textContent.includes('{alert_id}')",
                               timeout=5000, polling=10)  # fmt: skip
        took = time.monotonic() - sent
        print(f"alert announced -> listed, marked and announced on the Alerts page: {took * 1000:.0f} ms")
        assert took < 1.0
        page.wait_for_function("() => document.getElementById('alerts-chime').getAttribute('data-chimes') === '1'",
                               timeout=3000)  # fmt: skip
        # critical first: the new one heads the feed, above the older warning
        assert page.locator("#alerts-list .os-alert-row").first.get_attribute("data-alert") == alert_id
        page.screenshot(path=str(shots_dir / "alerts-desk-new_1920x1080.png"))

        page.keyboard.press("j")  # the first alert: the new critical one
        page.wait_for_selector(f".os-alert-id:text-is('{alert_id}')")
        assert f"alert={alert_id}" in page.url
        page.keyboard.press("a")  # acknowledge: the dialog asks first
        page.wait_for_selector(".modal.show")
        assert "Acknowledge" in page.inner_text("#alerts-step-title")
        page.click("#alerts-step-confirm")
        page.wait_for_selector(".modal.show", state="detached")
        page.wait_for_selector(".os-alert-head .badge:text-is('Acknowledged')")
        assert "is now Acknowledged" in page.inner_text("#alerts-notice")
        timeline = page.locator(".os-alert-event").all_inner_texts()
        assert any("Acknowledged" in e and "duty" in e for e in timeline)
        page.screenshot(path=str(shots_dir / "alerts-desk-acknowledged_1920x1080.png"))
        assert v.errors == [] and v.offsite == []
    with store.connect() as c:
        assert c.execute(select(Alert.state).where(Alert.id == alert_id)).scalar_one() == "acknowledged"
    with visit(
        browser, server.url + "/", shots_dir, "alerts-desk-overview", locale="en-US", user="admin"
    ) as admin:
        log = admin.page.request.get(
            f"{server.url}/api/v1/audit?action=alert.change&target=alert:{alert_id}"
        ).json()
    assert [(e["actor"], e["detail"]["action"], e["outcome"]) for e in log["items"]] == [
        ("duty", "acknowledge", "ok")
    ]
    with visit(browser, server.url + "/", shots_dir, "alerts-ticker", locale="en-US", user="duty",
               ready=".os-ticker-item") as v:  # fmt: skip
        assert v.page.locator(f".os-ticker-item[data-alert='{alert_id}']").count() == 1
        assert v.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1920x1080", "3840x2160"])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_alerts_page_and_the_overview_fit_their_screens(
    browser, server, store, open_alerts, shots_dir, size, locale
):
    for path, name in (("/alerts?alert=A-20991231-80001", "alerts"), ("/", "overview-ticker")):
        with visit(browser, server.url + path, shots_dir, f"{name}-{locale}", size=size, locale=locale,
                   user="duty") as v:  # fmt: skip
            page = v.page
            for n, theme in ((1, "wall"), (2, "desk")):
                page.click(f"#shell-theme .form-check:nth-child({n}) label")
                page.wait_for_timeout(600)
                page.screenshot(path=str(shots_dir / f"{name}-{locale}-{theme}_{size[0]}x{size[1]}.png"))
                scroll = page.evaluate("() => [document.documentElement.scrollWidth > innerWidth,"
                                       " document.documentElement.scrollHeight > innerHeight]")  # fmt: skip
                assert scroll == [False, False], (path, theme)
            assert v.errors == []


@pytest.mark.browser
def test_a_viewers_overview_shows_the_counts_without_a_ticker(browser, server, store, open_alerts, shots_dir):
    with visit(browser, server.url + "/", shots_dir, "alerts-viewer-overview", locale="en-US", user="viewer",
               ready=".os-ticker-count") as v:  # fmt: skip
        page = v.page
        assert page.locator(".os-ticker-item").count() == 0  # no record-level alert facts for a viewer
        critical = page.get_attribute(".os-ticker-count[data-severity='critical']", "data-count")
        assert critical is not None and int(critical) >= 2
        assert v.errors == []
