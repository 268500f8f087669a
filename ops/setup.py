"""Wire the operations layer into the app: request ids, request metrics and access lines as
hooks around every request, /healthz, /readyz and /metrics. (ops/logs.configure_logging is for
serving processes only: app.main and gunicorn's master.)"""

from __future__ import annotations

import time

from dash import Dash
from flask import Flask, Response, g, request

from config.settings import Settings
from ops.health import init_health
from ops.logs import log_access
from ops.metrics import init_metrics, request_observed
from ops.request_id import HEADER, begin_request, end_request


def init_ops(dash_app: Dash, settings: Settings) -> None:
    server: Flask = dash_app.server
    callback_map = dash_app.callback_map
    access_lines = settings.log_format == "json"

    def begin() -> None:
        g.ops_started = time.perf_counter()
        begin_request(request.headers.get(HEADER))

    def finish(response: Response) -> Response:
        started = g.get("ops_started")
        if started is None:  # a request that failed before begin() (none known): not measured
            return response
        duration_s = time.perf_counter() - started
        request_observed(response, duration_s, callback_map)
        if access_lines:
            log_access(request.method, request.path, response.status_code, duration_s)
        response.headers[HEADER] = g.request_id
        return response

    # Flask runs before_request hooks in list order and after_request hooks in reverse: `begin`
    # goes first (the guard's refusals and log lines are timed and carry the request's id) and
    # `finish` runs last (it counts the status the other hooks settled, e.g. a missing page's 404).
    server.before_request_funcs.setdefault(None, []).insert(0, begin)
    server.after_request_funcs.setdefault(None, []).insert(0, finish)
    server.teardown_request(lambda _error: end_request())
    init_health(server, settings)
    init_metrics(server, settings, server.extensions["onescreen"].engine)
