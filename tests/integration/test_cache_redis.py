"""The production cache is the real Redis: workers of one deployment share one computation,
and two deployments on one Redis never read each other's figures."""

from __future__ import annotations

import uuid

import pytest
import redis
from flask import Flask

from config.settings import load_settings
from services.cache import cache, init_cache

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def client():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    yield connection
    connection.close()


def _worker(name: str, tmp_path, store: str) -> Flask:
    app = Flask(name)
    init_cache(app, load_settings(data_dir=tmp_path, redis_url=REDIS_URL, database_url=store))
    return app


def test_workers_of_one_deployment_share_and_deployments_are_apart(client, tmp_path):
    store_a = f"postgresql://x@127.0.0.1/{uuid.uuid4().hex}"
    store_b = f"postgresql://x@127.0.0.1/{uuid.uuid4().hex}"
    one, two, other = (
        _worker("one", tmp_path, store_a),
        _worker("two", tmp_path, store_a),
        _worker("b", tmp_path, store_b),
    )
    key = "overview-figures"
    with one.app_context():
        cache.set(key, {"open_cases": 601}, timeout=30)
    with two.app_context():
        assert cache.get(key) == {"open_cases": 601}
    with other.app_context():
        assert cache.get(key) is None
    prefix = one.config["CACHE_KEY_PREFIX"]
    assert prefix.startswith("onescreen:") and prefix != other.config["CACHE_KEY_PREFIX"]
    assert client.exists(f"{prefix}{key}") == 1
    with one.app_context():
        cache.delete(key)
    assert client.exists(f"{prefix}{key}") == 0
