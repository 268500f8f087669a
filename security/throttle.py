"""Failed sign-ins counted per client address, on top of the per-account lock-out: one address
trying many usernames (password spraying) is stopped too. A moving window from the `limits`
library, in memory in the embedded profile and in Redis in production, so that every worker
counts the same failures."""

from __future__ import annotations

from datetime import UTC, datetime

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from config.settings import Settings

NAMESPACE = "sign-in-failures"


class FailedSignIns:
    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            storage = storage_from_string(
                settings.redis_url, key_prefix=f"onescreen:{settings.store_key}:limits"
            )
        else:
            storage = storage_from_string("memory://")
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerMinute(settings.login_ip_max_failures, settings.login_lockout_minutes)

    def blocked(self, address: str | None) -> bool:
        return not self._limiter.test(self._item, NAMESPACE, address or "?")

    def failed(self, address: str | None) -> None:
        self._limiter.hit(self._item, NAMESPACE, address or "?")

    def blocked_until(self, address: str | None) -> datetime:
        stats = self._limiter.get_window_stats(self._item, NAMESPACE, address or "?")
        return datetime.fromtimestamp(stats.reset_time, UTC)
