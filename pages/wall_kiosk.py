"""The wall's critical-alert takeover (issue 13, item 3): each update of the live stream's store
(components/live_status.py) and, while an alert shows, each tick of its clock, moves the queue on
(domain/wall_alerts.py) and draws the alert at its head over the layout (components/wall_alert.py),
or nothing, so the layout or playlist shows again. Not a page: the wall's callbacks only (register())."""

from __future__ import annotations

import time
from typing import Any

import dash
from dash import Input, Output, State, callback

from components.live_status import STORE as LIVE
from components.wall_alert import takeover
from components.wall_kiosk import QUEUE, SHOWN, TAKEOVER, TICK, VIEW
from domain.screens import Tile
from domain.wall_alerts import advance, showing
from locales import normalise
from security.guard import requires
from security.roles import Permission
from services.alert_detail import alert_detail
from services.playlists import wall_options
from services.screens import layouts


def _view(view: object) -> tuple[Any, Tile] | None:
    """The layout and window part the page was drawn with (its own store: never trusted for
    more than where to draw)."""
    if not isinstance(view, dict):
        return None
    layout = layouts().get(view.get("layout")) if isinstance(view.get("layout"), str) else None
    box = view.get("view")
    if layout is None or not (
        isinstance(box, list) and len(box) == 4 and all(isinstance(n, int) for n in box)
    ):
        return None
    return layout, Tile(1, 1, *box)


def _read(alert_id: str | None) -> dict[str, Any] | None:
    detail = alert_detail(alert_id) if alert_id else None
    return detail.alert if detail else None


def register() -> None:
    """Add the takeover's callback to the app being built (called by pages/wall.py, which Dash
    Pages runs once per app: a plain import would give it to the first app of the process only,
    pages/cases_steps.register)."""

    @callback(
        Output(QUEUE, "data"),
        Output(SHOWN, "data"),
        Output(TAKEOVER, "children"),
        Output(TICK, "disabled"),
        Input(LIVE, "data"),
        Input(TICK, "n_intervals"),
        State(QUEUE, "data"),
        State(SHOWN, "data"),
        State(VIEW, "data"),
        State("shell-lang", "value"),
    )
    @requires(Permission.READ_RECORDS)
    def take_over(live: object, _tick: object, state: object, shown: object, view: object, lang: str):
        """Move the queue on; draw its head when it is not what the box shows (a new alert, another
        count waiting, or a page just drawn with an empty box)."""
        now = time.time()
        state = advance(state, live, now, wall_options().alert_hold_s)
        alert_id, since, waiting = showing(state)
        alert = _read(alert_id)
        while alert_id and alert is None:  # gone or out of this principal's scope: the next one
            state["queue"].pop(0)
            state = advance(state, None, now, wall_options().alert_hold_s)
            alert_id, since, waiting = showing(state)
            alert = _read(alert_id)
        now_showing = {"id": alert_id, "waiting": waiting} if alert_id else None
        if now_showing == shown:
            return state, dash.no_update, dash.no_update, alert_id is None
        drawn = _view(view)
        if alert is None or drawn is None:
            return state, None, None, True
        layout, tile = drawn
        until = float(since or now) + wall_options().alert_hold_s
        return state, now_showing, takeover(alert, layout, tile, normalise(lang), until, waiting), False
