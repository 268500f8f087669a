"""Alert events from the store to the browsers' streams, in sequence-number order.

`AlertFeed` (one per process) listens to the bus's "alerts" channel. A message there ({"seq": n},
services.alert_engine.announce) only says "events up to n are in the store": the feed wakes, reads
the events after the newest it has read, each with its alert's current row, once for the whole
process, and hands them to every open stream. It also reads every `backstop_s` on its own, so an
announcement lost (Redis down, a worker in another process without Redis) costs seconds, not an
alert, and every `down_poll_s` while the bus is down. On PostgreSQL a transaction can commit
events with lower numbers after one with higher numbers has been read: numbers skipped are
looked for again for `hole_ttl_s` (a rolled-back transaction leaves a gap for good).

`stream(...)` is one browser's server-sent event stream: it subscribes to the feed first, then
reads from the store what the browser missed (events after its Last-Event-ID), then passes on
the feed's events, skipping any it already sent from the store (by sequence number) and any
outside the viewer's scope. Nothing holds a database connection while waiting."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from live.bus import DOWN, UP, Bus
from security.scope import Scope
from store.alert_feed import events_after, newest_seq

log = logging.getLogger(__name__)

CHANNEL = "alerts"
CLOSED = "closed"  # a listener's last item: the feed (the server) is shutting down
LATE = "late"  # an event whose number was skipped when it was read past: below browsers' seq
READ_LIMIT = 1000
MAX_HOLES = 1000


class FeedClosed(RuntimeError):
    """The feed is shut down (the server is stopping): no new stream."""


class Listener:
    """What one stream receives from the feed: ("alert", event), (LATE, event), ("status",
    state) or CLOSED."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def put(self, item: Any) -> None:
        self._queue.put(item)

    def get(self, timeout: float) -> Any | None:
        """The next item, or None after `timeout` seconds without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class AlertFeed:
    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        *,
        backstop_s: float = 5.0,
        down_poll_s: float = 2.0,
        hole_ttl_s: float = 60.0,
    ) -> None:
        self._engine = engine
        self.bus = bus
        self._backstop_s = backstop_s
        self._down_poll_s = down_poll_s
        self._hole_ttl_s = hole_ttl_s
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Any = None
        self._cursor = 0
        self._holes: dict[int, float] = {}  # skipped sequence number -> when it was first skipped
        self._failing = False
        self._read_lock = threading.Lock()  # one read at a time moves the cursor

    @property
    def state(self) -> str:
        """The bus's state: "up", or "down" (live messages may be late until it is back)."""
        return self.bus.state

    def start(self) -> None:
        """Subscribe to the bus and start reading (once; later calls do nothing). Raises
        FeedClosed after close()."""
        with self._lock:
            if self._closed.is_set():
                raise FeedClosed("the live feed is shut down")
            if self._thread is not None:
                return
            with self._engine.connect() as connection:
                self._cursor = newest_seq(connection)
            self._unsubscribe = self.bus.subscribe(CHANNEL, self._on_message, self._on_state)
            self._thread = threading.Thread(target=self._run, name="live-alert-feed", daemon=True)
            self._thread.start()

    def subscribe(self) -> Listener:
        self.start()
        listener = Listener()
        with self._lock:
            if self._closed.is_set():
                raise FeedClosed("the live feed is shut down")
            self._listeners.add(listener)
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def close(self) -> None:
        """End every stream (each receives CLOSED and finishes its response) and stop reading."""
        with self._lock:
            self._closed.set()
            listeners = list(self._listeners)
            self._listeners.clear()
        for listener in listeners:
            listener.put(CLOSED)
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _on_message(self, message: dict[str, Any]) -> None:
        self._wake.set()  # the bus's thread: hand over, read in ours

    def _on_state(self, state: str) -> None:
        self._send(("status", state))
        if state == UP:
            self._wake.set()  # what was published while it was down is in the store

    def _send(self, item: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.put(item)

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._down_poll_s if self.bus.state == DOWN else self._backstop_s)
            self._wake.clear()
            if self._closed.is_set():
                return
            try:
                self.read_new()
            except SQLAlchemyError as exc:
                if not self._failing:
                    log.warning("live feed: cannot read alert events (%s); retrying", exc)
                    self._failing = True
            else:
                if self._failing:
                    log.info("live feed: reading alert events again")
                    self._failing = False

    def read_new(self) -> int:
        """Read the events after the cursor (and the numbers still missing below it) and hand
        them to every stream; the number read. The feed's thread calls it; tests may too."""
        with self._read_lock:
            return self._read_new()

    def _read_new(self) -> int:
        count = 0
        while True:
            now = time.monotonic()
            self._holes = {seq: t for seq, t in self._holes.items() if now - t < self._hole_ttl_s}
            with self._engine.connect() as connection:
                events = events_after(connection, self._cursor, also=self._holes.keys(), limit=READ_LIMIT)
            for event in events:
                seq = event["seq"]
                kind = "alert"
                if seq in self._holes:
                    del self._holes[seq]
                    kind = LATE  # committed after later numbers: new to every browser
                elif seq > self._cursor:
                    missing = range(max(self._cursor + 1, seq - MAX_HOLES), seq)
                    self._holes.update(dict.fromkeys(missing, now))
                    self._cursor = seq
                self._send((kind, event))
            count += len(events)
            if len(events) < READ_LIMIT:
                return count


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _data(payload: dict[str, Any]) -> str:
    return json.dumps(payload, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def alert_message(event: dict[str, Any]) -> str:
    """One event as a server-sent event: `id: <seq>`, `event: alert`, its JSON on one line."""
    return f"id: {event['seq']}\nevent: alert\ndata: {_data(event)}\n\n"


def status_message(state: str) -> str:
    return f"event: status\ndata: {_data({'bus': state})}\n\n"


def reset_message(seq: int) -> str:
    """Too much was missed to send it all (or the store is not the one the browser knew): the
    page redraws from the store; the stream goes on after `seq`."""
    return f"id: {seq}\nevent: reset\ndata: {_data({'seq': seq})}\n\n"


def refused_message(reason: str) -> str:
    """The stream's authority is gone (an embed token revoked or expired): the page stops."""
    return f"event: refused\ndata: {_data({'reason': reason})}\n\n"


def stream(
    feed: AlertFeed,
    engine: Engine,
    scope: Scope,
    last_seq: int | None,
    *,
    heartbeat_s: float = 15.0,
    retry_ms: int = 2000,
    lifetime_s: float = 600.0,
    catch_up_max: int = 2000,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    recheck: Callable[[], str | None] | None = None,
    recheck_s: float = 5.0,
) -> Iterator[str]:
    """The text of one browser's event stream (see the module's docstring). `last_seq` None:
    from now on only. Ends after `lifetime_s` (the browser reconnects at once with its
    Last-Event-ID, and the guard checks its session again) or when the feed closes. Raises
    FeedClosed at the first item when the feed is shut down. `shape`: what of an event is sent
    (an embedded panel's stream sends less than a signed-in page's). `recheck`: asked every
    `recheck_s` whether the stream may go on; a reason (not None) ends it with a `refused`
    message, so a revoked embed token stops its open stream within seconds, not at the end of
    `lifetime_s`."""
    shaped = (lambda event: alert_message(shape(event))) if shape else alert_message
    listener = feed.subscribe()  # first: nothing committed from here on can be missed
    try:
        yield f"retry: {retry_ms}\n\n"
        yield status_message(feed.state)
        sent: set[int] = set()
        floor = last_seq if last_seq is not None else 0
        if last_seq is not None:
            with engine.connect() as connection:  # returned before the first wait
                newest = newest_seq(connection)
                events = (
                    []
                    if last_seq > newest
                    else events_after(
                        connection,
                        last_seq,
                        department=scope.department,
                        whole_park=scope.whole_park,
                        limit=catch_up_max + 1,
                    )
                )
            if last_seq > newest or len(events) > catch_up_max:
                yield reset_message(newest)
                floor = newest
            else:
                for event in events:
                    sent.add(event["seq"])
                    yield shaped(event)
        deadline = time.monotonic() + lifetime_s
        next_check = time.monotonic() + recheck_s if recheck else float("inf")
        next_beat = time.monotonic() + heartbeat_s
        while (now := time.monotonic()) < deadline:
            item = listener.get(max(0.0, min(deadline, next_check, next_beat) - now))
            if recheck is not None and time.monotonic() >= next_check:
                if (reason := recheck()) is not None:
                    yield refused_message(reason)
                    return
                next_check = time.monotonic() + recheck_s
            if item is None:
                if time.monotonic() >= next_beat:  # a comment: proxies see traffic, a gone browser is noticed
                    next_beat = time.monotonic() + heartbeat_s
                    yield ": keep-alive\n\n"
                continue
            next_beat = time.monotonic() + heartbeat_s
            if item == CLOSED:
                return
            kind, payload = item
            if kind == "status":
                yield status_message(payload)
                continue
            seq = payload["seq"]
            if seq in sent:  # read from the store already
                sent.discard(seq)
                continue
            if (seq <= floor and kind != LATE) or not (
                scope.whole_park or payload["alert"]["department"] == scope.department
            ):
                continue
            yield shaped(payload)
    finally:
        feed.unsubscribe(listener)
