"""/healthz and /readyz (ops/health.py): answered without sign-in, session or cache, never
throttled; readiness follows the store and Redis, is bounded in time when one of them hangs,
and lists the sources as the Sources page knows them."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import redis
from apps import build_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from servers import free_port
from sqlalchemy import event

from ops.bounded import BoundedCall
from ops.health import PROBE_KEY, ReadinessProbe, check_redis, check_store
from services.context import KEY
from store.engine import make_engine


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("ops-probes"))


@pytest.fixture
def statements(app):
    """The SQL statements the app's store runs while the block runs."""
    seen: list[str] = []
    engine = app.server.extensions[KEY].engine

    def remember(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    yield seen
    event.remove(engine, "before_cursor_execute", remember)


def test_healthz_answers_ok_without_touching_the_store(app, statements):
    client = app.server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert statements == []


def test_readyz_lists_every_configured_source_with_its_state(app):
    response = app.server.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["dependencies"] == {"store": {"state": "ok"}}  # embedded: no Redis configured
    sources = app.server.extensions[KEY].sources
    assert [s["source"] for s in body["sources"]] == list(sources.monitors)
    with app.server.app_context():
        known = {h.source: h.status for h in sources.health()}
    assert {s["source"]: s["state"] for s in body["sources"]} == known
    feeds = [s for s in body["sources"] if "feed" in s]
    assert [f["source"] for f in feeds] == ["demo-feed"]
    # no worker runs in a test app: the feed is unknown, and says why as the Sources page does
    assert feeds[0]["feed"]["state"] == "unknown" and feeds[0]["feed"]["reason"] == "no_worker"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_a_caller_outside_the_operators_networks_reads_the_states_only(app, tmp_path):
    """The reasons (a driver's words: hosts, users) and the sources' names and errors are for
    operators (metrics_allow networks, or a token that may view sources); a balancer elsewhere
    gets ready or not and each dependency's state."""
    outside = app.server.test_client().get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 200
    assert outside.get_json() == {"status": "ready", "dependencies": {"store": {"state": "ok"}}}
    gone = build_app(tmp_path / "gone")
    store = gone.server.extensions[KEY].engine.url.database
    gone.server.extensions[KEY].engine.dispose()
    os.remove(store)
    down = gone.server.test_client().get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert down.status_code == 503
    assert down.get_json() == {"status": "not ready", "dependencies": {"store": {"state": "down"}}}
    assert "reason" in gone.server.test_client().get("/readyz").get_json()["dependencies"]["store"]


def test_a_balancer_polling_every_second_is_never_refused_and_costs_little(app, statements):
    client = app.server.test_client()
    started = time.monotonic()
    answers = [client.get(path).status_code for _ in range(60) for path in ("/healthz", "/readyz")]
    assert answers == [200] * 120
    # 120 probes in well under their 60 s of polling read the store about once a second at most
    seconds = time.monotonic() - started
    assert len([s for s in statements if "meta" in s]) <= 2 * (seconds + 1)


def test_probes_answer_whoever_asks_even_with_a_stale_session_cookie(app):
    client = app.server.test_client()
    client.set_cookie("onescreen_session", "not-a-valid-session")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    # an unsafe method is not a probe: no CSRF check is reached, the route simply does not take it
    assert client.post("/readyz").status_code == 405


def test_a_store_whose_file_is_gone_is_not_ready_and_liveness_still_answers(tmp_path):
    doomed = build_app(tmp_path)
    client = doomed.server.test_client()
    assert client.get("/readyz").status_code == 200
    doomed.server.extensions[PROBE_KEY]._answer = None  # not the answer of a second ago
    (tmp_path / "onescreen.sqlite").unlink()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["dependencies"]["store"]["state"] == "down"
    assert "onescreen.sqlite is missing" in body["dependencies"]["store"]["reason"]
    assert body["sources"] == "unknown: the store does not answer"
    assert not (tmp_path / "onescreen.sqlite").exists()  # the probe did not create an empty store
    assert client.get("/healthz").status_code == 200
    doomed.server.extensions[KEY].engine.dispose()


def _closed_port() -> int:
    return free_port()  # nothing listens on it once the probe socket is closed


def test_an_unreachable_postgresql_store_is_down_with_the_reason(tmp_path):
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{_closed_port()}/test")
    started = time.monotonic()
    answer = check_store(engine)
    assert not answer.ready
    assert "127.0.0.1" in answer.reason and "refused" in answer.reason.lower()
    assert time.monotonic() - started < 5
    engine.dispose()


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_a_store_that_hangs_is_waited_for_a_bounded_time_by_one_thread(silent_server):
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{silent_server}/test")
    call = BoundedCall(lambda: check_store(engine), 0.3, "test-hung-store")
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            call.call()
        assert time.monotonic() - started < 1.0
    hung = [t for t in threading.enumerate() if t.name == "test-hung-store"]
    assert len(hung) == 1  # later probes waited on the same check, none piled up


def test_redis_down_is_said_and_redis_up_is_ok():
    closed = redis.Redis(port=_closed_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    down = check_redis(closed)
    assert not down.ready and "connect" in down.reason.lower()
    client = redis.Redis(port=6379, socket_connect_timeout=1, socket_timeout=1)
    assert check_redis(client).ready
    client.close()


@pytest.mark.parametrize("redis_up", [True, False])
def test_readiness_with_redis_configured_follows_redis(app, redis_up):
    settings = app.server.extensions[KEY].settings
    port = 6379 if redis_up else _closed_port()
    probe = ReadinessProbe(
        app.server, settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    )
    ready, body = probe.answer()
    assert ready is redis_up
    assert body["dependencies"]["store"] == {"state": "ok"}
    if redis_up:
        assert body["dependencies"]["redis"] == {"state": "ok"} and body["status"] == "ready"
    else:
        assert body["dependencies"]["redis"]["state"] == "down"
        assert "connect" in body["dependencies"]["redis"]["reason"].lower()
        assert body["status"] == "not ready"
