"""The sign-in and sign-out pages (plain Flask: they must work before Dash is reachable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request

from locales import best_language, normalise, t
from security import users
from security.session import csrf_matches, csrf_token, end_session, start_session
from security.web_context import audit_request, current_principal, state

blueprint = Blueprint("security", __name__, template_folder="templates")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if value.startswith(("/login", "/logout")) or any(ord(c) < 32 for c in value):
        return "/"
    return value


def _language() -> str:
    asked = request.args.get("lang") or request.form.get("lang")
    if asked:
        return normalise(asked)
    return best_language(request.accept_languages, state().settings.default_language)


FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "X-Forwarded-Host")


def _loopback(address: str | None) -> bool:
    try:
        return ip_address(address or "").is_loopback
    except ValueError:
        return address == "localhost"


def _demo_allowed() -> bool:
    """One-click demo sign-in: embedded profile, listening on this machine only, asked from this
    machine directly. A request through a proxy (which makes every visitor look local) never is."""
    settings = state().settings
    if settings.profile != "embedded" or settings.proxy_count or not _loopback(settings.host):
        return False
    if any(header in request.headers for header in FORWARDING_HEADERS):
        return False
    return _loopback(request.remote_addr)


def _form_ok() -> bool:
    return csrf_matches(request.form.get("csrf", ""))


def plain_page(template: str, lang: str, status: int = 200, **values: object) -> tuple[str, int]:
    """A page outside Dash (sign-in, no access) in the configured theme and `lang`."""
    html = render_template(
        template,
        t=lambda key, **kw: t(key, lang, **kw),
        lang=lang,
        theme="dark" if state().settings.default_theme == "wall" else "light",
        **values,
    )
    return html, status


def _page(lang: str, message: str | None = None, status: int = 200, username: str = "") -> tuple[str, int]:
    demo = users.demo_users(state().engine) if _demo_allowed() else []
    nxt = safe_next(request.values.get("next"))
    return plain_page(
        "login.html",
        lang,
        status,
        other_lang="en" if lang == "zh" else "zh",
        next=nxt,
        next_q=quote(nxt, safe=""),
        csrf=csrf_token(),
        message=message,
        expired=request.args.get("expired") == "1",
        demo=demo,
        username=username,
    )


@blueprint.get("/login")
def login_form():
    return _page(_language())


@blueprint.post("/login")
def login_submit():
    lang = _language()
    if not _form_ok():
        return _page(lang, t("login.form_expired", lang), 400)
    username = str(request.form.get("username", "")).strip().lower()[:64]
    password = str(request.form.get("password", ""))
    settings = state().settings
    now = datetime.now(UTC)
    throttle = state().failed_sign_ins
    if throttle.blocked(request.remote_addr):  # checked before the password: no oracle while blocked
        until = throttle.blocked_until(request.remote_addr).astimezone(settings.zone).strftime("%H:%M")
        audit_request("login.locked", outcome="denied", target=f"ip:{request.remote_addr}",
                      detail={"username": username, "until": until})  # fmt: skip
        return _page(lang, t("login.address_blocked", lang, until=until), 429, username)
    result = users.authenticate(
        state().engine,
        username,
        password,
        now=now,
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        ip=request.remote_addr,
    )
    if result.outcome == "ok" and result.principal is not None:
        start_session(result.principal)
        return redirect(safe_next(request.form.get("next")))
    throttle.failed(request.remote_addr)
    if result.outcome == "locked" and result.locked_until is not None:
        until = result.locked_until.astimezone(settings.zone).strftime("%H:%M")
        return _page(lang, t("login.locked", lang, until=until), 429, username)
    if result.outcome == "disabled":
        return _page(lang, t("login.disabled", lang), 403, username)
    return _page(lang, t("login.bad", lang), 401, username)


@blueprint.post("/login/demo")
def login_demo():
    if not _demo_allowed():
        abort(404)
    lang = _language()
    if not _form_ok():
        return _page(lang, t("login.form_expired", lang), 400)
    username = str(request.form.get("username", ""))[:64]
    principal = users.demo_login(state().engine, username, now=datetime.now(UTC), ip=request.remote_addr)
    if principal is None:
        return _page(lang, t("login.bad", lang), 401)
    start_session(principal)
    return redirect(safe_next(request.form.get("next")))


@blueprint.post("/logout")
def logout() -> Response:
    principal = current_principal()
    if principal.kind == "user":
        if not _form_ok():  # a forged sign-out from another site is ignored
            return redirect("/")
        audit_request("logout", target=f"user:{principal.name}")
        end_session()
    return redirect("/login")
