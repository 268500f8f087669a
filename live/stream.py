"""GET /live/alerts: the alert events as server-sent events, for assets/45-live.js.

Each message is `id: <seq>` (an alert event's pk, services' sequence number), `event: alert` and
one JSON line: {"seq", "action", "at", "alert": {id, severity, state, rule, sensor_id, quantity,
value, threshold, raised_at, department, detail, version, owner, case_id}} (times ISO 8601 UTC).
Besides: `event: status` {"bus": "up"|"down"}; `event: reset` {"seq"} when the browser missed
too much (it redraws from the store); a comment line every 15 s; `retry: 2000` first.

Where to start: the Last-Event-ID header (the browser sends it itself when it reconnects), else
the query parameter `last` (a page's first connection: the newest sequence number it was drawn
with), else from now on. Authorised by the guard like every route (security/guard.py: the view
declares READ_RECORDS) and scoped: a department head receives only their department's alerts.

A stream holds a server thread while it is open (threaded workers: config/gunicorn.conf.py),
so a process serves at most `live_streams_max` at once; beyond that it answers 503 with
Retry-After and the page's script tries again later. `close_live(server)` ends every stream (a
worker shutting down), so no browser waits out the graceful timeout."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from config.settings import Settings
from live.alert_feed import AlertFeed, FeedClosed, stream
from live.bus import make_bus
from security.guard import requires
from security.roles import Permission
from security.scope import resolve_scope
from security.web_context import current_principal
from services.context import KEY, get_services

BUS_KEY = "onescreen.bus"  # services.alert_engine.announce publishes through it
FEED_KEY = "onescreen.alert_feed"
SLOTS_KEY = "onescreen.live_slots"
PATH = "/live/alerts"
LAST_PARAMETER = "last"
MAX_SEQ = 2**63 - 1

blueprint = Blueprint("live", __name__)


def init_live(server: Flask, settings: Settings) -> None:
    """The bus (registered as extensions["onescreen.bus"]), the process's alert feed (started
    with the first stream) and the streams' routes (this one, and embedded panels')."""
    bus = make_bus(settings.redis_url, f"onescreen:{settings.store_key}:")
    server.extensions[BUS_KEY] = bus
    server.extensions[FEED_KEY] = AlertFeed(server.extensions[KEY].engine, bus)
    server.extensions[SLOTS_KEY] = threading.BoundedSemaphore(settings.live_streams_max)
    server.register_blueprint(blueprint)
    from live.embed_stream import blueprint as embed  # late: it takes this module's names

    server.register_blueprint(embed)  # /embed/_live/<token>: an embedded panel's stream


def close_live(server: Flask) -> None:
    """End every open stream and stop the feed and the bus (the process is stopping)."""
    feed = server.extensions.get(FEED_KEY)
    if feed is not None:
        feed.close()
        feed.bus.close()


def last_seq(headers: Any, args: Any) -> int | None:
    """Where the browser stands: the Last-Event-ID header, else the `last` parameter; None when
    neither is given. Raises ValueError naming the one that is not a sequence number."""
    for name, value in (
        ("Last-Event-ID", headers.get("Last-Event-ID")),
        (LAST_PARAMETER, args.get(LAST_PARAMETER)),
    ):
        if value in (None, ""):
            continue
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEQ:
            raise ValueError(f"{name}: {value[:40]!r} is not a sequence number (a whole number from 0)")
        return int(value)
    return None


def refusal(status: int, error: str, message: str) -> Response:
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


@blueprint.get(PATH)
@requires(Permission.READ_RECORDS)
def alerts() -> Response:
    try:
        start = last_seq(request.headers, request.args)
    except ValueError as exc:
        return refusal(400, "bad_request", str(exc))
    scope = resolve_scope(current_principal(), None, what="live alerts")
    return serve_stream(lambda feed: stream(feed, get_services().engine, scope, start))


def serve_stream(body: Callable[[AlertFeed], Iterator[str]]) -> Response:
    """The event stream `body` writes from the process's feed, holding one of the process's
    places for streams while it is open; 503 when they are all taken or the server is stopping.
    (/live/alerts, and an embedded panel's, live/embed_stream.py.)"""
    slots: threading.BoundedSemaphore = current_app.extensions[SLOTS_KEY]
    if not slots.acquire(blocking=False):
        busy = refusal(503, "busy", "too many live streams on this server process; retry later")
        busy.headers["Retry-After"] = "10"
        return busy
    feed: AlertFeed = current_app.extensions[FEED_KEY]
    try:
        feed.start()
    except FeedClosed:
        slots.release()
        return refusal(503, "stopping", "the server is stopping; retry later")
    response = Response(body(feed), mimetype="text/event-stream")
    response.call_on_close(slots.release)  # also when the browser left before the first byte
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each message on at once
    return response
