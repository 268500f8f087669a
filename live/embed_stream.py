"""GET /embed/_live/<token>: an embedded live panel's push stream (issue 13, item 4), for
assets/87-embed-live.js inside another portal's iframe, where no session cookie arrives: the
token in the address is the only authority (security/embed_guard.py verifies it and puts its
grant on flask.g before this view runs).

What it sends is what the token's panel needs and no more: only a panel that shows alerts
(components/embed_panels.LIVE_PANELS) has a stream; only the alerts of the token's department
(the whole park when it names none) are announced; and a message says only that something
changed and where the stream stands — {"seq", "action"} — never the alert itself: the panel
redraws through its own callback, which draws from the token again. The stream asks the store
every RECHECK_S whether the token still holds, so a token revoked or expired while its stream
is open ends it with `event: refused` within seconds (the page then shows the refusal); its
lifetime never runs past the token's expiry either. The only parameter is `last` (as on
/live/alerts, with Last-Event-ID); anything else in the query is refused, so a request cannot
ask for another panel, department or language than its token names."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from components.embed_app import LIVE_PATH
from live.alert_feed import stream
from live.stream import LAST_PARAMETER, last_seq, refusal, serve_stream
from security.embed_tokens import EmbedGrant, EmbedRefused, verify
from security.scope import Scope
from services.context import get_services

RECHECK_S = 5.0  # a revoked or expired token's open stream ends within this (and one query)
LIFETIME_S = 600.0  # as /live/alerts: then the browser reconnects and the guard verifies again

blueprint = Blueprint("embed_live", __name__)


def announcement(event: dict[str, Any]) -> dict[str, Any]:
    """What an embedded panel is told of an alert event: that there is one, not what it is."""
    return {"seq": event["seq"], "action": event["action"]}


def _recheck(token: str, secret: str) -> Callable[[], str | None]:
    engine = get_services().engine

    def still() -> str | None:
        try:
            verify(engine, secret, token)
        except EmbedRefused as refused:
            return refused.reason
        return None

    return still


@blueprint.get(LIVE_PATH + "<path:token>")
def embed_alerts(token: str) -> Response:
    grant: EmbedGrant = g.embed_grant  # the guard verified the token and that its panel is live
    unknown = sorted(set(request.args) - {LAST_PARAMETER})
    if unknown:
        return refusal(
            400, "bad_request", f"an embedded panel's stream takes `last` only, not {', '.join(unknown)}"
        )
    try:
        start = last_seq(request.headers, request.args)
    except ValueError as exc:
        return refusal(400, "bad_request", str(exc))
    expires = grant.expires_at if grant.expires_at.tzinfo else grant.expires_at.replace(tzinfo=UTC)
    left = expires.timestamp() - time.time()  # SQLite hands the stored UTC time back naive
    return serve_stream(
        lambda feed: stream(
            feed,
            get_services().engine,
            Scope(grant.params.get("department")),
            start,
            lifetime_s=max(0.0, min(LIFETIME_S, left)),
            shape=announcement,
            recheck=_recheck(token, current_app.config["SECRET_KEY"]),
            recheck_s=RECHECK_S,
        )
    )
