"""The wall's map panel (components/panel_map.py) answers a touch or a click on a feature with
its name under the map: a wall is mostly looked at, but a touch wall or a presenter's mouse
points at things, and inside a scaled layout the answer shows the click landed on the feature
under the pointer. On the panels' slow clock its layers are read anew, the map kept. Not a page:
pages/wall.py registers its callbacks (register())."""

from __future__ import annotations

from typing import Any

from dash import ALL, Input, Output, State, callback, no_update

from components.panel_map import DETAIL, LAYER, SOURCE, live_layer_urls
from components.panels import SLOW
from locales import normalise, t
from pages.map import _trigger as clicked_feature  # the map page's tamper-proof reading of it
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.map_catalogue import readable, spec_of


def register() -> None:
    """The wall map panel's callbacks, for every app (pages/wall.py calls this: Dash executes
    anew only the modules of pages/ that register a page)."""

    @callback(
        Output(DETAIL, "children"),
        Input({"type": LAYER, "layer": ALL}, "clickData"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_SCREENS)
    def on_click(_clicks: Any, lang: Any):
        """ "<layer>: <feature's name>" for the feature clicked; a cluster (no feature of its own)
        and a layer the reader may not read say nothing."""
        lang = normalise(lang)
        trigger, clicked = clicked_feature()
        spec = spec_of(str(trigger.get("layer"))) if isinstance(trigger, dict) else None
        if spec is None or not readable(spec, current_principal()) or not isinstance(clicked, dict):
            return no_update
        found = clicked.get("properties")
        props: dict[str, Any] = found if isinstance(found, dict) else {}
        if props.get("cluster"):
            return no_update
        name = props.get("name_en") if lang == "en" and props.get("name_en") else props.get("name")
        name = str(name or clicked.get("id") or "—")[:120]
        return t("wall.map_detail", lang, layer=getattr(spec.title, lang), name=name)

    @callback(
        Output({"type": LAYER, "layer": ALL}, "url"),
        Output({"type": LAYER, "layer": ALL}, "data"),
        Output({"type": SOURCE, "panel": ALL}, "children"),
        Input(SLOW, "n_intervals"),
        State({"type": LAYER, "layer": ALL}, "id"),
        State({"type": SOURCE, "panel": ALL}, "id"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_SCREENS)
    def redraw_layers(_tick: Any, ids: Any, sources: Any, lang: Any):
        """On the panels' slow clock, the map panel's live layers read anew (their URL carries the
        minute, their first drawing's features are cleared) and its source line; the map is not
        rebuilt."""
        if not isinstance(ids, list) or not isinstance(sources, list) or not sources:
            return no_update, no_update, no_update
        urls, data, source = live_layer_urls(ids, normalise(lang))
        return urls, data, [source for _ in sources]
