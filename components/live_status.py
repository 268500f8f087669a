"""The live alerts' place in the shell: the dcc.Store `live-alerts` that assets/45-live.js fills
from the stream (/live/alerts) and the indicator of the stream's connection in the header.

The store's data is {"seq": newest, "items": [message, ...]} with the newest LIVE_WINDOW
messages, oldest first, each as the stream sends it ({"seq", "action", "at", "alert": {...}};
live/stream.py) or {"seq", "reset": true} when the page must redraw from the store. Callbacks
that take it as an Input handle the items with a seq above the last they handled: a burst can
arrive in one update. Drawn only for a principal who may read alerts (the stream refuses the
others anyway); the script joins the stream only where the indicator is."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from locales import t
from security.guard import permitted
from security.roles import Permission
from security.web_context import current_principal
from services.live_alerts import newest_alert_seq

STORE = "live-alerts"
STATUS = "live-status"
STATES = ("connecting", "live", "late", "reconnecting")


def make_live_status(lang: str) -> list:
    """The store and the indicator, or nothing for a principal without READ_RECORDS. The
    indicator carries its words in both languages (the script shows the page's) and the
    newest sequence number the page was drawn with."""
    if not permitted(current_principal(), Permission.READ_RECORDS):
        return []
    words: dict[str, Any] = {
        f"data-{key}-{language}": t(f"live.{key}", language)
        for key in (*STATES, "title")
        for language in ("zh", "en")
    }
    seq = newest_alert_seq()
    if seq is not None:
        words["data-seq"] = str(seq)
    return [
        dcc.Store(id=STORE, data={"seq": seq, "items": []}),
        html.Span(
            id=STATUS,
            className="os-live os-live-connecting",
            children=t("live.connecting", lang),
            role="status",
            title=t("live.title", lang),
            **words,
        ),
    ]
