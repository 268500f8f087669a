"""The embed app: a second Dash app on the same Flask server, at /embed/, that draws one panel
alone for another portal's iframe. It is its own Dash app so that its dispatcher
(/embed/_dash-update-component) knows the embed callback only: a token cannot reach any other
callback of OneScreen, whatever a request names. The iframe has no session (a portal's page
is another site), so the token travels in the address, /embed/<token>, and every callback
takes that address as an input; security.embed_guard verifies it on each request and the
callback draws from the verified token's panel and parameters only."""

from __future__ import annotations

import re
from typing import Any

from dash import Dash, Input, Output, dcc, html
from flask import Flask, g

from components.embed_panels import REFRESH_MS, draw
from config.settings import ROOT

PREFIX = "/embed/"
LIVE_PATH = PREFIX + "_live/"  # + the token: a live panel's push stream (live/embed_stream.py)
KEY = "onescreen.embed_app"
URL = "embed-url"
TICK = "embed-tick"
BODY = "embed-body"
LIVE = "embed-live"  # set by assets/87-embed-live.js on each announcement of the stream
LIVE_SCRIPT = "87-embed-live.js"
PLOTLY_SCRIPT = "01-plotly-basic.js"  # the charts' smaller plotly.js bundle, as on the main app


def token_of(pathname: object) -> str | None:
    """The token in an embed address (/embed/<token>), or None."""
    if not isinstance(pathname, str) or not pathname.startswith(PREFIX):
        return None
    token = pathname[len(PREFIX) :].strip("/")
    return token or None


def _layout() -> html.Div:
    # no data here: the panel is drawn by the callback, from the verified token
    return html.Div(
        [
            dcc.Location(id=URL),
            dcc.Interval(id=TICK, interval=REFRESH_MS),
            dcc.Store(id=LIVE),
            html.Div(id=BODY, className="os-embed-body"),
        ],
        className="os-app os-embed",
    )


def update_panel(_tick: Any, _pathname: Any, _live: Any) -> html.Div:
    """The panel as the request's token names it (security.embed_guard put the verified grant
    on flask.g; without one the guard has answered 403 already). The live store's value only
    says when: whatever it holds, the panel is drawn from the token."""
    grant = g.embed_grant
    return draw(grant.panel, grant.params)


def init_embed_app(server: Flask) -> Dash:
    import dash._get_app as dash_app_registry

    main_app = dash_app_registry.APP  # a new Dash app makes itself the process's default app
    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash's stubs say bool; a Flask app is documented
        url_base_pathname=PREFIX,
        assets_folder=str(ROOT / "assets"),
        # the main app's scripts open its streams and wire its shell; the panel needs its own
        # stream's only, and the charts' bundle
        assets_ignore=r"^(?!(" + re.escape(LIVE_SCRIPT) + "|" + re.escape(PLOTLY_SCRIPT) + r")$).*\.js$",
        assets_path_ignore=["vendor"],
        serve_locally=True,
        title="OneScreen",
        update_title=None,  # type: ignore[arg-type]  # None: no "Updating…" title (documented)
        suppress_callback_exceptions=True,
    )
    dash_app_registry.APP = main_app
    app.layout = _layout
    app.callback(
        Output(BODY, "children"), Input(TICK, "n_intervals"), Input(URL, "pathname"), Input(LIVE, "data")
    )(update_panel)
    server.extensions[KEY] = app
    return app
