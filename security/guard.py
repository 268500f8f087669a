"""Deny by default: one before_request hook decides, for every request, whether it may go on.

  public           /assets/ (CSS, fonts, scripts: no data), /login, /logout, /_build, /wall-signin,
                   /healthz, /readyz, /metrics (ops/: probes; /metrics checks its own access)
  /api/, /open311/ anonymous without a role: 401 JSON; each view checks its permission (requires);
                   the screen data a wall reads (map layers) also for a wall's cookie or the anonymous role
  /live/           event streams (live/stream.py): anonymous without a role: 401 JSON; the
                   view must declare a permission (requires), like an API view
  /_dash-*         anonymous without a role: 401 JSON (the page's script sends the browser to
                   the login page); a callback is allowed only when its function declares a
                   permission the principal has (requires); the pages router checks the page's
  anything else    a page: anonymous without a role is sent to /login?next=…; a page whose
                   permission the principal lacks answers 403

Unsafe methods of a browser session must carry the session's CSRF token (X-CSRFToken, sent
by Dash's renderer from the _csrf_token cookie). Denials are audited."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from dash._pages import _path_to_page  # Dash's own path → page matcher
from flask import Response, abort, current_app, jsonify, redirect, request, session

from security.principal import Principal
from security.roles import Permission
from security.session import (
    CSRF_HEADER,
    TOKEN_PATHS,
    bearer_token,
    csrf_matches,
    csrf_token,
    end_session,
    screen_read,
    session_expired,
)
from security.web_context import audit_request, current_principal, state

log = logging.getLogger(__name__)

# /_build: the deployment's id (services/build_id.py), asked by pages that may be signed out;
# /wall-signin: what a wall whose sign-in ended shows (security/wall_sessions.py)
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/login/demo",
        "/logout",
        "/favicon.ico",
        "/_favicon.ico",
        "/_build",
        "/wall-signin",
        "/wall-signin/status",
        "/healthz",  # ops/health.py: a load balancer's probes, no session
        "/readyz",
        "/metrics",  # ops/metrics.py: allowed networks or an API token, checked by the view
    }
)
PUBLIC_PREFIXES = ("/assets/",)
ANYONE = "anyone"  # a callback any principal who may enter can call (pure presentation)
PERMISSION_ATTR = "_onescreen_permission"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROUTER_OUTPUT = "_pages_content.children"
EMBED_PREFIX = "/embed/"  # components/embed_app.py: one panel for another portal's iframe
STREAM_PATHS = ("/live/",)  # server-sent events: a session (or the anonymous role), never a token


def requires(permission: Permission | str | tuple[Permission, ...]) -> Callable:
    """Declare (and check) what a callback or API view needs (a tuple: any one of those
    permissions). Put it directly above the
    function, under @callback / @blueprint.route, so that the function Dash or Flask keeps
    carries the declaration: a callback without one is refused for everybody."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not permitted(current_principal(), permission):
                deny(f"{fn.__module__}.{fn.__name__}")
            return fn(*args, **kwargs)

        setattr(checked, PERMISSION_ATTR, permission)
        return checked

    return decorate


def permitted(principal: Principal, permission: Permission | str | tuple[Permission, ...] | None) -> bool:
    """Whether `principal` holds `permission` (a tuple: any one of them)."""
    if permission is None or not principal.may_enter:
        return False
    if isinstance(permission, tuple):
        return any(principal.can(p) for p in permission)
    return permission == ANYONE or principal.can(Permission(permission))


def deny(target: str, status: int = 403) -> None:
    audit_request("access.denied", outcome="denied", target=target[:200])
    abort(status)


def page_for(path: str) -> dict | None:
    """The registered page Dash Pages draws for `path`, found the way Dash finds it (its own
    matcher: a check that matched templates differently could pass one page and draw another)."""
    page, _variables = _path_to_page(path.strip("/"))
    return page or None


def page_allowed(principal: Principal, path: str) -> bool:
    page = page_for(path)
    if page is None:  # the translated 404 page
        return principal.may_enter
    return permitted(principal, page.get("permission"))


def _unauthorised() -> Response:
    response = jsonify(error="unauthorised", message="sign in, or send a valid API token")
    response.status_code = 401
    if request.path.startswith(TOKEN_PATHS):
        response.headers["WWW-Authenticate"] = 'Bearer realm="onescreen"'
    return response


def _to_login(expired: bool = False) -> Response:
    target = request.full_path if request.query_string else request.path
    if request.path.startswith("/wall/"):  # no one stands at a wall to fill in a form: say what to do
        return redirect(f"/wall-signin?next={quote(target, safe='')}")
    return redirect(f"/login?{'expired=1&' if expired else ''}next={quote(target, safe='')}")


def _csrf_ok() -> bool:
    return csrf_matches(request.headers.get(CSRF_HEADER) or request.form.get("csrf", ""))


def _callback_permission(body: Any) -> tuple[Permission | str | None, str]:
    """The permission the requested callback declares, and its name (for the audit log)."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return None, "malformed callback request"
    output = body["output"]
    entry = state().dash_app.callback_map.get(output)
    if entry is None:
        return None, f"unknown callback {output[:120]}"
    return getattr(entry.get("callback"), PERMISSION_ATTR, None), f"callback {output[:150]}"


def _items_well_formed(items: list) -> bool:
    """Each input or state is an {"id", "property"} object, or (a pattern-matching one) a list of
    them: Dash reads every item's id and raises on anything else."""
    return all(
        (isinstance(item, dict) and "id" in item)
        or (isinstance(item, list) and all(isinstance(i, dict) and "id" in i for i in item))
        for item in items
    )


