"""Failed sign-ins counted per client address, on top of the per-account lock-out: one address
trying many usernames (password spraying) is stopped too; and the service requests each API
token reports (POST /open311/v2/requests), so a citizen app gone wrong cannot flood the centre.
Moving windows from the `limits` library, in memory in the embedded profile and in Redis in
production, so that every worker counts the same."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from config.settings import Settings

NAMESPACE = "sign-in-failures"
REPORTS = "open311-reports"


def _limiter(settings: Settings) -> MovingWindowRateLimiter:
    if settings.redis_url:
        storage = storage_from_string(settings.redis_url, key_prefix=f"onescreen:{settings.store_key}:limits")
    else:
        storage = storage_from_string("memory://")
    return MovingWindowRateLimiter(storage)


class FailedSignIns:
    def __init__(self, settings: Settings) -> None:
        self._limiter = _limiter(settings)
        self._item = RateLimitItemPerMinute(settings.login_ip_max_failures, settings.login_lockout_minutes)

    def blocked(self, address: str | None) -> bool:
        return not self._limiter.test(self._item, NAMESPACE, address or "?")

    def failed(self, address: str | None) -> None:
        self._limiter.hit(self._item, NAMESPACE, address or "?")

    def blocked_until(self, address: str | None) -> datetime:
        stats = self._limiter.get_window_stats(self._item, NAMESPACE, address or "?")
        return datetime.fromtimestamp(stats.reset_time, UTC)


class ReportLimit:
    """At most `open311_reports_per_minute` reports per API token in any minute (a moving window)."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = _limiter(settings)
        self._item = RateLimitItemPerMinute(settings.open311_reports_per_minute)

    def take(self, token: str) -> int | None:
        """Count one report of `token` and return None, or refuse it (counting nothing) and
        return the whole seconds until the window lets one through (Retry-After)."""
        if self._limiter.hit(self._item, REPORTS, token):
            return None
        stats = self._limiter.get_window_stats(self._item, REPORTS, token)
        return max(1, math.ceil(stats.reset_time - time.time()))
