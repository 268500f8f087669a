"""The shell around every page: brand, navigation, language and theme switches, the park
clock and the data-freshness indicator. Pages register themselves (dash.register_page)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from flask import has_request_context, request

from components.economy_nav import GROUP_NAMES, group_of
from components.freshness import make_freshness
from components.freshness import register_callbacks as register_freshness
from components.kiosk import kiosk_button, kiosk_exit
from components.live_status import make_live_status
from components.reconnect_words import make_reconnect_words
from components.user_box import USER, make_user_box, user_box_children
from config.settings import Settings
from locales import best_language, normalise, t
from security.guard import ANYONE, permitted, requires
from security.web_context import current_principal

LANG = "shell-lang"
THEME = "shell-theme"
NAV = "shell-nav"
BRAND = "shell-brand"
URL = "shell-url"


def _nav_links(pages: Mapping[str, Any], lang: str, current: str | None = None) -> list:
    """Links to the pages the current principal may open (the server refuses the others too).
    A group of pages (nav_group: components/economy_nav.py) has one link, to the first of its
    pages the principal may open, lit on any of them."""
    principal = current_principal()
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for page in sorted(pages.values(), key=lambda p: (p.get("order") or 0, p["path"])):
        if page.get("hidden") or not permitted(principal, page.get("permission")):
            continue
        groups.setdefault(group_of(page), []).append(page)
    links = []
    for group, shown in groups.items():
        lead = shown[0]
        title, icon = GROUP_NAMES.get(group, (lead["title_key"], lead.get("icon", "bi-circle")))
        links.append(
            dbc.NavLink(
                [html.I(className=f"bi {icon} me-1"), t(title, lang)],
                href=lead["relative_path"],
                active=current is not None and any(p["path"] == current for p in shown),
                className="os-nav-link",
            )
        )
    return links


def _clock_data(settings: Settings) -> dict[str, str]:
    """The park's zone and the server's time as the shell is drawn: the header's clock counts on
    from that time (assets/onescreen.js), so a computer whose clock or zone is wrong still shows
    the park's date and time."""
    return {"data-tz": settings.timezone, "data-now-ms": str(int(time.time() * 1000))}


def preferred_language(settings: Settings) -> str:
    """A first visit's language: the browser's Accept-Language when it names zh or en, else
    the setting. Once a person chooses, the switch remembers it (localStorage)."""
    if has_request_context():
        return best_language(request.accept_languages, settings.default_language)
    return settings.default_language


def make_shell(settings: Settings, pages: Mapping[str, Any], lang: str | None = None) -> html.Div:
    """The shell. Never raises outside a request (Dash calls the layout once at start-up)."""
    lang = lang or preferred_language(settings)
    return html.Div(
        [
            dcc.Location(id=URL),
            html.Header(
                [
                    html.Div(
                        [
                            html.I(className="bi bi-grid-3x3-gap-fill os-brand-mark"),
                            html.Span(t("app.name", lang), id=BRAND),
                        ],
                        className="os-brand",
                    ),
                    dbc.Nav(_nav_links(pages, lang), id=NAV, className="os-nav", pills=True),
                    html.Div(className="os-spacer"),
                    make_freshness(lang),
                    *make_live_status(lang),
                    make_user_box(lang),
                    html.Div(id="shell-clock", className="os-clock", **_clock_data(settings)),
                    kiosk_button(settings, lang),
                    dbc.RadioItems(
                        id=LANG,
                        options=[{"label": "中文", "value": "zh"}, {"label": "EN", "value": "en"}],
                        value=lang,
                        inline=True,
                        persistence=True,
                        persistence_type="local",
                        className="os-switch",
                        inputClassName="btn-check",
                        labelClassName="btn btn-sm btn-outline-secondary",
                        labelCheckedClassName="active",
                    ),
                    dbc.RadioItems(
                        id=THEME,
                        options=[
                            {"label": html.I(className="bi bi-display", title="wall"), "value": "wall"},
                            {"label": html.I(className="bi bi-sun", title="desk"), "value": "desk"},
                        ],
                        value=settings.default_theme,
                        inline=True,
                        persistence=True,
                        persistence_type="local",
                        className="os-switch",
                        inputClassName="btn-check",
                        labelClassName="btn btn-sm btn-outline-secondary",
                        labelCheckedClassName="active",
                    ),
                ],
                className="os-header",
            ),
            html.Main(dash.page_container, className="os-main"),
            *kiosk_exit(lang),
            dcc.Store(id="shell-theme-applied"),
            dcc.Store(id="shell-lang-applied"),
            make_reconnect_words(),
        ],
        className="os-app",
    )


def update_nav(lang: str, pathname: str | None):
    lang = normalise(lang)  # the value comes from the browser: anything may arrive
    return (
        _nav_links(dash.page_registry, lang, pathname),
        t("app.name", lang),
        user_box_children(lang, pathname),
    )


def register_callbacks(app: Dash) -> None:
    """The shell's callbacks, registered on each app (not with dash.callback: Dash gives those
    of modules imported once to the first app only, and tests build several apps)."""
    app.callback(
        Output(NAV, "children"),
        Output(BRAND, "children"),
        Output(USER, "children"),
        Input(LANG, "value"),
        Input(URL, "pathname"),
    )(requires(ANYONE)(update_nav))
    # Pure UI: the theme and the document's language and title are set in the browser.
    app.clientside_callback(
        ClientsideFunction(namespace="onescreen", function_name="applyTheme"),
        Output("shell-theme-applied", "data"),
        Input(THEME, "value"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="onescreen", function_name="applyLanguage"),
        Output("shell-lang-applied", "data"),
        Input(LANG, "value"),
        Input(URL, "pathname"),
        State(NAV, "children"),
    )
    register_freshness(app)
