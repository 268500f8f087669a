"""What a wall page holds beside its layout (pages/wall.py): the playlist it runs, if any, and
the place where a critical alert takes the screen over (pages/wall_kiosk.py fills it).

The playlist is told to the browser as data (its layouts and seconds, and the server's clock
when drawn); assets/87-kiosk.js moves the wall to the layout the clock says, by Dash's own
navigation (no reload: the live stream, the language and the alert queue stay), keeping the
address's query (tile, speed, theme). The alert queue lives in the shell, beside the live
stream's store, so a change of layout neither loses an alert nor shows one twice."""

from __future__ import annotations

import json
import time
from typing import Any

from dash import dcc, html

from domain.playlists import Playlist
from domain.screens import Layout, LayoutError, Tile
from security.guard import permitted
from security.roles import Permission
from security.web_context import current_principal
from services.playlists import playlists

PLAYLIST = "wall-playlist"
TAKEOVER = "wall-alert"  # the box a critical alert is drawn in
QUEUE = "wall-alert-queue"  # domain/wall_alerts.py's state, in the shell (components/kiosk.py)
SHOWN = "wall-alert-shown"  # which alert the box shows now (and how many wait)
TICK = "wall-alert-tick"  # while the queue holds an alert: is its hold time over? (the shell's)
VIEW = "wall-alert-view"  # the layout and this window's part of it, to draw the alert alike
TICK_MS = 2000
_LIVE_REGION: dict[str, Any] = {"aria-live": "assertive"}  # a screen reader says the alert at once


def playlist_of(name: object, layout: Layout) -> Playlist | None:
    """The playlist `?playlist=` names (None when none is named); LayoutError naming what is
    wrong when there is no such playlist or `layout` is none of its layouts."""
    if name in (None, ""):
        return None
    found = playlists().get(str(name))
    if found is None:
        known = ", ".join(playlists()) or "none"
        raise LayoutError(f"playlist: no playlist is called {str(name)[:40]!r}; known: {known}")
    if all(entry.layout != layout.name for entry in found.entries):
        raise LayoutError(
            f"playlist: layout {layout.name} is not in playlist {found.name} "
            f"({', '.join(e.layout for e in found.entries)})"
        )
    return found


def _playlist_data(playlist: Playlist, layout: Layout, lang: str) -> html.Div:
    attrs: dict[str, Any] = {
        "data-playlist": playlist.name,
        "data-entries": json.dumps([[e.layout, e.seconds] for e in playlist.entries]),
        "data-layout": layout.name,
        "data-server-ms": str(int(time.time() * 1000)),
        "data-title": playlist.title.get(lang, playlist.name),
    }
    return html.Div(id=PLAYLIST, className="os-wall-playlist", hidden=True, **attrs)


def kiosk_parts(layout: Layout, view: Tile, playlist_name: object, lang: str) -> list:
    """The playlist's data and the alert takeover's box, stores and clock; LayoutError for a
    wrong `?playlist=` (pages/wall.py says it instead of drawing)."""
    playlist = playlist_of(playlist_name, layout)
    parts: list = [_playlist_data(playlist, layout, lang)] if playlist else []
    if permitted(current_principal(), Permission.READ_RECORDS):  # who has the live stream
        parts += [
            html.Div(id=TAKEOVER, className="os-wall-takeover-box", **_LIVE_REGION),
            dcc.Store(id=SHOWN),
            dcc.Store(
                id=VIEW, data={"layout": layout.name, "view": [view.x, view.y, view.width, view.height]}
            ),
        ]
    return parts
