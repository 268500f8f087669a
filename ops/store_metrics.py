"""The figures /metrics reads from the store when it is scraped (prometheus-client's custom
collector), not counted by the serving processes: the feed worker saves its counts in the store
(services/feed_counts.py) and alerts live there, so any process answers the same whole-park
figures, and summing them over workers would multiply them.

  onescreen_feed_readings_received_total{source}   past the intake checks (stored + duplicates)
  onescreen_feed_readings_stored_total{source}
  onescreen_feed_readings_duplicate_total{source}
  onescreen_feed_readings_rejected_total{source, reason}
  onescreen_feed_lag_seconds{source}               now - the newest reading's own time
  onescreen_source_state{source, state}            1 for the state the Sources page shows
  onescreen_alerts{state}                          the whole park's alerts by state
  onescreen_store_metrics_up                       0 when the store did not answer (the rest absent)

The feed counts are the worker's since it began listening: they fall to zero when it restarts,
which Prometheus's rate() reads as a counter reset. A scrape reads a few indexed rows; the
result is kept CACHE_S so several scrapers (or a fast one) cost one read."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from domain.alert_lifecycle import State
from services.feed_status import feed_statuses
from store.models import Alert

log = logging.getLogger(__name__)

CACHE_S = 5.0
SOURCE_STATES = ("ok", "degraded", "down", "unknown")


def alerts_by_state(engine) -> dict[str, int]:
    """Every alert state's count over the whole park (0 for a state no alert is in)."""
    with engine.connect() as connection:
        rows = connection.execute(select(Alert.state, func.count()).group_by(Alert.state)).all()
    counts = dict.fromkeys((s.value for s in State), 0)
    counts.update({state: int(n) for state, n in rows})
    return counts


def _feed_families() -> list[Metric]:
    received = CounterMetricFamily(
        "onescreen_feed_readings_received", "Readings past the intake", labels=["source"]
    )
    stored = CounterMetricFamily("onescreen_feed_readings_stored", "Readings stored", labels=["source"])
    duplicates = CounterMetricFamily(
        "onescreen_feed_readings_duplicate", "Readings dropped as duplicates", labels=["source"]
    )
    rejected = CounterMetricFamily(
        "onescreen_feed_readings_rejected", "Readings refused, by reason", labels=["source", "reason"]
    )
    lag = GaugeMetricFamily(
        "onescreen_feed_lag_seconds", "Now minus the newest reading's time", labels=["source"]
    )
    feed_state = GaugeMetricFamily(
        "onescreen_feed_state", "1 for the feed's state", labels=["source", "state"]
    )
    for status in feed_statuses():
        received.add_metric([status.source], status.accepted)
        stored.add_metric([status.source], status.stored)
        duplicates.add_metric([status.source], status.duplicates)
        for reason, count in sorted(status.rejected.items()):
            rejected.add_metric([status.source, reason], count)
        if status.lag is not None:
            lag.add_metric([status.source], status.lag.total_seconds())
        for state in SOURCE_STATES:
            feed_state.add_metric([status.source, state], 1.0 if status.state == state else 0.0)
    return [received, stored, duplicates, rejected, lag, feed_state]


class StoreCollector:
    """Collects the store's figures for one app (an app context is pushed for the reads).
    Thread-safe; blocks for the store's reads at most once per CACHE_S."""

    def __init__(self, server: Flask, *, cache_s: float = CACHE_S) -> None:
        self._server = server
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._kept: tuple[float, list[Metric]] | None = None
        self._answered = True  # one log line when the store stops answering, one when it is back

    def _read(self) -> list[Metric]:
        services = self._server.extensions["onescreen"]
        up = GaugeMetricFamily("onescreen_store_metrics_up", "1 when the store answered this scrape's reads")
        try:
            with self._server.app_context():
                families = _feed_families()
                sources = GaugeMetricFamily(
                    "onescreen_source_state", "1 for the source's state", labels=["source", "state"]
                )
                for health in services.sources.health():
                    for state in SOURCE_STATES:
                        sources.add_metric([health.source, state], 1.0 if health.status == state else 0.0)
                alerts = GaugeMetricFamily(
                    "onescreen_alerts", "Alerts of the whole park by state", labels=["state"]
                )
                for state, count in alerts_by_state(services.engine).items():
                    alerts.add_metric([state], count)
        except SQLAlchemyError as exc:
            if self._answered:
                log.warning("metrics: the store does not answer (%s)", str(exc).splitlines()[0][:200])
            self._answered = False
            up.add_metric([], 0)
            return [up]
        if not self._answered:
            log.info("metrics: the store answers again")
        self._answered = True
        up.add_metric([], 1)
        return [*families, sources, alerts, up]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._kept is None or time.monotonic() - self._kept[0] >= self._cache_s:
                self._kept = (time.monotonic(), self._read())
            kept = self._kept[1]
        yield from kept
