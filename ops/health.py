"""/healthz and /readyz for a load balancer or an orchestrator (no sign-in, never cached).

/healthz (liveness): the process answers; it reads nothing. 200 {"status": "ok"}.
/readyz (readiness): 200 when the store answers a trivial query and, when one is configured
(the production profile), Redis answers a PING; else 503. The body names each dependency's
state and, when it is not ready, the reason, and lists every configured source's state as the
Sources page knows it (services/sources.py, services/feed_status.py). A source that is down
does not make the process unready: its panels say "stale" and the rest of the screen still
serves, whereas taking every worker out of the balancer would show nothing at all.

Each dependency is checked in its own thread and waited for at most CHECK_TIMEOUT_S (a host
that drops packets would hold a probe for minutes); an answer is reused for FRESH_S, so several
balancers probing every second cost one query a second per process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from ops.bounded import BoundedCall
from services.context import get_services
from services.feed_status import FeedStatus, feed_statuses
from store.models import Meta

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
CHECK_TIMEOUT_S = 2.0
FRESH_S = 1.0
REASON_MAX = 300  # a driver's message can hold a whole query: enough to say what is wrong
PROBE_KEY = "onescreen.readiness"

blueprint = Blueprint("ops_health", __name__)


@dataclass(frozen=True)
class Dependency:
    name: str
    ready: bool
    reason: str | None = None

    def as_body(self) -> dict[str, str]:
        return {"state": "ok"} if self.ready else {"state": "down", "reason": self.reason or "unknown"}


@dataclass(frozen=True)
class StoreAnswer:
    """The store's check, and the sources' states read from it on the way."""

    dependency: Dependency
    sources: list[dict[str, Any]] = field(default_factory=list)


def _short(error: BaseException | str) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:REASON_MAX]


def _missing_sqlite_file(engine: Engine) -> str | None:
    """An SQLite store whose file is gone. Checked before connecting: SQLite would create an
    empty file in its place, which a later start would take for a new store."""
    url = make_url(str(engine.url))
    database = url.database
    if (
        url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    return None if Path(database).exists() else f"the store's file {database} is missing"


def check_store(engine: Engine) -> Dependency:
    """Whether the store answers a trivial query on its own meta table (blocks: run bounded)."""
    missing = _missing_sqlite_file(engine)
    if missing:
        return Dependency("store", False, missing)
    try:
        with engine.connect() as connection:
            connection.execute(select(Meta.key).limit(1)).all()
    except SQLAlchemyError as exc:
        return Dependency("store", False, _short(getattr(exc, "orig", None) or exc))  # the driver's words
    return Dependency("store", True)


def check_redis(client: redis.Redis) -> Dependency:
    try:
        client.ping()
    except redis.RedisError as exc:
        return Dependency("redis", False, _short(exc))
    return Dependency("redis", True)


def _seconds(value: Any) -> float | None:
    return round(value.total_seconds(), 1) if value is not None else None


def _feed(status: FeedStatus) -> dict[str, Any]:
    return {"state": status.state, "reason": status.reason, "lag_s": _seconds(status.lag)}


def source_states() -> list[dict[str, Any]]:
    """Each configured source's state as the Sources page shows it: its health (ok, degraded,
    down, unknown until first read) with its last error, and a feed's own state and reason
    (services/feed_status.py). Reads the store."""
    services = get_services()
    feeds = {status.source: status for status in feed_statuses()}
    states = []
    for health in services.sources.health():
        entry: dict[str, Any] = {"source": health.source, "adapter": health.adapter, "state": health.status}
        if health.status != "ok" and health.last_error:
            entry["reason"] = _short(health.last_error)
        if health.last_success is not None:
            entry["last_success"] = health.last_success.isoformat()
        if health.source in feeds:
            entry["feed"] = _feed(feeds[health.source])
        states.append(entry)
    return states


class ReadinessProbe:
    """The app's readiness, checked at most once per FRESH_S (thread-safe)."""

    def __init__(self, server: Flask, settings: Settings, *, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self._server = server
        self._engine: Engine = server.extensions["onescreen"].engine
        # no retries: redis-py retries a refused connection with back-off for seconds by default,
        # and a probe must say "down" at once
        self._redis = (
            redis.Redis.from_url(
                settings.redis_url,
                socket_connect_timeout=timeout_s,
                socket_timeout=timeout_s,
                retry=Retry(NoBackoff(), 0),
            )
            if settings.redis_url
            else None
        )
        self._store = BoundedCall(self._store_and_sources, timeout_s, "readyz-store")
        self._redis_call = (
            BoundedCall(partial(check_redis, self._redis), timeout_s, "readyz-redis") if self._redis else None
        )
        self._lock = threading.Lock()
        self._answer: tuple[float, bool, dict[str, Any]] | None = None

    def _store_and_sources(self) -> StoreAnswer:
        store = check_store(self._engine)
        if not store.ready:
            return StoreAnswer(store)
        with self._server.app_context():
            try:
                return StoreAnswer(store, source_states())
            except SQLAlchemyError as exc:  # the store went away between the two reads
                return StoreAnswer(Dependency("store", False, _short(exc)))

    def _bounded(self, call: BoundedCall, name: str) -> Any:
        try:
            return call.call()
        except TimeoutError:
            return Dependency(name, False, f"no answer within {call.timeout_s:g} s")

    def answer(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the body /readyz answers)."""
        with self._lock:
            if self._answer is not None and time.monotonic() - self._answer[0] < FRESH_S:
                return self._answer[1], self._answer[2]
        checked = self._bounded(self._store, "store")
        store, sources = (
            (checked.dependency, checked.sources) if isinstance(checked, StoreAnswer) else (checked, [])
        )
        dependencies = [store]
        if self._redis_call is not None:
            dependencies.append(self._bounded(self._redis_call, "redis"))
        ready = all(d.ready for d in dependencies)
        body = {
            "status": "ready" if ready else "not ready",
            "dependencies": {d.name: d.as_body() for d in dependencies},
            "sources": sources if store.ready else "unknown: the store does not answer",
        }
        with self._lock:
            self._answer = (time.monotonic(), ready, body)
        return ready, body


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get(HEALTH_PATH)
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


def _states_only(body: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read: ready or not, and each dependency's state without the driver's
    words (hosts, users, authentication failures) or the sources' names and errors, which only
    operators (ops.metrics.operator_request) and the Sources page's readers see."""
    return {
        "status": body["status"],
        "dependencies": {name: {"state": d["state"]} for name, d in body["dependencies"].items()},
    }


@blueprint.get(READY_PATH)
def readyz() -> Response:
    from ops.metrics import operator_request  # ops.metrics is registered beside this module

    ready, body = current_app.extensions[PROBE_KEY].answer()
    response = jsonify(body if operator_request() else _states_only(body))
    response.status_code = 200 if ready else 503
    return _no_store(response)


def init_health(server: Flask, settings: Settings) -> None:
    server.extensions[PROBE_KEY] = ReadinessProbe(server, settings)
    server.register_blueprint(blueprint)
