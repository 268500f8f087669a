"""A wall's own sign-in: a screen that never expires in the middle of a shift, and never stalls.

A person's session ends `session_hours` after sign-in, however busy the screen (security/session.py);
a wall is left alone for days. Two ways keep one on: the `anonymous_role` setting (every visitor
sees the screens; nothing to do here), or a **wall token**: an ordinary API token (issued,
listed and revoked on the admin page or with `flask --app app tokens`, audited, optionally
expiring) entered once at /wall-signin on the wall's computer. It is kept in an HttpOnly cookie
(WALL_COOKIE, 400 days, the most a browser keeps one, set anew each time a page loads) and read
on every request that brings no signed-in person: the wall stays on while the token stands. A
token's principal here is a "wall": whatever its role, it may only view screens
(security.principal), so a wall's computer left in a hall opens no records; and it changes
nothing, which is why it needs no CSRF token (a SameSite=Lax cookie, as the anonymous role).

When the token is revoked or expires, or a person's session on the wall ends, the page goes to
/wall-signin (assets/05-session.js; security/guard.py for a page) instead of the sign-in form:
a screen saying what to do, which asks /wall-signin/status every 30 s (assets/07-wall-signin.js)
and goes back to the wall by itself as soon as the screen may see it again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Request, Response, g, jsonify, redirect, request

from locales import best_language, normalise, t
from security import audit, tokens
from security.guard import permitted
from security.principal import Principal
from security.roles import Permission
from security.session import csrf_matches, csrf_token
from security.views import plain_page, safe_next
from security.web_context import current_principal, state

WALL_COOKIE = "onescreen_wall"
SIGNIN = "/wall-signin"
STATUS = "/wall-signin/status"
COOKIE_DAYS = 400  # browsers keep a cookie at most 400 days: it is set anew on each page load
MAX_TOKEN = 200

blueprint = Blueprint("wall_sessions", __name__, template_folder="templates")


def wall_principal(req: Request) -> Principal | None:
    """The wall a request's cookie stands for, or None. A cookie whose token is refused (revoked,
    expired, unknown) is dropped from the browser (drop_refused_cookie), so the refusal is
    audited once, not at every tick of a screen that keeps asking."""
    token = req.cookies.get(WALL_COOKIE)
    if not token:
        return None
    found = tokens.resolve(state().engine, token[:MAX_TOKEN], now=datetime.now(UTC), ip=req.remote_addr)
    if found is None:
        g.wall_cookie_refused = True
        return None
    g.wall_token = True
    return Principal(
        kind="wall",
        name=f"wall:{found.display_name}",
        display_name=found.display_name,
        roles=found.roles,
        department=found.department,
        token_pk=found.token_pk,
    )


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        WALL_COOKIE,
        token,
        max_age=COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )


def keep_wall_cookie(response: Response) -> Response:
    """after_request: drop a refused wall cookie; renew a standing one when a page is loaded."""
    if g.get("wall_cookie_refused"):
        response.delete_cookie(WALL_COOKIE, path="/")
    elif g.get("wall_token") and response.mimetype == "text/html" and request.method == "GET":
        _set_cookie(response, request.cookies[WALL_COOKIE])
    return response


def _sees_screens() -> bool:
    return permitted(current_principal(), Permission.VIEW_SCREENS)


def _language() -> str:
    asked = request.values.get("lang")
    return (
        normalise(asked)
        if asked
        else best_language(request.accept_languages, state().settings.default_language)
    )


def _page(lang: str, message: str | None = None, status: int = 200) -> tuple[str, int]:
    nxt = safe_next(request.values.get("next"))
    values: dict[str, Any] = {"next": nxt, "next_q": quote(nxt, safe=""), "csrf": csrf_token()}
    return plain_page(
        "wall_signin.html", lang, status, message=message, other_lang="en" if lang == "zh" else "zh", **values
    )


@blueprint.get(SIGNIN)
def wall_signin():
    """What to do, on the wall itself; back to the wall at once when it may see it."""
    if _sees_screens():
        return redirect(safe_next(request.args.get("next")))
    return _page(_language())


@blueprint.post(SIGNIN)
def wall_enrol():
    """A wall token entered once: kept in the wall's cookie, then back to the wall."""
    lang = _language()
    if not csrf_matches(request.form.get("csrf", "")):
        return _page(lang, t("login.form_expired", lang), 400)
    token = request.form.get("token", "")
    token = token.strip() if isinstance(token, str) else ""
    if not token or len(token) > MAX_TOKEN:
        return _page(lang, t("wall_signin.bad", lang), 400)
    found = tokens.resolve(state().engine, token, now=datetime.now(UTC), ip=request.remote_addr)
    if found is None:
        return _page(lang, t("wall_signin.bad", lang), 401)
    if Permission.VIEW_SCREENS not in found.permissions:
        return _page(lang, t("wall_signin.no_screens", lang), 403)
    audit.record(state().engine, "wall.enrol", actor=found.name, target=f"token:{found.token_pk}",
                 ip=request.remote_addr)  # fmt: skip
    response = redirect(safe_next(request.form.get("next")))
    _set_cookie(response, token)
    return response


@blueprint.get(STATUS)
def wall_status():
    """Whether this browser may see the screens now (the sign-in screen asks every 30 s)."""
    response = jsonify(screens=_sees_screens())
    response.headers["Cache-Control"] = "no-store"
    return response
