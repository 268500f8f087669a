"""Citizen apps' reports on the real PostgreSQL and Redis: copies of one report sent at the same
moment file one case, different reports sent at once each get their own case number (the
numbering lock), and the per-token limit is one count for every worker of a deployment."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis
from apps import build_app
from sqlalchemy import func, select

from config.settings import load_settings
from security import tokens
from security.throttle import ReportLimit
from store.models import Case, CaseEvent, Feature

pytestmark = pytest.mark.integration
PATH = "/open311/v2/requests.json"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=300, database_url=pg_url, demo_live=False)
    yield app
    app.server.extensions["onescreen"].engine.dispose()


def _place(engine) -> tuple[float, float]:
    with engine.connect() as c:
        geometry = c.execute(
            select(Feature.geometry).where(Feature.layer == "grid_unit").limit(1)
        ).scalar_one()
    ring = geometry["coordinates"][0][:-1]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


def _send_at_once(app, forms: list[dict], token: str) -> list:
    barrier = threading.Barrier(len(forms))
    answers: list = []

    def send(form: dict) -> None:
        client = app.server.test_client()
        barrier.wait()
        answers.append(client.post(PATH, data=form, headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=send, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_copies_at_once_file_one_case_and_different_reports_each_their_own(app):
    engine = app.server.extensions["onescreen"].engine
    assert engine.dialect.name == "postgresql"
    lat, lon = _place(engine)
    token = tokens.issue(engine, "pg-citizen-app", "reporter", actor="admin")[0]
    form = {"service_code": "um.manhole_cover_damaged", "lat": str(lat), "long": str(lon), "device_id": "d1",
            "description": "井盖缺角"}  # fmt: skip
    twins = _send_at_once(app, [form, form, form], token)
    assert sorted(a.status_code for a in twins) == [200, 200, 201]
    assert len({a.get_json()[0]["service_request_id"] for a in twins}) == 1
    others = _send_at_once(app, [{**form, "description": f"第{n}处井盖缺角"} for n in range(4)], token)
    assert [a.status_code for a in others] == [201] * 4
    ids = {a.get_json()[0]["service_request_id"] for a in others} | {
        twins[0].get_json()[0]["service_request_id"]
    }
    assert len(ids) == 5
    with engine.connect() as c:
        filed = c.execute(select(func.count()).select_from(Case).where(Case.id.in_(ids))).scalar_one()
        events = c.execute(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id.in_(ids), CaseEvent.action == "reported")
        ).scalar_one()
    assert (filed, events) == (5, 5)


def test_workers_share_a_tokens_report_limit(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        monkeypatch.delenv(key)
    settings = load_settings(
        profile="production",
        secret_key="not-the-default",
        database_url=f"postgresql://onescreen@127.0.0.1/park_{uuid.uuid4().hex[:8]}",
        redis_url=REDIS_URL,
        open311_reports_per_minute=3,
    )
    worker_a, worker_b = ReportLimit(settings), ReportLimit(settings)
    token = f"token:{uuid.uuid4().int % 10**9}"
    assert [worker_a.take(token), worker_b.take(token), worker_a.take(token)] == [None, None, None]
    wait_s = worker_b.take(token)
    assert wait_s is not None and 1 <= wait_s <= 60
    assert worker_a.take("token:another") is None
