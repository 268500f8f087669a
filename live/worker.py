"""The feed worker: listens to every configured source that pushes readings (config/sources.yaml:
the demo park's `demo_feed` in the embedded default, `mqtt` in production), stores what they
send, has the alert rules judge the sensors it stored readings for, and on a clock runs the
offline rules and due escalations and keeps the store bounded.

Each batch has passed the source's intake checks (unknown sensor, unit, NaN, far future or past,
size… counted by reason in the source's health by its monitor). The worker writes it in one
transaction with INSERT … ON CONFLICT DO NOTHING (store/reading_rows.py): a reading the store
already holds is dropped and counted as a duplicate, a late one is placed at its own time. Only
then does the batch count as taken (an MQTT message is acknowledged), so a store that refuses it
leaves it with the source to come again. Then services.alert_engine judges the batch's sensors
and its alert events are announced to live clients after their commit.

Every TICK_S it renews its lease (live/periodic.py, as the demo simulator's: of several processes
that start it, one works), runs alert_engine.tick, rolls raw readings older than
`readings_raw_days` into hourly aggregates an hour at a time (at most ROLL_HOURS a tick, so a
tick stays short however far behind it is) and saves each feed's counts in the store's meta
table (`feed.<source>`: received, stored, duplicates, rejected by reason), where any process
reads them (services/feed_counts.py). A source that cannot be opened is marked down with one log
line and retried every tick; a connected source's drops and returns are logged once each by its
monitor. Nothing a feed sends stops the worker.

`flask --app app worker` runs it in the foreground; in the embedded profile with `demo_live`
on, the serving process runs it as a thread (started by `make run`)."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.pool import QueuePool

from data_sources.base import PUSH, PushBatch
from data_sources.contracts import CONTRACTS
from data_sources.errors import SourceError
from data_sources.feeds.intake import SensorCatalog
from data_sources.feeds.problems import DUPLICATE
from data_sources.monitor import SourceMonitor
from live.periodic import PeriodicJob, hold_lease
from services.context import KEY
from services.data import snapshot
from services.feed_counts import COUNTS_KEY, RATE_MINUTES
from store.engine import begin_write, make_engine
from store.models import Meta
from store.reading_rows import insert_readings, roll_up_hour

try:  # the alert engine (issue 9, step 3) lands beside the worker; without it readings are
    # still stored and the screen stays live, only no alert is raised
    from services import alert_engine
except ImportError:  # pragma: no cover - only while services/alert_engine.py is not there
    alert_engine = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LEASE_KEY = "feed_worker"
TICK_S = 10.0
JUDGE_GAP_S = 0.1  # rounds of the alert rules start at most this often
ROLL_HOURS = 24  # hours of raw readings rolled up per tick at most
READING_AT = CONTRACTS["readings"].columns.index("at")


@dataclass
class FeedCounts:
    """What one feed delivered since the worker started listening to it."""

    received: int = 0  # readings that passed the intake checks
    stored: int = 0
    duplicates: int = 0  # of `received`, already in the store
    rejected: Counter[str] = field(default_factory=Counter)  # intake refusals by reason
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    messages: int = 0  # batches delivered (an MQTT message each), refused ones included
    last_message_at: datetime | None = None  # when the newest message arrived
    newest_reading_at: datetime | None = None  # the newest reading's own time
    # readings received by minute of arrival (epoch minute → count), the last RATE_MINUTES + 1,
    # from which the Sources page tells the feed's rate
    minutes: dict[int, int] = field(default_factory=dict)

    def add(self, batch: PushBatch, stored: int) -> None:
        """Count one delivered batch of which `stored` readings were new to the store."""
        self.messages += 1
        self.received += len(batch.rows)
        self.stored += stored
        self.duplicates += len(batch.rows) - stored
        self.rejected.update(batch.counts)
        if self.last_message_at is None or batch.received_at > self.last_message_at:
            self.last_message_at = batch.received_at
        newest = max((row[READING_AT] for row in batch.rows), default=None)
        if newest is not None and (self.newest_reading_at is None or newest > self.newest_reading_at):
            self.newest_reading_at = newest
        minute = int(batch.received_at.timestamp() // 60)
        self.minutes[minute] = self.minutes.get(minute, 0) + len(batch.rows)
        for old in [m for m in self.minutes if m < minute - RATE_MINUTES]:
            del self.minutes[old]

    def as_json(self) -> str:
        def moment(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return json.dumps(
            {
                "received": self.received,
                "stored": self.stored,
                "duplicates": self.duplicates,
                "rejected": dict(self.rejected),
                "since": self.since.isoformat(),
                "messages": self.messages,
                "last_message_at": moment(self.last_message_at),
                "newest_reading_at": moment(self.newest_reading_at),
                "minutes": {str(m): n for m, n in self.minutes.items()},
                "saved_at": datetime.now(UTC).isoformat(),
            }
        )


def feed_sources(server: Flask) -> dict[str, SourceMonitor]:
    """The configured sources the worker listens to: those that push readings."""
    monitors = server.extensions[KEY].sources.monitors
    return {
        name: m
        for name, m in monitors.items()
        if PUSH in m.source.capabilities and "readings" in m.source.contracts
    }


class FeedWorker(PeriodicJob):
    """One worker per process; `tick(now)` is one round of the clock (the thread's, or a test's
    with its own clock) and `take(batch)` the sink the feeds deliver to (from their threads)."""

    title = "the feed worker"

    def __init__(self, server: Flask, *, owner: str | None = None, tick_s: float = TICK_S) -> None:
        super().__init__(timedelta(seconds=tick_s))
        self.server = server
        self.services = server.extensions[KEY]
        self.engine: Engine = self.services.engine
        self.tick_s = tick_s
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.counts: dict[str, FeedCounts] = {}
        self.listening: dict[str, SourceMonitor] = {}
        self._failing: set[str] = set()  # sources (and "alerts") whose failure was logged
        self._lock = threading.Lock()
        # SQLite's engine opens a connection per use (NullPool) and closing the last one
        # checkpoints the WAL (~10 ms a batch): the worker keeps its writing connection open
        url = self.engine.url.render_as_string(hide_password=False)
        sqlite = self.engine.dialect.name == "sqlite"
        self.write_engine = make_engine(url, poolclass=QueuePool, pool_size=1) if sqlite else self.engine
        self._judging = threading.Condition()
        self._pending: set[str] = set()
        self._busy = False
        self._closing = False
        self._judge_thread: threading.Thread | None = None

    # -- the thread -------------------------------------------------------------------------
    def run(self) -> None:
        """Tick at once and then every interval until stop() (`flask --app app worker`'s
        foreground loop; start() runs the same in a daemon thread)."""
        try:
            self.tick(datetime.now(UTC))
        except Exception:
            log.exception("the first round of the feed worker failed; it retries every %s", self.interval)
        try:
            self._run()
        finally:
            self.close()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name=self.title, daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        super().stop()
        self.close()

    def close(self) -> None:
        """Stop listening, judge what was queued, save the final counts. Never raises."""
        for monitor in self.listening.values():
            monitor.close()
        self.listening.clear()
        self.drain(timeout_s=30)
        with self._judging:
            self._closing = True
            self._judging.notify_all()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
        try:
            self._save_counts()
        except Exception as exc:  # the store may be what is failing; the counts are only figures
            log.warning("the feed worker could not save its counts: %s", exc)

    # -- one round --------------------------------------------------------------------------
    def tick(self, now: datetime) -> dict[str, int]:
        """Renew the lease; open feeds not yet open; the alert engine's tick; one bounded step of
        retention; save the counts. What it did: {"lease", "listening", "alerts", "rolled"}."""
        with self.server.app_context():
            until = now + timedelta(seconds=3 * self.tick_s)
            if not hold_lease(self.engine, LEASE_KEY, self.owner, now, until):
                if self.listening:
                    log.warning("another process holds the feed worker's lease; this one stops listening")
                    self.close()
                return {"lease": 0, "listening": 0, "alerts": 0, "rolled": 0}
            self._open_feeds(now)
            seqs = self._alerts(lambda: alert_engine.tick(now) if alert_engine else [])
            rolled = self.roll_up(now)
            self._save_counts()
        return {"lease": 1, "listening": len(self.listening), "alerts": len(seqs), "rolled": rolled}

    def _open_feeds(self, now: datetime) -> None:
        for name, monitor in feed_sources(self.server).items():
            if name in self.listening:
                continue
            self.counts.setdefault(name, FeedCounts())
            try:
                monitor.listen(self._sink, catalog=self.catalog)
            except SourceError as exc:
                before = monitor.health
                after = before.failed(now, "readings", str(exc), monitor.down_after)
                monitor.book.put(after)
                if name not in self._failing:
                    log.warning("feed %s cannot be opened (%s); retrying every %s s", name, exc, self.tick_s)
                    self._failing.add(name)
                continue
            if name in self._failing:
                log.info("feed %s is open again", name)
                self._failing.discard(name)
            log.info("listening to feed %s (%s)", name, monitor.source.kind)
            self.listening[name] = monitor

    def catalog(self) -> SensorCatalog | None:
        """The registered sensors (from the cached sensors snapshot; None until it can be read,
        so readings are then taken unchecked for sensor and unit rather than all refused)."""
        with self.server.app_context():
            frame = snapshot("sensors").frame
        return SensorCatalog.from_sensors(frame) if not frame.empty else None

    # -- the sink ---------------------------------------------------------------------------
    def _sink(self, batch: PushBatch) -> None:
        self.take(batch)

    def take(self, batch: PushBatch) -> int:
        """Store a batch (one transaction) and queue its sensors to be judged; the count of
        readings new to the store. Raises only when the store refuses the batch (the source
        keeps it)."""
        with begin_write(self.write_engine) as connection:
            stored = insert_readings(connection, batch.rows)
        duplicates = len(batch.rows) - stored
        with self._lock:
            self.counts.setdefault(batch.source, FeedCounts()).add(batch, stored)
        monitor = self.listening.get(batch.source)
        if duplicates and monitor is not None:
            monitor.rejected_by_reason[DUPLICATE] += duplicates
        if stored:
            self._judge({row[0] for row in batch.rows})
        return stored

    # -- judging ------------------------------------------------------------------------------
    def _judge(self, sensors: set[str]) -> None:
        """Queue `sensors` for the alert rules. One thread judges: a batch arriving while it
        works joins the next round, each sensor once, so judging never holds up storing and a
        busy feed is judged in rounds rather than batch by batch; an idle one at once."""
        with self._judging:
            self._pending |= sensors
            self._closing = False
            self._judging.notify_all()
            if self._judge_thread is None or not self._judge_thread.is_alive():
                self._judge_thread = threading.Thread(
                    target=self._judge_rounds, name="feed-judge", daemon=True
                )
                self._judge_thread.start()

    def _judge_rounds(self) -> None:
        while True:
            with self._judging:
                self._busy = False
                self._judging.notify_all()
                self._judging.wait_for(lambda: self._pending or self._closing)
                if self._closing and not self._pending:
                    return
                sensors, self._pending, self._busy = sorted(self._pending), set(), True
            began = time.monotonic()
            judge = (
                partial(alert_engine.evaluate_sensors, sensors, datetime.now(UTC)) if alert_engine else list
            )
            with self.server.app_context():
                self._alerts(judge)
            # a busy feed: let the next round gather what arrives meanwhile, so judging takes a
            # bounded share of the process (an idle feed's reading is judged at once)
            time.sleep(max(0.0, JUDGE_GAP_S - (time.monotonic() - began)))

    def drain(self, timeout_s: float = 60) -> bool:
        """Wait until every queued sensor was judged; False on timeout."""
        with self._judging:
            return self._judging.wait_for(lambda: not self._pending and not self._busy, timeout=timeout_s)

    def _alerts(self, run: Any) -> list[int]:
        """Run an alert engine call and announce its events; a failure is logged once (until it
        works again) and never stops the worker: the readings are stored either way."""
        try:
            seqs = list(run())
            if seqs and alert_engine is not None:
                alert_engine.announce(seqs)
        except Exception:
            if "alerts" not in self._failing:
                log.exception("the alert engine failed; readings are still stored")
                self._failing.add("alerts")
            return []
        if "alerts" in self._failing:
            log.info("the alert engine works again")
            self._failing.discard("alerts")
        return seqs

    # -- retention and counts ---------------------------------------------------------------
    def roll_up(self, now: datetime, max_hours: int = ROLL_HOURS) -> int:
        """Roll up to `max_hours` of raw readings older than `readings_raw_days` into hourly
        aggregates, an hour a transaction; the count of raw readings rolled."""
        before = now - timedelta(days=self.services.settings.readings_raw_days)
        rolled = 0
        for _ in range(max_hours):
            with begin_write(self.engine) as connection:
                done = roll_up_hour(connection, before)
            if not done.hours:
                break
            rolled += done.readings
        return rolled

    def _save_counts(self) -> None:
        with self._lock:
            saved = {COUNTS_KEY.format(name): c.as_json() for name, c in self.counts.items()}
        if not saved:
            return
        table: Table = Meta.__table__  # type: ignore[assignment]
        with begin_write(self.engine) as connection:
            known = set(connection.execute(select(Meta.key).where(Meta.key.in_(list(saved)))).scalars())
            for key, value in saved.items():
                if key in known:
                    connection.execute(table.update().where(table.c.key == key).values(value=value))
                else:
                    connection.execute(insert(table).values(key=key, value=value))


def should_run(settings: Any) -> bool:
    """The serving process runs the worker as a thread only in the embedded profile with the
    live demo on; production runs `flask --app app worker` as its own service."""
    return settings.profile == "embedded" and settings.demo_live


def start_worker(server: Flask) -> FeedWorker | None:
    """Start the worker's thread in a serving process when it should run there."""
    if not should_run(server.extensions[KEY].settings) or not feed_sources(server):
        return None
    worker = FeedWorker(server)
    worker.start()
    log.info("the feed worker is running in this process (demo_live: false turns it off)")
    return worker
