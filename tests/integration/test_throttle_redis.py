"""Failed sign-ins per address are counted in the real Redis in production, so every worker of
one deployment sees the same count, and another deployment on the same Redis does not."""

from __future__ import annotations

import uuid

import pytest
import redis

from config.settings import load_settings
from security.throttle import FailedSignIns

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"


def _settings(store: str):
    return load_settings(
        profile="production",
        secret_key="not-the-default",
        database_url=f"postgresql://onescreen@127.0.0.1/{store}",
        redis_url=REDIS_URL,
        login_ip_max_failures=3,
    )


def test_workers_share_the_count_and_deployments_do_not(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    for key in [k for k in __import__("os").environ if k.startswith("ONESCREEN_")]:
        monkeypatch.delenv(key)
    store = f"park_{uuid.uuid4().hex[:8]}"
    worker_a, worker_b = FailedSignIns(_settings(store)), FailedSignIns(_settings(store))
    other_deployment = FailedSignIns(_settings(f"{store}_other"))
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    worker_a.failed(address)
    worker_b.failed(address)
    assert not worker_a.blocked(address)
    worker_a.failed(address)
    assert worker_b.blocked(address) and worker_a.blocked(address)  # three failures, seen by both
    assert not other_deployment.blocked(address)
    assert not worker_b.blocked("10.9.0.1")  # another address is not affected
