"""The kiosk switch in the shell (issue 13, item 3): a header button that hides all chrome
(assets/87-kiosk.js: any page opened with ?kiosk=1 does the same), and the small control that
appears on a mouse move to leave it again (Esc does too). Both carry their words in both
languages (the script shows the page's), and the button carries what the night theme needs
(assets/88-night.css): the night hours of config/screens.yaml, the park's time zone and the
server's clock when drawn, so a screen whose computer clock is wrong still turns dark on time."""

from __future__ import annotations

import time
from typing import Any

from dash import dcc, html

from components.wall_kiosk import QUEUE, TICK, TICK_MS
from config.settings import Settings
from locales import t
from security.guard import permitted
from security.roles import Permission
from security.web_context import current_principal
from services.playlists import wall_options

ENTER = "shell-kiosk"
EXIT = "shell-kiosk-exit"


def _words(*keys: str) -> dict[str, Any]:
    return {f"data-{key.split('.')[-1]}-{lang}": t(key, lang) for key in keys for lang in ("zh", "en")}


def kiosk_button(settings: Settings, lang: str) -> html.Button:
    options = wall_options(settings)
    night = (
        {
            "data-night-from": options.night_from.strftime("%H:%M"),
            "data-night-to": options.night_to.strftime("%H:%M"),
        }
        if options.night_from and options.night_to
        else {}
    )
    return html.Button(
        html.I(className="bi bi-fullscreen"),
        id=ENTER,
        type="button",
        className="btn btn-sm btn-outline-secondary os-kiosk-enter",
        title=t("kiosk.enter", lang),
        **{
            "aria-label": t("kiosk.enter", lang),
            "data-tz": settings.timezone,
            "data-server-ms": str(int(time.time() * 1000)),
            **night,
            **_words("kiosk.enter"),
        },
    )


def kiosk_exit(lang: str) -> list:
    """The way out, hidden until the page is a kiosk and the mouse moves (assets/87-kiosk.css);
    and, for a principal with the live stream, the wall's critical-alert queue and its clock,
    kept in the shell beside the stream's store, so a playlist's turn to another layout neither
    loses an alert nor shows one twice (a reload starts both afresh: pages/wall_kiosk.py)."""
    queue = [dcc.Store(id=QUEUE), dcc.Interval(id=TICK, interval=TICK_MS, disabled=True)]
    return [*(queue if permitted(current_principal(), Permission.READ_RECORDS) else []), _exit_button(lang)]


def _exit_button(lang: str) -> html.Button:
    return html.Button(
        [
            html.I(className="bi bi-fullscreen-exit"),
            html.Span(t("kiosk.exit", lang), className="os-kiosk-exit-text"),
        ],
        id=EXIT,
        type="button",
        className="os-kiosk-exit",
        **_words("kiosk.exit"),
    )
