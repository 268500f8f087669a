"""The read cache (flask-caching): in-process in the embedded profile, Redis in production,
so every worker shares one cache and one recomputation."""

from __future__ import annotations

from flask import Flask
from flask_caching import Cache

from config.settings import Settings

cache = Cache()


def init_cache(server: Flask, settings: Settings) -> None:
    if settings.redis_url:
        # one prefix per store, so two deployments sharing a Redis never read each other's figures
        config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": f"onescreen:{settings.store_key}:",
        }
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    config["CACHE_DEFAULT_TIMEOUT"] = settings.cache_timeout_s
    server.config.update(config)
    cache.init_app(server, config=config)
