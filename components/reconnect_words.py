"""The words of the "reconnecting" notice (assets/06-reconnect.js) in both languages, carried by
a hidden element of the shell: the script shows them in the page's language when the server
stops answering, so the notice needs no request to a server that is down."""

from __future__ import annotations

from dash import html

from locales import t

WORDS = "os-reconnect-words"
KEYS = ("down", "retry", "trying", "reload")


def make_reconnect_words() -> html.Div:
    words = {f"data-{key}-{lang}": t(f"reconnect.{key}", lang) for key in KEYS for lang in ("zh", "en")}
    return html.Div(id=WORDS, hidden=True, **words)
