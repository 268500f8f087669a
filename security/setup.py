"""Wire the security layer into the app: state, sessions, the guard, headers, the sign-in
pages, error responses, and the users a profile starts with."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, SettingsError
from locales import best_language
from security import users
from security.guard import ensure_csrf_cookie, guard
from security.headers import add_headers
from security.secret import session_secret
from security.session import TOKEN_PATHS, init_sessions
from security.throttle import FailedSignIns, ReportLimit
from security.views import blueprint, plain_page
from security.wall_sessions import blueprint as wall_blueprint
from security.wall_sessions import keep_wall_cookie
from security.web_context import KEY, SecurityState, current_principal, state

log = logging.getLogger(__name__)
MESSAGES = {
    400: "bad request",
    401: "unauthorised",
    403: "forbidden",
    404: "not found",
    429: "too many requests",
    503: "service unavailable",
}
# The store does not answer: down, restarting, its connections dropped, its pool exhausted
STORE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
STORE_RETRY_AFTER_S = 5


def check_users(settings: Settings, engine: Engine) -> None:
    """The embedded profile gets one demo user per role on its first start; the production
    profile refuses to start while the store holds a demo user (no password, one-click sign-in)."""
    if settings.profile == "embedded":
        made = users.ensure_demo_users(engine)
        if made:
            log.info("created %d demo users (one per role); the sign-in page offers them", made)
        return
    demo = [row["username"] for row in users.demo_users(engine)]
    if demo:
        raise SettingsError(
            f"profile: production refuses to start while the store holds demo users without passwords "
            f"({', '.join(demo)}); disable them with `flask --app app users disable NAME`"
        )


def init_security(server: Flask, dash_app: object, settings: Settings, engine: Engine) -> None:
    check_users(settings, engine)
    server.config["SECRET_KEY"] = session_secret(settings)
    if settings.proxy_count:
        n = settings.proxy_count
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    server.extensions[KEY] = SecurityState(
        settings=settings,
        engine=engine,
        dash_app=dash_app,
        failed_sign_ins=FailedSignIns(settings),
        report_limit=ReportLimit(settings),
    )
    init_sessions(server, settings)
    server.register_blueprint(blueprint)
    server.register_blueprint(wall_blueprint)
    server.before_request(guard)
    server.after_request(ensure_csrf_cookie)
    server.after_request(keep_wall_cookie)
    server.after_request(add_headers)
    server.register_error_handler(HTTPException, _error_response)
    for error in STORE_UNAVAILABLE:
        server.register_error_handler(error, _store_unavailable)


# SQLite's result codes for a store that cannot answer now (busy, locked, its file gone or
# unwritable); its other OperationalErrors ("no such table", a syntax error) are bugs: 500
SQLITE_UNAVAILABLE = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY"}
)
# PostgreSQL's SQLSTATE classes for the same: connection exception, operator intervention
# (shutdown, cancelled), insufficient resources
PG_UNAVAILABLE = ("08", "57", "53")


def store_unavailable(error: Exception) -> bool:
    """Whether `error` says the store cannot answer now (rather than a bug in a query)."""
    if isinstance(error, (InterfaceError, PoolTimeout)) or getattr(error, "connection_invalidated", False):
        return True
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlite_errorname", None) is not None:
        # extended codes carry a suffix: SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT
        return any(orig.sqlite_errorname.startswith(code) for code in SQLITE_UNAVAILABLE)
    state = getattr(orig, "sqlstate", None)
    if state is None:  # psycopg: no SQLSTATE when the connection could not be made at all
        return orig is not None and type(orig).__module__.startswith("psycopg")
    return str(state).startswith(PG_UNAVAILABLE)


def _store_unavailable(error: Exception):
    """A request the store could not answer is 503 with Retry-After, not 500: the pool connects
    again by itself once the store is back (pre-ping), so the client should simply retry. One
    warning line, no traceback (an outage would otherwise flood the log with them). An error
    of the query itself stays a 500 with its traceback."""
    if not store_unavailable(error):
        raise error
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
    log.warning("store unavailable for %s %s: %s", request.method, request.path, reason)
    unavailable = ServiceUnavailable(
        "the store does not answer; try again in a few seconds", retry_after=STORE_RETRY_AFTER_S
    )
    response = current_app.make_response(current_app.handle_http_exception(unavailable))
    response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
    return response


def _error_response(error: HTTPException):
    """JSON for scripts (Dash callbacks, the API), a translated page for people."""
    status = error.code or 500
    if request.path.startswith(("/_dash-", "/embed/_dash-", "/embed/_live/", *TOKEN_PATHS)):
        response = jsonify(error=MESSAGES.get(status, "error"), message=error.description)
        return response, status
    if status != 403:
        return error
    lang = best_language(request.accept_languages, state().settings.default_language)
    return plain_page("forbidden.html", lang, 403, name=current_principal().display_name)
