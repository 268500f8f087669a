"""What may pass under /embed/ (security.guard hands every such request here): the embed app's
skeleton and static files (no data) to anyone, its panel page and its callbacks only with a
valid embed token, the token's grant put on flask.g for the callback to draw from. A session
cookie that happens to come along changes nothing: under /embed/ only the token counts."""

from __future__ import annotations

from flask import Response, abort, current_app, g, request

from components.embed_app import KEY as EMBED_APP
from components.embed_app import LIVE_PATH, PREFIX, URL, token_of
from components.embed_panels import LIVE_PANELS
from locales import best_language
from security.embed_tokens import EmbedRefused, verify
from security.views import plain_page
from security.web_context import client_ip, state

# the embed app's own files and skeleton: the same for everyone, no data
STATIC = tuple(
    PREFIX + p
    for p in ("_dash-layout", "_dash-dependencies", "_dash-component-suites/", "assets/", "_favicon.ico")
)
DISPATCH = PREFIX + "_dash-update-component"


def _grant(token: object):
    return verify(state().engine, current_app.config["SECRET_KEY"], token, ip=client_ip())


def _callback_token(body: object) -> str | None:
    """The token in the address the callback was given (its embed-url.pathname input)."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        return None
    for item in body["inputs"]:
        if isinstance(item, dict) and item.get("id") == URL and item.get("property") == "pathname":
            return token_of(item.get("value"))
    return None


def _as_declared(body: dict, entry: dict) -> bool:
    """The request names the callback's declared inputs, in their order, and nothing else (Dash
    hands values by position and answers 500 to another shape; the panel takes nothing from
    the browser but its address)."""
    inputs, declared = body.get("inputs"), entry.get("inputs", [])
    return (
        isinstance(inputs, list)
        and len(inputs) == len(declared)
        and all(
            isinstance(item, dict)
            and item.get("id") == spec["id"]
            and item.get("property") == spec["property"]
            for item, spec in zip(inputs, declared, strict=True)
        )
        and not body.get("state")
    )


def _live_guard(path: str) -> None:
    """A live panel's stream: the token in its address (nowhere else: a token in the query, a
    header or a cookie is not looked at) must verify and name a live panel; 403 otherwise."""
    if request.method != "GET":
        abort(405)
    token = path[len(LIVE_PATH) :]
    try:
        grant = _grant(token or None)
    except EmbedRefused as refused:
        abort(403, description=f"embed token {refused.reason}")
    if grant.panel not in LIVE_PANELS:
        abort(403, description=f"the embedded panel {grant.panel} has no live stream")
    g.embed_grant = grant


def refusal_page(reason: str) -> tuple[str, int]:
    lang = best_language(request.accept_languages, state().settings.default_language)
    return plain_page("embed_refused.html", lang, 403, reason=reason)


def embed_guard() -> Response | tuple[str, int] | None:
    path = request.path
    if path.startswith(STATIC):
        return None
    if path == DISPATCH:
        if request.method != "POST":
            abort(405)
        body = request.get_json(silent=True)
        if (
            not isinstance(body, dict)
            or body.get("output") not in current_app.extensions[EMBED_APP].callback_map
        ):
            abort(403, description="not an embedded panel's callback")
        if not _as_declared(body, current_app.extensions[EMBED_APP].callback_map[body["output"]]):
            abort(400, description="the embedded panel's callback takes its declared inputs only")
        try:
            g.embed_grant = _grant(_callback_token(body))
        except EmbedRefused as refused:
            abort(403, description=f"embed token {refused.reason}")
        return None
    if path.startswith(LIVE_PATH):
        return _live_guard(path)
    if path.startswith(PREFIX + "_"):  # Dash's other routes (reload hash, …): not for an embed
        abort(404)
    try:
        g.embed_grant = _grant(token_of(path))
    except EmbedRefused as refused:
        return refusal_page(refused.reason)
    return None
