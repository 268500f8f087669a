"""The production cache is the real Redis: two apps (two workers) share one computation."""

from __future__ import annotations

import uuid

import pytest
import redis
from flask import Flask

from config.settings import load_settings
from services.cache import cache, init_cache

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_two_workers_share_cached_figures(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    settings = load_settings(data_dir=tmp_path, redis_url=REDIS_URL)
    workers = [Flask(f"worker{i}") for i in range(2)]
    for worker in workers:
        init_cache(worker, settings)
    key = f"test-{uuid.uuid4().hex}"
    with workers[0].app_context():
        cache.set(key, {"open_cases": 601}, timeout=30)
    with workers[1].app_context():
        assert cache.get(key) == {"open_cases": 601}
        cache.delete(key)
    assert redis.Redis.from_url(REDIS_URL).exists(f"onescreen:{key}") == 0
