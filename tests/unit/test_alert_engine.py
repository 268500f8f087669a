"""The alert rules applied to a real store (services/alert_engine.py): readings written to the
store as the worker writes them, the engine judging them at a given time (a fake clock: no
sleeping), and the alerts, events and audit rows it leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import func, insert, select

from security import audit
from services import alert_engine
from services.alert_book import KEY as BOOK_KEY
from store.models import Alert, AlertEvent, AuditRow, Reading

# after the demo park's own readings, so its history neither helps nor hinders a rule
BASE = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
MIN = timedelta(minutes=1)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("alert-engine"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def sensors(app):
    with app.server.app_context():
        from services.data import snapshot

        frame = snapshot("sensors").frame
    return {kind: list(frame.loc[frame["kind"] == kind, "id"]) for kind in frame["kind"].unique()}


class Bus:
    """A registered bus as the live push registers one: what was published, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def publish(self, channel: str, message: dict) -> None:
        self.sent.append((channel, message))


def put(engine, sensor_id: str, quantity: str, series: list[tuple[datetime, float]]) -> None:
    with engine.begin() as c:
        c.execute(
            insert(Reading.__table__),
            [
                {"sensor_id": sensor_id, "quantity": quantity, "unit": None, "value": v, "at": at}
                for at, v in series
            ],
        )


def alerts_of(engine, sensor_id: str, rule: str) -> list[dict]:
    with engine.connect() as c:
        rows = c.execute(
            select(Alert.__table__).where(Alert.sensor_id == sensor_id, Alert.rule == rule).order_by(Alert.pk)
        )
        return [dict(r._mapping) for r in rows]


def events_of(engine, alert_id: str) -> list[dict]:
    with engine.connect() as c:
        rows = c.execute(
            select(AlertEvent.__table__).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.pk)
        )
        return [dict(r._mapping) for r in rows]


def audit_count(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(AuditRow)).scalar_one()


def run(app, sensor_id: str, now: datetime) -> list[int]:
    with app.server.app_context():
        return alert_engine.evaluate_sensors([sensor_id], now)


def test_a_threshold_crossed_raises_one_alert_staying_high_updates_it_and_normal_clears_it(
    app, engine, sensors
):
    sensor = sensors["smoke"][0]
    t0 = BASE
    put(engine, sensor, "obscuration", [(t0, 0.1), (t0 + 5 * MIN, 0.2)])
    assert run(app, sensor, t0 + 5 * MIN) == []
    assert alerts_of(engine, sensor, "smoke_alarm") == []

    audit_before = audit_count(engine)
    put(engine, sensor, "obscuration", [(t0 + 10 * MIN, 2.5)])  # the sensor's warning level is 2.0
    raised = run(app, sensor, t0 + 10 * MIN)
    [alert] = alerts_of(engine, sensor, "smoke_alarm")
    assert len(raised) == 1
    assert alert["id"].startswith("A-") and alert["state"] == "raised" and alert["severity"] == "warning"
    assert (alert["value"], alert["threshold"], alert["version"]) == (2.5, 2.0, 1)
    assert alert["department"] == "fire_rescue" and alert["cleared_at"] is None
    assert alert["detail"]["message"] == "alert_message.above" and alert["detail"]["values"]["value"] == "2.5"
    assert [(e["action"], e["actor"], e["pk"]) for e in events_of(engine, alert["id"])] == [
        ("raised", "system", raised[0])
    ]
    assert audit_count(engine) == audit_before + 1

    # staying high: a higher peak updates the alert, quietly (no event, no audit row, no version)
    for minute, value in ((15, 3.0), (20, 3.5), (25, 3.2)):
        put(engine, sensor, "obscuration", [(t0 + minute * MIN, value)])
        assert run(app, sensor, t0 + minute * MIN) == []
    [alert] = alerts_of(engine, sensor, "smoke_alarm")
    assert (alert["value"], alert["severity"], alert["version"]) == (3.5, "warning", 1)
    assert audit_count(engine) == audit_before + 1

    # the critical level (4.0) reached: the severity changes, and that is an event
    put(engine, sensor, "obscuration", [(t0 + 30 * MIN, 4.5)])
    [updated] = run(app, sensor, t0 + 30 * MIN)
    [alert] = alerts_of(engine, sensor, "smoke_alarm")
    assert (alert["severity"], alert["value"], alert["threshold"]) == ("critical", 4.5, 4.0)
    assert events_of(engine, alert["id"])[-1]["action"] == "updated"
    assert events_of(engine, alert["id"])[-1]["detail"]["was"] == "warning"

    # back to normal (below the level less the band) for clear_after_min (5): cleared by the system
    put(engine, sensor, "obscuration", [(t0 + 35 * MIN, 0.3)])
    assert run(app, sensor, t0 + 35 * MIN) == []
    put(engine, sensor, "obscuration", [(t0 + 40 * MIN, 0.2)])
    [cleared] = run(app, sensor, t0 + 40 * MIN)
    [alert] = alerts_of(engine, sensor, "smoke_alarm")
    assert alert["cleared_at"] == t0 + 40 * MIN and alert["state"] == "raised"
    clear = events_of(engine, alert["id"])[-1]
    assert (clear["action"], clear["actor"], clear["pk"]) == ("clear", "system", cleared)
    assert cleared > updated > raised[0]

    # a late reading of a spike that is over reopens nothing
    put(engine, sensor, "obscuration", [(t0 + 37 * MIN, 5.0)])
    assert run(app, sensor, t0 + 41 * MIN) == []
    assert len(alerts_of(engine, sensor, "smoke_alarm")) == 1