def _well_formed(body: Any) -> bool:
    """The shape Dash's dispatcher reads without raising (else it answers 500)."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("output"), str)
        and isinstance(body.get("inputs", []), list)
        and isinstance(body.get("state", []), list)
        and isinstance(body.get("changedPropIds", []), list)
        and _items_well_formed(body.get("inputs", []))
        and _items_well_formed(body.get("state", []))
    )


def _counts_match(body: dict) -> bool:
    """Whether the request names as many inputs and states as its callback declares: Dash hands
    them to the callback by position and raises on too few (a 500, a stack trace in the log)."""
    entry = state().dash_app.callback_map.get(body["output"])
    if not isinstance(entry, dict):
        return True  # an unknown callback is refused by its permission
    return len(body.get("inputs", [])) == len(entry.get("inputs", [])) and len(body.get("state", [])) == len(
        entry.get("state", [])
    )


def _view_permission() -> Permission | str | None:
    """What the requested Flask view declares (following decorators' __wrapped__ chain)."""
    view = current_app.view_functions.get(request.endpoint or "")
    while view is not None:
        declared = getattr(view, PERMISSION_ATTR, None)
        if declared is not None:
            return declared
        view = getattr(view, "__wrapped__", None)
    return None


def _router_path(body: dict) -> str | None:
    """The pathname the pages router will draw, or None for a request that is not the router's.
    Dash hands a callback its input values by position, whatever ids the request names, so the
    value is read at the position the router declares its pathname input (a request naming the
    pathname elsewhere would have the page check read one path and the router draw another)."""
    output = body.get("output")
    entry = state().dash_app.callback_map.get(output) if isinstance(output, str) else None
    declared = entry.get("inputs", []) if isinstance(entry, dict) else []
    inputs = body.get("inputs")
    for index, spec in enumerate(declared):
        if spec.get("id") == "_pages_location" and spec.get("property") == "pathname":
            item = inputs[index] if isinstance(inputs, list) and index < len(inputs) else None
            if not (
                isinstance(item, dict)
                and item.get("id") == "_pages_location"
                and item.get("property") == "pathname"
            ):
                return None
            value = item.get("value")
            return value if isinstance(value, str) else "/"
    return None


def guard() -> Response | tuple[str, int] | None:
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    if path.startswith(EMBED_PREFIX):  # an embedded panel: its token decides, not a session
        from security.embed_guard import embed_guard

        return embed_guard()
    bearer = bearer_token(request) is not None and path.startswith(TOKEN_PATHS)
    principal = current_principal()
    if bearer and not principal.is_authenticated:
        return _unauthorised()
    expired = principal.kind == "user" and session_expired()
    if expired:
        audit_request("session.expired", target=path[:200])
        end_session()  # Flask-Login reloads the user: anonymous from here on
        principal = current_principal()
    if principal.kind == "user" and request.method in UNSAFE and not _csrf_ok():
        deny(f"csrf {path}"[:200])
    if path.startswith(TOKEN_PATHS):
        # records and exports need a session or a token: the anonymous role is for screens only,
        # and so is a wall's cookie (the screen data they read here: session.SCREEN_READS)
        if not principal.is_authenticated and not (screen_read(request) and principal.may_enter):
            return _unauthorised()
        if _view_permission() is None:  # deny by default: a view that declares nothing is refused
            log.warning("refused %s: its view declares no permission (security.guard.requires)", path)
            deny(f"undeclared {path}"[:200])
        return None
    if path.startswith(STREAM_PATHS):
        if not principal.may_enter:
            return _unauthorised()
        if _view_permission() is None:
            log.warning("refused %s: its view declares no permission (security.guard.requires)", path)
            deny(f"undeclared {path}"[:200])
        return None
    if path.startswith("/_dash-"):
        if not principal.may_enter:
            return _unauthorised()
        if path == "/_dash-update-component":
            if request.method != "POST":  # Dash's route would answer a GET; the renderer never sends one
                abort(405)
            body = request.get_json(silent=True)
            if not _well_formed(body):
                abort(400, description="malformed callback request")
            permission, name = _callback_permission(body)
            if isinstance(body, dict) and ROUTER_OUTPUT in str(body.get("output")):
                target = _router_path(body)
                if target is None:
                    deny("malformed pages router request")
                elif not page_allowed(principal, target):
                    deny(f"page {target}")
            elif not permitted(principal, permission):
                if permission is None:
                    log.warning("refused %s: it declares no permission (security.guard.requires)", name)
                deny(name)
            if not _counts_match(body):
                abort(
                    400,
                    description="the callback request's inputs or states are not those its callback declares",
                )
        return None
    if not principal.may_enter:
        return _to_login(expired)
    if not page_allowed(principal, path):
        deny(f"page {path}")
    return None


def ensure_csrf_cookie(response: Response) -> Response:
    """Give Dash's renderer the session's CSRF token to send back (after_request)."""
    if session.get("csrf") and request.cookies.get("_csrf_token") != session["csrf"]:
        response.set_cookie(
            "_csrf_token", csrf_token(), samesite="Lax", secure=request.is_secure, httponly=False, path="/"
        )
    return response
