"""The production cache while Redis is away (a private redis-server, stopped and started again):
reads are misses and writes are dropped, never an exception, so a page computes its figures
from the store; once Redis is back the cache is used again. One log line each way."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from config.settings import load_settings
from services import cache as cache_module
from services.cache import cache, init_cache
from tests.private_services import PrivateRedis

pytestmark = pytest.mark.integration


def test_a_cache_whose_redis_is_down_answers_as_an_empty_cache_and_is_used_again_when_back(
    tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(cache_module, "RETRY_AFTER_S", 0.0)  # ask Redis at every call here
    server = PrivateRedis()
    server.start()
    app = Flask("cache-down")
    init_cache(
        app,
        load_settings(data_dir=tmp_path, redis_url=server.url, database_url="postgresql://x@h/cache_down"),
    )
    try:
        with app.app_context(), caplog.at_level(logging.INFO, logger="services.cache"):
            assert cache.set("figure", {"open_cases": 601}) is True
            assert cache.get("figure") == {"open_cases": 601}
            server.stop()
            assert cache.get("figure") is None
            assert cache.get_many("figure", "other") == [None, None]
            assert cache.set("figure", {"open_cases": 602}) is False
            assert cache.delete("figure") is False
            assert cache.has("figure") is False
            server.start()  # the same port, empty: Redis kept nothing
            assert cache.get("figure") is None
            assert cache.set("figure", {"open_cases": 603}) is True
            assert cache.get("figure") == {"open_cases": 603}
        messages = [r.getMessage() for r in caplog.records if r.name == "services.cache"]
        assert len([m for m in messages if "Redis does not answer" in m]) == 1, messages
        assert len([m for m in messages if "Redis answers again" in m]) == 1, messages
    finally:
        server.stop()


def test_after_a_failure_the_cache_rests_before_asking_redis_again(tmp_path, monkeypatch):
    """A dead Redis host costs one call its timeout, not every call: for RETRY_AFTER_S after a
    failure the cache answers as empty without asking; then it asks again and comes back."""
    server = PrivateRedis()
    server.start()
    app = Flask("cache-rest")
    init_cache(
        app,
        load_settings(data_dir=tmp_path, redis_url=server.url, database_url="postgresql://x@h/cache_rest"),
    )
    clock = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: clock[0])
    try:
        with app.app_context():
            assert cache.set("figure", 1) is True
            server.stop()
            assert cache.get("figure") is None  # asked, failed: resting from now
            server.start()
            assert cache.set("figure", 2) is False  # resting: not asked, though Redis is back
            clock[0] += cache_module.RETRY_AFTER_S + 0.1
            assert cache.set("figure", 3) is True and cache.get("figure") == 3
    finally:
        server.stop()
