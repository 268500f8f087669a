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
    name = view.get("layout")
    layout = layouts().get(name) if isinstance(name, str) else None
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
    """Add the takeover's callbacks to the app being built (called by pages/wall.py, which Dash
    Pages runs once per app: a plain import would give them to the first app of the process only,
    pages/cases_steps.register). The queue moves on in the shell, on every page of a principal
    who reads alerts (its store, clock and the live store are all there: a wall's turn to
    another layout keeps it); the wall draws its head."""

    @callback(
        Output(QUEUE, "data"),
        Output(TICK, "disabled"),
        Input(LIVE, "data"),
        Input(TICK, "n_intervals"),
        State(QUEUE, "data"),
    )
    @requires(Permission.READ_RECORDS)
    def move_queue(live: object, _tick: object, state: object):
        """The queue after the stream's news and the time; the clock ticks while it holds any."""
        state = advance(state, live, time.time(), wall_options().alert_hold_s)
        return state, not state["queue"]

    @callback(
        Output(SHOWN, "data"),
        Output(TAKEOVER, "children"),
        Input(QUEUE, "data"),
        State(SHOWN, "data"),
        State(VIEW, "data"),
        State("shell-lang", "value"),
    )
    @requires(Permission.READ_RECORDS)
    def take_over(state: object, shown: object, view: object, lang: str):
        """Draw the queue's head when it is not what the box shows (a new alert, another count
        waiting, or a page just drawn with an empty box); nothing when the queue is empty."""
        alert_id, since, waiting = showing(state)
        now_showing = {"id": alert_id, "waiting": waiting} if alert_id else None
        if now_showing == shown:
            return dash.no_update, dash.no_update
        alert, drawn = _read(alert_id), _view(view)
        if alert is None or drawn is None:  # gone, or out of this principal's scope
            return None, None
        layout, tile = drawn
        until = float(since or time.time()) + wall_options().alert_hold_s
        return now_showing, takeover(alert, layout, tile, normalise(lang), until, waiting)