def test_the_engine_announces_the_newest_sequence_number_on_the_bus(app, engine, sensors):
    bus = Bus()
    with app.server.app_context():
        alert_engine.announce([3, 9, 4])  # no bus registered: nothing to do, nothing raised
        app.server.extensions[alert_engine.BUS_KEY] = bus
        try:
            alert_engine.announce([])
            alert_engine.announce([3, 9, 4])
        finally:
            del app.server.extensions[alert_engine.BUS_KEY]
    assert bus.sent == [("alerts", {"seq": 9})]


def test_unknown_sensors_are_skipped(app):
    with app.server.app_context():
        assert alert_engine.evaluate_sensors(["urn:dev:nobody-000", ""], BASE) == []


def _book_without_offline(app):
    book = app.server.extensions[BOOK_KEY]
    return book.model_copy(update={"rules": tuple(r for r in book.rules if r.kind != "offline")})


def test_an_unacknowledged_alert_escalates_after_its_severitys_time_once(app, engine, sensors, monkeypatch):
    sensor = sensors["gas"][0]
    t0 = BASE + timedelta(hours=2)
    put(engine, sensor, "ch4", [(t0, 30.0)])  # gas: warning at 20 %LEL (the sensor's own level)
    assert len(run(app, sensor, t0)) == 1
    [alert] = alerts_of(engine, sensor, "gas_leak")
    assert alert["severity"] == "warning"
    monkeypatch.setitem(app.server.extensions, BOOK_KEY, _book_without_offline(app))
    with app.server.app_context():
        alert_engine.tick(t0 + 14 * MIN)  # warning: 15 minutes (others due sooner may escalate)
        assert alerts_of(engine, sensor, "gas_leak")[0]["state"] == "raised"
        audit_before = audit_count(engine)
        due = alert_engine.tick(t0 + 16 * MIN)
        assert alert_engine.tick(t0 + 17 * MIN) == []  # once
    [alert] = alerts_of(engine, sensor, "gas_leak")
    assert alert["state"] == "escalated" and alert["escalated_at"] == t0 + 16 * MIN and alert["version"] == 2
    last = events_of(engine, alert["id"])[-1]
    assert (last["action"], last["actor"], last["detail"]["automatic"]) == ("escalate", "system", True)
    assert last["pk"] in due
    rows = audit.query(engine, audit.AuditFilter(actions=("alert.change",), target=f"alert:{alert['id']}"))
    assert rows.iloc[0]["detail"]["action"] == "escalate" and rows.iloc[0]["actor"] == "system"
    assert audit_count(engine) == audit_before + len(due)


def test_a_silent_sensor_raises_an_offline_alert_on_the_tick_and_a_fresh_reading_clears_it(
    app, engine, sensors, monkeypatch
):
    sensor = sensors["water_level"][0]
    t0 = BASE + timedelta(hours=5)
    put(engine, sensor, "level", [(t0, 0.01)])
    book = app.server.extensions[BOOK_KEY]
    offline_only = book.model_copy(update={"rules": tuple(r for r in book.rules if r.kind == "offline")})
    monkeypatch.setitem(app.server.extensions, BOOK_KEY, offline_only)
    with app.server.app_context():
        alert_engine.tick(t0 + 10 * MIN)
        assert alerts_of(engine, sensor, "sensor_offline") == []
        alert_engine.tick(t0 + 20 * MIN)  # silent 15 minutes
        [alert] = alerts_of(engine, sensor, "sensor_offline")
        assert alert["raised_at"] == t0 + 15 * MIN and alert["severity"] == "warning"
        alert_engine.tick(t0 + 25 * MIN)
        assert len(alerts_of(engine, sensor, "sensor_offline")) == 1  # not raised twice
        put(engine, sensor, "level", [(t0 + 26 * MIN, 0.01)])
        [seq] = alert_engine.evaluate_sensors([sensor], t0 + 26 * MIN)
    [alert] = alerts_of(engine, sensor, "sensor_offline")
    assert alert["cleared_at"] == t0 + 26 * MIN
    assert events_of(engine, alert["id"])[-1]["pk"] == seq
