"""Alerts on the real PostgreSQL: two workers judging the same readings at the same moment raise
one alert (the store's alert lock), two officers acknowledging it at once get one 200 and one
409, and opening a case from it links the two once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import delete, func, insert, select

from security import tokens
from security.audit import AuditFilter, query
from store.models import Alert, AlertEvent, Case, Reading

pytestmark = pytest.mark.integration

BASE = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=600, database_url=pg_url, demo_live=False)
    yield app
    services = app.server.extensions["onescreen"]
    services.sources.close()  # the sensors were read through them: their connections too
    services.engine.dispose()


def _smoke_sensors(app) -> list[str]:
    with app.server.app_context():
        from services.data import snapshot

        frame = snapshot("sensors").frame
    return list(frame.loc[frame["kind"] == "smoke", "id"])


def _at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # a thread's failure must fail the test, not vanish
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_two_workers_judging_the_same_readings_raise_each_alert_once(app):
    from services import alert_engine

    engine = app.server.extensions["onescreen"].engine
    assert engine.dialect.name == "postgresql"
    sensors = _smoke_sensors(app)[:6]
    with engine.begin() as c:
        c.execute(
            insert(Reading.__table__),
            [{"sensor_id": s, "quantity": "obscuration", "unit": "%/m", "value": v, "at": BASE + timedelta(minutes=m)}
             for s in sensors for m, v in ((0, 0.1), (5, 4.4))],
        )  # fmt: skip

    def worker(_i: int) -> list[int]:
        with app.server.app_context():
            return alert_engine.evaluate_sensors(sensors, BASE + timedelta(minutes=5))

    seqs = [seq for result in _at_once(2, worker) for seq in result]
    with engine.connect() as c:
        alerts = c.execute(select(Alert.id, Alert.sensor_id).where(Alert.rule == "smoke_alarm")).all()
        raised = c.execute(
            select(func.count()).select_from(AlertEvent).where(AlertEvent.action == "raised")
        ).scalar_one()
    assert sorted(s for _id, s in alerts) == sorted(sensors)  # one each, not two
    assert len({alert_id for alert_id, _s in alerts}) == len(sensors)  # numbered apart
    assert len(seqs) == raised == len(sensors)


def test_two_officers_at_once_one_wins_and_open_case_links_once_on_postgresql(app):
    from services import alert_engine

    engine = app.server.extensions["onescreen"].engine
    now = datetime.now(UTC)  # people act now: the alert is raised before it
    # A detector the demo park left quiet: its seeded history (a burst of cooking smoke at some
    # hour of the day) must neither hold an alert already nor clear the one raised here.
    with engine.begin() as c:
        alerted = set(c.execute(select(Alert.sensor_id)).scalars())
        sensor = next(s for s in reversed(_smoke_sensors(app)) if s not in alerted)
        c.execute(delete(Reading.__table__).where(Reading.__table__.c.sensor_id == sensor))
    reading = {"sensor_id": sensor, "quantity": "obscuration", "value": 2.6, "at": now - timedelta(minutes=1)}
    with engine.begin() as c:
        c.execute(insert(Reading.__table__).values(**reading))
    with app.server.app_context():
        assert len(alert_engine.evaluate_sensors([sensor], now)) == 1
    with engine.connect() as c:
        alert_id = c.execute(select(Alert.id).where(Alert.sensor_id == sensor)).scalar_one()
    token = tokens.issue(engine, "pg-alerts", "duty_officer", actor="admin")[0]
    headers = {"Authorization": f"Bearer {token}"}

    def officer(_i: int) -> int:
        client = app.server.test_client()
        body = {"action": "acknowledge", "version": 1}
        return client.post(f"/api/v1/alerts/{alert_id}/transitions", json=body, headers=headers).status_code

    assert sorted(_at_once(2, officer)) == [200, 409]
    outcomes = query(engine, AuditFilter(actions=("alert.change",), target=f"alert:{alert_id}"))
    assert sorted(outcomes[outcomes["actor"] == "token:pg-alerts"]["outcome"]) == ["failed", "ok"]

    def open_case(_i: int) -> int:
        client = app.server.test_client()
        body = {"action": "open_case", "version": 2}
        return client.post(f"/api/v1/alerts/{alert_id}/transitions", json=body, headers=headers).status_code

    assert sorted(_at_once(2, open_case)) == [200, 409]
    with engine.connect() as c:
        linked = c.execute(select(Case.id, Case.channel, Case.status).where(Case.alert_id == alert_id)).all()
        case_id = c.execute(select(Alert.case_id).where(Alert.id == alert_id)).scalar_one()
    assert [(case_id, "iot_alert", "accepted")] == [tuple(row) for row in linked]
