"""The live bus on real Redis: the shared server (127.0.0.1:6379) under each test's own channel
prefix, and a private redis-server on a free port for the test that stops and restarts it."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest
import redis
from apps import build_app
from live_alerts import write_alert

from live.alert_feed import stream
from live.bus import UP, RedisBus
from live.stream import BUS_KEY, FEED_KEY
from security.scope import WHOLE_PARK
from services import alert_engine
from tests.brokers import PrivateRedis

pytestmark = pytest.mark.integration

REDIS = "redis://127.0.0.1:6379/0"


def alert_seqs(chunks: list[str]) -> list[int]:
    return [json.loads(chunk.split("data: ", 1)[1])["seq"] for chunk in chunks if "\nevent: alert\n" in chunk]


def pull(gen, until, timeout_s: float = 5.0) -> list[str]:
    chunks: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not until(chunks):
        chunks.append(next(gen))
    return chunks


def test_every_bus_on_the_prefix_hears_a_message_and_no_other_prefix_does():
    prefix = f"onescreen:test-{uuid.uuid4().hex[:8]}:"
    sender, receiver, stranger = (
        RedisBus(REDIS, prefix),
        RedisBus(REDIS, prefix),
        RedisBus(REDIS, prefix + "x:"),
    )
    heard: list[dict] = []
    overheard: list[dict] = []
    try:
        receiver.subscribe("alerts", heard.append)
        stranger.subscribe("alerts", overheard.append)
        assert receiver.listening.wait(5) and stranger.listening.wait(5)
        assert sender.publish("alerts", {"seq": 41}) is True
        deadline = time.monotonic() + 2
        while not heard and time.monotonic() < deadline:
            time.sleep(0.01)
        assert heard == [{"seq": 41}] and overheard == []
    finally:
        for bus in (sender, receiver, stranger):
            bus.close()


def test_a_message_that_is_not_a_json_object_is_logged_and_the_listener_goes_on(caplog):
    prefix = f"onescreen:test-{uuid.uuid4().hex[:8]}:"
    bus = RedisBus(REDIS, prefix)
    heard: list[dict] = []
    raw = redis.Redis.from_url(REDIS)
    try:
        with caplog.at_level(logging.WARNING, logger="live.bus"):
            bus.subscribe("alerts", heard.append)
            assert bus.listening.wait(5)
            raw.publish(prefix + "alerts", b"\xff not json {")
            raw.publish(prefix + "alerts", "[1, 2]")
            raw.publish(prefix + "alerts", '{"seq": 5}')
            deadline = time.monotonic() + 2
            while not heard and time.monotonic() < deadline:
                time.sleep(0.01)
        assert heard == [{"seq": 5}]
        assert f"ignored a message on {prefix}alerts that is not JSON" in caplog.text
        assert f"ignored a message on {prefix}alerts that is not a JSON object" in caplog.text
        assert bus.state == UP
    finally:
        raw.close()
        bus.close()


def test_two_apps_on_one_store_share_alerts_through_redis(tmp_path):
    """Two app instances (as two gunicorn workers): an alert one of them announces reaches a
    stream the other serves, within a second."""
    first = build_app(tmp_path, demo_cases=300, redis_url=REDIS)
    second = build_app(tmp_path, seed=False, demo_cases=300, redis_url=REDIS)
    engine = first.server.extensions["onescreen"].engine
    feed = second.server.extensions[FEED_KEY]
    try:
        assert isinstance(first.server.extensions[BUS_KEY], RedisBus)
        gen = stream(feed, second.server.extensions["onescreen"].engine, WHOLE_PARK, None, heartbeat_s=0.1)
        pull(gen, until=lambda c: len(c) >= 2)
        assert feed.bus.listening.wait(5)
        seq = write_alert(engine, "LIVE-TWO-1", "urban_management")
        sent = time.monotonic()
        with first.server.app_context():
            alert_engine.announce([seq])
        chunks = pull(gen, until=lambda c: alert_seqs(c))
        took = time.monotonic() - sent
        gen.close()
        assert alert_seqs(chunks) == [seq]
        assert took < 1.0, took  # far below the feed's 5 s backstop: it came over Redis
    finally:
        for app in (first, second):
            app.server.extensions[FEED_KEY].close()
            app.server.extensions[BUS_KEY].close()


def test_redis_down_is_told_to_the_stream_and_what_happened_meanwhile_arrives_once(tmp_path, caplog):
    redis_server = PrivateRedis()
    redis_server.start()
    app = build_app(tmp_path, demo_cases=300, redis_url=redis_server.url)
    engine = app.server.extensions["onescreen"].engine
    feed, bus = app.server.extensions[FEED_KEY], app.server.extensions[BUS_KEY]
    try:
        with caplog.at_level(logging.INFO, logger="live.bus"):
            gen = stream(feed, engine, WHOLE_PARK, None, heartbeat_s=0.1)
            pull(gen, until=lambda c: len(c) >= 2)
            assert bus.listening.wait(5)
            redis_server.stop()
            down = pull(gen, until=lambda c: any('"bus":"down"' in x for x in c))
            assert any('"bus":"down"' in x for x in down)
            during = write_alert(engine, "LIVE-DOWN-1", "urban_management")
            with app.server.app_context():
                alert_engine.announce([during])  # lost: Redis is down (logged, not raised)
            redis_server.start()
            back = pull(
                gen, until=lambda c: any('"bus":"up"' in x for x in c) and alert_seqs(down + c), timeout_s=15
            )
            back += pull(gen, until=lambda c: False, timeout_s=0.5)
            gen.close()
        assert bus.state == UP
        assert alert_seqs(down + back) == [during]
        assert caplog.text.count(" is down (") == 1 and caplog.text.count(" is back;") == 1
        assert caplog.text.count("cannot publish to Redis") == 1
    finally:
        feed.close()
        bus.close()
        redis_server.stop()


@pytest.fixture(autouse=True)
def _redis_is_there():
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    finally:
        client.close()
