"""The app while its PostgreSQL store is down (a private server, stopped and started again on
its port): a request that needs the store answers 503 with Retry-After and a JSON body for the
API, never a 500 with a traceback in the log; once the store is back
the same app answers from it again without a restart (its pool connects anew)."""

from __future__ import annotations

import logging

import pytest
from apps import build_app

from security import tokens
from tests.private_services import PrivatePostgres

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgres():
    server = PrivatePostgres()
    server.start()
    with server.engines_disposed():
        yield server
    server.close()


def test_the_store_down_is_503_with_retry_after_and_the_app_answers_again_when_it_is_back(
    postgres, tmp_path, caplog
):
    app = build_app(tmp_path, seed=False, database_url=postgres.url, demo_live=False)
    engine = app.server.extensions["onescreen"].engine
    token, _ = tokens.issue(engine, "store down", "duty_officer", actor="test")
    client = app.server.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        assert client.get("/api/v1/alerts", headers=headers).status_code == 200
        postgres.stop()
        with caplog.at_level(logging.WARNING):
            down = client.get("/api/v1/alerts", headers=headers)
        assert down.status_code == 503, down.get_data(as_text=True)[:300]
        assert down.headers["Retry-After"] == "5"
        assert down.get_json()["error"] == "service unavailable"
        assert "store does not answer" in down.get_json()["message"]
        assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
        assert any("store unavailable for GET /api/v1/alerts" in r.getMessage() for r in caplog.records)
        postgres.start()
        assert client.get("/api/v1/alerts", headers=headers).status_code == 200
    finally:
        if postgres.process is None:
            postgres.start()
        engine.dispose()
