"""Sessions: Flask-Login on Flask's signed cookie, the bearer tokens of other portals, the
anonymous role, an absolute session lifetime and cookies that are Secure over HTTPS."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, login_user, logout_user

from config.settings import Settings
from security import tokens, users
from security.principal import Principal, anonymous
from security.roles import Role
from security.web_context import state

SESSION_COOKIE = "onescreen_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads and returns as X-CSRFToken
CSRF_HEADER = "X-CSRFToken"
TOKEN_PATHS = ("/api/", "/open311/")  # where a bearer token is accepted (not on screens)
# API reads that are screen data (a wall's map panel fetches its layers here): a GET without a
# token may also come from a wall's screen (its cookie) or the anonymous role, as the screens do
SCREEN_READS = ("/api/v1/map/layers",)
SAFE = frozenset({"GET", "HEAD"})


def screen_read(req: Request) -> bool:
    """A GET of screen data without a token (the path itself or below it, never a sibling such
    as a later /api/v1/map/layers-export)."""
    path = req.path
    below = any(path == prefix or path.startswith(prefix + "/") for prefix in SCREEN_READS)
    return req.method in SAFE and below and bearer_token(req) is None


API_KEY_PATHS = ("/open311/v2/requests.",)  # where GeoReport's api_key form field is read too
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS (directly
    or, with the proxy_count setting, through a reverse proxy), without a setting to forget."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_sessions(server: Flask, settings: Settings) -> LoginManager:
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=settings.session_hours * 3600,
    )
    manager = LoginManager()
    manager.init_app(server)
    anonymous_role = Role(settings.anonymous_role) if settings.anonymous_role else None
    manager.anonymous_user = lambda: anonymous(anonymous_role)

    @manager.user_loader
    def _load(user_id: str) -> Principal | None:
        return users.load_session_user(state().engine, user_id)

    @manager.request_loader
    def _bearer(req: Request) -> Principal | None:
        if not req.path.startswith(TOKEN_PATHS) or screen_read(req):
            from security.wall_sessions import wall_principal  # imports the guard, which imports this

            return wall_principal(req)  # a wall's screen (its cookie), never a bearer token
        token = bearer_token(req)
        if token is None:
            return None
        return tokens.resolve(state().engine, token, now=datetime.now(UTC), ip=req.remote_addr)

    return manager


def bearer_token(req: Request) -> str | None:
    """The API token a request carries: `Authorization: Bearer …`, or, for a service request
    posted to Open311, GeoReport's `api_key` form field (the specification's way; a citizen app
    cannot always set headers). Never a query parameter: URLs end up in logs."""
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if req.method == "POST" and req.path.startswith(API_KEY_PATHS) and req.mimetype in FORM_TYPES:
        return req.form.get("api_key", "").strip() or None
    return None


def start_session(principal: Principal) -> None:
    """Log the principal in: a fresh session (no fixation), its own CSRF token, its start time."""
    session.clear()
    login_user(principal)
    session.permanent = True
    session["login_at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def end_session() -> None:
    logout_user()
    session.clear()


def session_expired(now: float | None = None) -> bool:
    """True when the session is older than the session_hours setting. Checked on every request:
    a screen that polls keeps a sliding timeout alive forever, an absolute one still ends."""
    login_at = session.get("login_at")
    if not isinstance(login_at, int):
        return True
    return (now or time.time()) - login_at > state().settings.session_hours * 3600


def csrf_matches(sent: object) -> bool:
    """Whether `sent` is this session's CSRF token (compared in constant time)."""
    expected = session.get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str):
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def csrf_token() -> str:
    """This session's CSRF token (made on first use, e.g. for the login form)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token
