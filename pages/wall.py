"""The video wall (大屏): /wall/<layout> draws a layout of config/screens.yaml fitted to the
screen, no chrome, no scroll bars; a wall of screens opens one window per screen at
/wall/<layout>?tile=row,column, each drawing its part of the one picture. Panels refresh on
their intervals (components/panels.py), as the Overview's do."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from components.panels import LIVE, PANELS, SLOW, refresh_intervals
from components.wall_kiosk import kiosk_parts
from components.wall_stage import CELL, build_cell, stage
from domain.screens import LayoutError, parse_speed, parse_tile, tile
from locales import normalise, t
from pages import wall_kiosk, wall_map
from security.guard import requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.rendered_cells import moment
from services.screens import layouts

dash.register_page(
    __name__,
    path_template="/wall/<layout>",
    name="Wall",
    title="OneScreen",
    order=90,
    title_key="nav.wall",
    icon="bi-display",
    hidden=True,  # opened on a wall's computer by its address, not from the menu
    permission=Permission.VIEW_SCREENS,
)

NAME = "wall-layout-name"


def _scope() -> Scope:
    return resolve_scope(current_principal(), None, what="wall")


def _refusal(text: str, lang: str) -> html.Div:
    names = ", ".join(layouts())
    return html.Div(
        [html.H2(text), html.P(t("wall.known", lang, names=names))],
        className="os-wall-viewport os-wall-refusal",
        role="alert",
    )


def layout(
    layout: str | None = None,
    tile: object = None,
    speed: object = None,
    lang: str = "zh",
    playlist: object = None,
    **_query: Any,
) -> html.Div:
    lang = normalise(lang)
    chosen = layouts().get(layout or "")
    if chosen is None:
        return _refusal(t("wall.unknown", lang, name=str(layout)[:60]), lang)
    try:
        row, column = parse_tile(tile, chosen.resolution)
        faster = parse_speed(speed)
        view = _tile(chosen.resolution, row, column)
        kiosk = kiosk_parts(chosen, view, playlist, lang)  # its playlist, the alert takeover
    except LayoutError as exc:
        return _refusal(t("wall.bad_tile", lang, reason=str(exc)), lang)
    attrs: dict[str, Any] = {"data-layout": chosen.name, "data-tile": f"{row},{column}"}
    return html.Div(
        [
            stage(chosen, view, lang, _scope()),
            dcc.Store(id=NAME, data=chosen.name),
            *refresh_intervals(faster),
            *kiosk,
        ],
        className="os-wall-viewport",
        **attrs,
    )


_tile = tile  # the page's `tile` query parameter shadows the function's name in layout()


@callback(
    Output({"type": CELL, "cell": ALL}, "children"),
    Input(SLOW, "n_intervals"),
    Input(LIVE, "n_intervals"),
    State({"type": CELL, "cell": ALL}, "id"),
    State(NAME, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def refresh(_slow: int, _live: int, ids: list[dict], name: object, lang: str) -> list:
    """Redraw the panels whose refresh interval ticked (the others keep what they show)."""
    chosen = layouts().get(name) if isinstance(name, str) else None
    if chosen is None:
        return [dash.no_update] * len(ids)
    # both clocks can tick in one call (every minute): each ticked one redraws its panels
    ticked = set(ctx.triggered_prop_ids.values())
    lang, scope = normalise(lang), _scope()
    at = moment()  # drawn once for every screen showing the layout now (services/rendered_cells)
    out: list = []
    for item in ids:
        index = item.get("cell") if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(chosen.cells):
            out.append(dash.no_update)
        elif ticked & set(PANELS[chosen.cells[index].panel].refresh_inputs):
            out.append(build_cell(chosen, index, lang, scope, at))
        else:
            out.append(dash.no_update)
    return out


wall_kiosk.register()  # the critical-alert takeover's callback
wall_map.register()  # the map panel's click and its layers' refresh
