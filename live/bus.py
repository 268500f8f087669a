"""The bus live messages travel on: `publish(channel, message)` from whoever changed something,
`subscribe(channel, on_message)` for whoever tells the browsers.

  LocalBus  in-process (the embedded profile without Redis): a publish calls the channel's
            subscribers in the publisher's thread, so they must be quick (hand over, not work).
  RedisBus  Redis pub/sub (whenever redis_url is set, as the cache): every process's
            subscribers receive every process's messages, so each gunicorn worker's streams
            see every alert. Channels are named onescreen:<store_key>:<channel>, so two
            deployments on one Redis never hear each other. One listener thread per bus reads
            all of this deployment's channels (a pattern subscription); publishing borrows a
            connection from one module-level pool per URL (a client per call cut throughput to a
            third, FIELD_NOTES.md).

Pub/sub keeps no backlog: a message published while Redis is down, or while a listener is
reconnecting, is lost. So the bus has a state, "up" or "down", which subscribers are told of
(`on_state`), and a subscriber that hears "up" again reads what it missed from the store (the
alert events' sequence numbers make that exact). The listener logs one line when Redis goes
down and one when it is back; a publish that fails returns False and is logged once per outage."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)

UP, DOWN = "up", "down"
OnMessage = Callable[[dict[str, Any]], None]
OnState = Callable[[str], None]

_pools: dict[str, redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


def redis_pool(url: str) -> redis.ConnectionPool:
    """The process's one connection pool for `url` (made on first use)."""
    with _pools_lock:
        if url not in _pools:
            _pools[url] = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return _pools[url]


class Bus(Protocol):
    state: str

    def publish(self, channel: str, message: dict[str, Any]) -> bool: ...
    def subscribe(
        self, channel: str, on_message: OnMessage, on_state: OnState | None = None
    ) -> Callable[[], None]: ...
    def close(self) -> None: ...


class _Subscribers:
    """Who listens to which channel; callbacks are called outside the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, list[OnMessage]] = defaultdict(list)
        self._state_listeners: list[OnState] = []

    def add(self, channel: str, on_message: OnMessage, on_state: OnState | None) -> Callable[[], None]:
        with self._lock:
            self._by_channel[channel].append(on_message)
            if on_state is not None:
                self._state_listeners.append(on_state)

        def unsubscribe() -> None:
            with self._lock:
                if on_message in self._by_channel[channel]:
                    self._by_channel[channel].remove(on_message)
                if on_state in self._state_listeners:
                    self._state_listeners.remove(on_state)

        return unsubscribe

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._by_channel.get(channel, ()))
        for listener in listeners:
            try:
                listener(dict(message))  # each its own (shallow) copy: messages are flat
            except Exception:  # one broken subscriber must not silence the others
                log.exception("a subscriber of bus channel %r failed", channel)

    def tell_state(self, state: str) -> None:
        with self._lock:
            listeners = list(self._state_listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:
                log.exception("a bus state listener failed")


class LocalBus:
    """Publish and subscribe within this process. Always up."""

    state = UP

    def __init__(self) -> None:
        self._subscribers = _Subscribers()

    def publish(self, channel: str, message: dict[str, Any]) -> bool:
        self._subscribers.deliver(channel, message)
        return True

    def subscribe(
        self, channel: str, on_message: OnMessage, on_state: OnState | None = None
    ) -> Callable[[], None]:
        return self._subscribers.add(channel, on_message, on_state)

    def close(self) -> None:
        pass


class RedisBus:
    """Redis pub/sub under `prefix` (e.g. "onescreen:<store_key>:"). The listener thread starts
    with the first subscription; `close()` stops it."""

    def __init__(self, url: str, prefix: str, *, retry_max_s: float = 5.0) -> None:
        self.url = url
        self.prefix = prefix
        self.state = UP
        self._client = redis.Redis(connection_pool=redis_pool(url))
        self._subscribers = _Subscribers()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._retry_max_s = retry_max_s
        self.listening = threading.Event()  # set while the listener's subscription stands
        self._publish_failing = False

    def publish(self, channel: str, message: dict[str, Any]) -> bool:
        """Send `message` (JSON-able) to every process's subscribers of `channel`. False when
        Redis cannot be reached (the caller's change is in the store: clients catch up)."""
        try:
            self._client.publish(self.prefix + channel, json.dumps(message, separators=(",", ":")))
        except redis.RedisError as exc:
            if not self._publish_failing:
                log.warning(
                    "live bus: cannot publish to Redis (%s); clients catch up from the store later", exc
                )
                self._publish_failing = True
            return False
        if self._publish_failing:
            log.info("live bus: publishing to Redis again")
            self._publish_failing = False
        return True

    def subscribe(
        self, channel: str, on_message: OnMessage, on_state: OnState | None = None
    ) -> Callable[[], None]:
        unsubscribe = self._subscribers.add(channel, on_message, on_state)
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="live-bus", daemon=True)
                self._thread.start()
        return unsubscribe

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _set_state(self, state: str, reason: object = None) -> None:
        if state == self.state:
            return
        self.state = state
        if state == DOWN:
            log.warning("live bus: Redis at %s is down (%s); live pages say so and catch up when it is back",
                        _safe(self.url), reason)  # fmt: skip
        else:
            log.info("live bus: Redis at %s is back; live pages catch up from the store", _safe(self.url))
        self._subscribers.tell_state(state)

    def _listen(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            pubsub = self._client.pubsub()
            try:
                pubsub.psubscribe(self.prefix + "*")
                while not self._stop.is_set():
                    item = pubsub.get_message(timeout=1.0)
                    if item is None:
                        continue
                    if item.get("type") == "psubscribe":  # Redis confirms: from here nothing is missed
                        self.listening.set()
                        self._set_state(UP)
                        delay = 0.2
                    elif item.get("type") == "pmessage":
                        self._dispatch(item)
            except (redis.RedisError, OSError) as exc:
                self.listening.clear()
                self._set_state(DOWN, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max_s)
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    pubsub.close()

    def _dispatch(self, item: dict[str, Any]) -> None:
        channel = item.get("channel")
        data = item.get("data")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not isinstance(channel, str) or not channel.startswith(self.prefix):
            return
        try:
            message = json.loads(data if isinstance(data, str | bytes) else "")
        except ValueError:
            log.warning("live bus: ignored a message on %s that is not JSON", channel)
            return
        if not isinstance(message, dict):
            log.warning("live bus: ignored a message on %s that is not a JSON object", channel)
            return
        self._subscribers.deliver(channel[len(self.prefix) :], message)


def _safe(url: str) -> str:
    """The URL without its password, for the log."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def make_bus(redis_url: str | None, prefix: str) -> LocalBus | RedisBus:
    """Redis pub/sub when a Redis URL is configured (production, or embedded with Redis), else
    the in-process bus."""
    return RedisBus(redis_url, prefix) if redis_url else LocalBus()
