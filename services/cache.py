"""The read cache (flask-caching): in-process in the embedded profile, Redis in production,
so every worker shares one cache and one recomputation. A cache is an optimisation: while Redis
is down every read is a miss and every write is dropped (one log line each way), so the pages
compute their figures from the store instead of failing."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask
from flask_caching import Cache
from flask_caching.backends import RedisCache
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.settings import Settings

log = logging.getLogger(__name__)
cache = Cache()
# a host that drops packets must not hold a request for minutes: a cache read waits this long,
# once (redis-py's own retries are off: a cache call is not worth retrying)
SOCKET_TIMEOUT_S = 2.0
# once Redis failed to answer, calls answer as an empty cache without asking it for this long:
# a dead host would otherwise cost every cache call its timeout (a figure makes three)
RETRY_AFTER_S = 5.0


def _tolerant(missing: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`missing`: what the call answers while Redis is down (a miss, or "not written")."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: TolerantRedisCache, *args: Any, **kwargs: Any) -> Any:
            if self._resting():
                return missing(*args) if callable(missing) else missing
            try:
                answer = method(self, *args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                self._went_down(exc)
                return missing(*args) if callable(missing) else missing
            self._came_back()
            return answer

        return call

    return wrap


class TolerantRedisCache(RedisCache):
    """flask-caching's Redis backend that answers as an empty cache while Redis is down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._down = False
        self._failed_at = 0.0
        self._state_lock = threading.Lock()

    def _resting(self) -> bool:
        """Redis failed less than RETRY_AFTER_S ago: answer without asking it (the first call
        after that asks again, and brings the cache back when Redis answers)."""
        return self._down and time.monotonic() - self._failed_at < RETRY_AFTER_S

    def _went_down(self, exc: Exception) -> None:
        with self._state_lock:
            self._failed_at = time.monotonic()
            if self._down:
                return
            self._down = True
        log.warning(
            "cache: Redis does not answer (%s); figures are computed from the store until it is back", exc
        )

    def _came_back(self) -> None:
        if self._down:
            with self._state_lock:
                if not self._down:
                    return
                self._down = False
            log.info("cache: Redis answers again")

    get = _tolerant(None)(RedisCache.get)
    get_many = _tolerant(lambda *keys: [None] * len(keys))(RedisCache.get_many)
    get_dict = _tolerant(lambda *keys: dict.fromkeys(keys))(RedisCache.get_dict)
    has = _tolerant(False)(RedisCache.has)
    set = _tolerant(False)(RedisCache.set)
    add = _tolerant(False)(RedisCache.add)
    set_many = _tolerant(lambda mapping, *_: [])(RedisCache.set_many)
    delete = _tolerant(False)(RedisCache.delete)
    delete_many = _tolerant(lambda *keys: [])(RedisCache.delete_many)
    clear = _tolerant(False)(RedisCache.clear)
    inc = _tolerant(None)(RedisCache.inc)
    dec = _tolerant(None)(RedisCache.dec)


def init_cache(server: Flask, settings: Settings) -> None:
    if settings.redis_url:
        # one prefix per store, so two deployments sharing a Redis never read each other's figures
        config: dict[str, Any] = {
            "CACHE_TYPE": f"{__name__}.TolerantRedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": f"onescreen:{settings.store_key}:",
            "CACHE_OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT_S,
                "socket_timeout": SOCKET_TIMEOUT_S,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    config["CACHE_DEFAULT_TIMEOUT"] = settings.cache_timeout_s
    server.config.update(config)
    cache.init_app(server, config=config)
