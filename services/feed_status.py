"""How each feed (a configured source that pushes readings) is doing, for the Sources page: its
rate over the last RATE_MINUTES minutes, its lag, its last message, what it delivered (accepted,
duplicates, refused by reason) and its state with the reason for it.

The figures are the feed worker's (services.feed_counts, saved every TICK_S in the store) and
the connection's state is the source's health (kept in the store too), so the page tells the
same in any process, whether the worker is a thread of the app or `flask --app app worker`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from data_sources.base import PUSH
from data_sources.health import SourceHealth
from services.context import get_services
from services.feed_counts import RATE_MINUTES, feed_counts

# The worker saves its counts every 10 s (live.worker.TICK_S); three missed saves and it is
# taken to have stopped.
SILENT_WORKER = timedelta(seconds=30)


@dataclass(frozen=True)
class FeedStatus:
    """One feed as the Sources page shows it. `state` is "ok", "degraded", "down" or "unknown"
    (the worker has not reported on it yet); `reason` says why it is not ok, as a key of the
    "feeds.why.*" texts and its values."""

    source: str
    state: str
    reason: str | None
    reason_values: dict[str, Any]
    per_minute: float | None  # readings a minute over the last RATE_MINUTES minutes
    lag: timedelta | None  # now - the newest reading's own time
    last_message_at: datetime | None
    message_age: timedelta | None  # now - last_message_at
    messages: int
    accepted: int  # readings received past the intake checks (stored + duplicates)
    stored: int
    duplicates: int
    rejected: dict[str, int]  # by reason (data_sources.feeds.problems.REASONS)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def rate(minutes: dict[str, int], since: datetime, now: datetime) -> float:
    """Readings a minute over the last RATE_MINUTES minutes (or since the worker began, when
    that is later) from readings counted by minute of arrival: the minutes that began in the
    window, over its length (at least a minute, so a feed seconds old is not blown up)."""
    start = max(since, now - timedelta(minutes=RATE_MINUTES))
    first = int(start.timestamp() // 60)
    count = sum(n for m, n in minutes.items() if int(m) >= first)
    span = max(now - datetime.fromtimestamp(first * 60, UTC), timedelta(minutes=1))
    return count / (span.total_seconds() / 60)


def _state(
    health: SourceHealth,
    since: datetime,
    message_age: timedelta | None,
    saved: datetime | None,
    now: datetime,
    warn: timedelta,
) -> tuple[str, str | None, dict[str, Any]]:
    """(state, reason, the reason's values) by the rule in feed_status's docstring."""
    batch = health.batch("readings")
    if health.status == "down":
        return "down", "connection", {"error": health.last_error or "—"}
    if saved is not None and now - saved > SILENT_WORKER:
        return "down", "worker_silent", {"age": now - saved}
    if health.status == "degraded" and batch is not None and batch.failures:
        return "degraded", "dropped", {"error": health.last_error or "—"}
    if health.status == "degraded" and batch is not None and batch.rejected:
        return "degraded", "refused", {"count": batch.rejected}
    quiet = message_age if message_age is not None else now - since
    if quiet > warn:
        return "degraded", "silent", {"age": quiet}
    return "ok", None, {}


def feed_status(
    health: SourceHealth, counts: dict[str, Any] | None, now: datetime, warn: timedelta
) -> FeedStatus:
    """The status of the feed of `health` from the worker's `counts` (None: none saved yet):
    down while its connection is down or the worker has not saved for SILENT_WORKER; degraded
    while its connection has dropped (not yet down), while its latest message had refused
    records, or when no message came for `warn` (the screen's freshness_warn_s); else ok."""
    if counts is None:
        return FeedStatus(health.source, "unknown", "no_worker", {}, None, None, None, None, 0, 0, 0, 0, {})
    since = _at(counts.get("since")) or now
    last = _at(counts.get("last_message_at"))
    newest = _at(counts.get("newest_reading_at"))
    saved = _at(counts.get("saved_at"))
    message_age = max(now - last, timedelta(0)) if last else None
    state, reason, values = _state(health, since, message_age, saved, now, warn)
    return FeedStatus(
        source=health.source,
        state=state,
        reason=reason,
        reason_values=values,
        per_minute=rate(counts.get("minutes") or {}, since, now),
        lag=max(now - newest, timedelta(0)) if newest else None,
        last_message_at=last,
        message_age=message_age,
        messages=int(counts.get("messages", 0)),
        accepted=int(counts.get("received", 0)),
        stored=int(counts.get("stored", 0)),
        duplicates=int(counts.get("duplicates", 0)),
        rejected={str(k): int(v) for k, v in (counts.get("rejected") or {}).items()},
    )


def feed_statuses(now: datetime | None = None) -> list[FeedStatus]:
    """Every configured feed's status, in the sources' order."""
    services = get_services()
    now = now or datetime.now(UTC)
    warn = timedelta(seconds=services.settings.freshness_warn_s)
    monitors = services.sources.monitors
    return [
        feed_status(health, feed_counts(services.engine, health.source), now, warn)
        for health in services.sources.health()
        if PUSH in monitors[health.source].source.capabilities
        and "readings" in monitors[health.source].source.contracts
    ]
