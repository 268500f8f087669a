"""Screen layouts (大屏布局) for an admin: pick a layout of config/screens.yaml and a screen size
in CSS px (its resolution by default, any other to try), and see the layout as that screen would
draw it, scaled into the page; the addresses to open on the wall's computers are listed under
it. (A scaled box rather than an iframe: the app refuses to be framed, frame-ancestors.)"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from components.economy_nav import admin_tabs
from components.wall_stage import stage
from domain.screens import Layout, Tile, tile_urls
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.scope import resolve_scope
from security.web_context import current_principal
from services.screens import layouts

dash.register_page(
    __name__,
    path="/admin/screens",
    name="Screen layouts",
    title="OneScreen",
    order=97,
    nav_group="/admin",  # one entry in the shell: the admin tabs (components/economy_nav.py)
    title_key="nav.screens",
    icon="bi-grid-1x2",
    permission=Permission.MANAGE_LAYOUTS,
)

LAYOUT = "screens-layout"
WIDTH = "screens-width"
HEIGHT = "screens-height"
PREVIEW = "screens-preview"
TILES = "screens-tiles"
SMALLEST, LARGEST = 320, 16_384  # CSS px a screen may be said to have


def _default_size(layout: Layout) -> tuple[int, int]:
    """The layout's own screen in CSS px at device scale 1 (a wall: all its screens)."""
    res = layout.resolution
    return res.width * res.columns, res.height * res.rows


def preview(name: object, width: object, height: object, lang: str) -> tuple[Any, Any]:
    """The preview box and the layout's addresses; a clear message for a bad size or name."""
    chosen = layouts().get(name) if isinstance(name, str) else None
    if chosen is None:
        return html.Div(t("screens.pick", lang), className="os-empty"), []
    sizes = (width, height)
    if not all(isinstance(v, int | float) and SMALLEST <= v <= LARGEST for v in sizes):
        message = t("screens.bad_size", lang, smallest=SMALLEST, largest=LARGEST)
        return html.Div(message, className="os-empty", role="alert"), []
    w, h = int(width), int(height)  # type: ignore[call-overload]
    canvas_w, canvas_h = chosen.resolution.canvas
    whole = Tile(1, 1, 0, 0, canvas_w, canvas_h)
    scope = resolve_scope(current_principal(), None, what="screens preview")
    fit: dict[str, Any] = {"data-view": f"0,0,{w},{h}"}
    box = html.Div(
        stage(chosen, whole, lang, scope, ids=False),
        className="os-screens-screen os-fit",
        style={"width": f"{w}px", "height": f"{h}px"},
        **fit,
    )
    links = [html.A(url, href=url, target="_blank", className="me-3") for url in tile_urls(chosen)]
    return box, [html.Span(t("screens.addresses", lang), className="me-2"), *links]


def layout(lang: str = "zh", **_query: Any) -> html.Div:
    lang = normalise(lang)
    names = list(layouts())
    first = layouts()[names[0]]
    w, h = _default_size(first)
    options = [{"label": layouts()[n].title[lang], "value": n} for n in names]
    box, links = preview(first.name, w, h, lang)

    def field(label: str, control) -> html.Div:
        return html.Div([html.Label(label, htmlFor=control.id), control])

    return html.Div(
        [
            admin_tabs("/admin/screens", lang),
            html.H1(t("screens.title", lang), className="os-admin-title"),
            html.Div(
                [
                    field(
                        t("screens.layout", lang),
                        dcc.Dropdown(
                            id=LAYOUT,
                            options=options,
                            value=first.name,
                            clearable=False,
                            className="os-screens-select",
                        ),
                    ),
                    field(
                        t("screens.width", lang), dcc.Input(id=WIDTH, type="number", value=w, debounce=True)
                    ),
                    field(
                        t("screens.height", lang), dcc.Input(id=HEIGHT, type="number", value=h, debounce=True)
                    ),
                ],
                className="os-screens-tools",
            ),
            html.Div(box, id=PREVIEW, className="os-screens-preview-area"),
            html.Div(links, id=TILES, className="os-screens-tiles"),
        ],
        className="os-page os-admin-screens",
    )


@callback(
    Output(WIDTH, "value"),
    Output(HEIGHT, "value"),
    Input(LAYOUT, "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_LAYOUTS)
def size_of_layout(name: object):
    chosen = layouts().get(name) if isinstance(name, str) else None
    if chosen is None:
        return dash.no_update, dash.no_update
    return _default_size(chosen)


@callback(
    Output(PREVIEW, "children"),
    Output(TILES, "children"),
    Input(LAYOUT, "value"),
    Input(WIDTH, "value"),
    Input(HEIGHT, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_LAYOUTS)
def update_preview(name: object, width: object, height: object, lang: str):
    return preview(name, width, height, normalise(lang))
