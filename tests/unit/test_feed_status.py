"""The feeds panel's rules (services/feed_status.py): a feed's rate over the last minutes from
the worker's counts by minute, its lag, and its state with the reason, each state from the
health and counts that make it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_sources.health import SourceHealth
from services.feed_status import feed_status, rate

NOW = datetime(2026, 12, 6, 12, 0, 30, tzinfo=UTC)
WARN = timedelta(minutes=10)
MINUTE = int(NOW.timestamp() // 60)


def counts(**changes) -> dict:
    base = {
        "received": 120, "stored": 110, "duplicates": 10, "rejected": {"not JSON": 3},
        "since": (NOW - timedelta(hours=1)).isoformat(), "messages": 40,
        "last_message_at": (NOW - timedelta(seconds=2)).isoformat(),
        "newest_reading_at": (NOW - timedelta(seconds=62)).isoformat(),
        "minutes": {str(MINUTE - m): 20 for m in range(6)}, "saved_at": (NOW - timedelta(seconds=5)).isoformat(),
    }  # fmt: skip
    return base | changes


def healthy() -> SourceHealth:
    return SourceHealth("feed", "mqtt").succeeded(NOW, "readings", 5, 0, newest=NOW)


def test_rate_counts_the_minutes_of_the_window_over_its_length():
    minutes = {str(MINUTE - m): 30 for m in range(10)}
    # the window begins at minute MINUTE-5 (now - 5 min), so six minutes' counts over 5.5 min
    assert rate(minutes, NOW - timedelta(hours=1), NOW) == 180 / 5.5
    # a worker that began 20 s ago: at least a minute, so a few readings are not blown up
    assert rate({str(MINUTE): 10}, NOW - timedelta(seconds=20), NOW) == 10.0
    assert rate({}, NOW - timedelta(hours=1), NOW) == 0.0


def test_an_ok_feed_has_its_rate_lag_last_message_and_counts():
    feed = feed_status(healthy(), counts(), NOW, WARN)
    assert (feed.state, feed.reason) == ("ok", None)
    assert feed.lag == timedelta(seconds=62) and feed.message_age == timedelta(seconds=2)
    assert (feed.messages, feed.accepted, feed.stored, feed.duplicates, feed.rejected_total) == (
        40,
        120,
        110,
        10,
        3,
    )
    assert feed.per_minute == 120 / 5.5


def test_each_state_with_its_reason():
    down = SourceHealth("feed", "mqtt").failed(NOW, "readings", "connection refused", 3)
    assert feed_status(down, counts(), NOW, WARN).reason_values == {"error": "readings: connection refused"}
    assert feed_status(down, counts(), NOW, WARN).state == "down"
    silent_worker = feed_status(
        healthy(), counts(saved_at=(NOW - timedelta(minutes=2)).isoformat()), NOW, WARN
    )
    assert (silent_worker.state, silent_worker.reason) == ("down", "worker_silent")
    dropped = healthy().failed(NOW, "readings", "broker went away", 3)
    assert (feed_status(dropped, counts(), NOW, WARN).state, feed_status(dropped, counts(), NOW, WARN).reason) == (
        "degraded", "dropped",
    )  # fmt: skip
    refused = SourceHealth("feed", "mqtt").succeeded(NOW, "readings", 0, 2)
    assert feed_status(refused, counts(), NOW, WARN).reason_values == {"count": 2}
    quiet = feed_status(
        healthy(), counts(last_message_at=(NOW - timedelta(minutes=30)).isoformat()), NOW, WARN
    )
    assert (quiet.state, quiet.reason, quiet.reason_values) == (
        "degraded",
        "silent",
        {"age": timedelta(minutes=30)},
    )
    assert feed_status(healthy(), None, NOW, WARN).state == "unknown"
