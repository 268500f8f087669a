"""The one map (一张图): the park drawn from its own vector data, with switchable thematic layers
(grid cells coloured by open or overdue cases, the city parts by class, cameras, sensors by state,
cases in clusters and as a heat map over a range, hot spots, live alerts, enterprises by chain),
each with its legend and count, or the reason it is broken while the others still draw.

A click opens the side panel (properties and links onward); the search box finds an address,
place, street, enterprise or case id and flies there; the view (centre, zoom, layers, range,
filters) is kept in the address, so a link reproduces it. Layers travel by URL from
/api/v1/map/layers (compressed, cached per change of their data), never through a callback;
a department head's cases, counts and alerts are their department's (the API scopes them)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import dash
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)

from components import map_layer_list as layer_list
from components.admin_common import DROPDOWN_CODE, load_with_the_app
from components.live_status import STORE as LIVE
from components.map_feature_panel import side_panel
from components.map_sensor_chart import sensor_chart
from components.map_view import LAYER, MAP, ZOOM, map_component, meta
from domain.geo_crs import to_crs
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.context import get_services
from services.kpi_periods import PeriodError
from services.map_catalogue import DEFAULT_RANGE, RANGES, layers, map_period, readable, spec_of
from services.map_feature_layers import park_centre
from services.map_layers import layer_state
from services.map_search import search

dash.register_page(
    __name__,
    path="/map",
    name="Map",
    title="OneScreen",
    order=2,
    title_key="nav.map",
    icon="bi-map",
    permission=Permission.VIEW_SCREENS,
)
load_with_the_app(DROPDOWN_CODE)

VIEW = "map-view"  # range and filters, as the address gave them and the controls changed them
META = "map-meta"
TICK = "map-tick"
SIDE = "map-side"
PAGE = "map-page"
HITS = "map-hits"
QUERY = "map-query"
HIT = "map-hit"
URL_SINK = "map-url-sink"
TICK_S = 15  # live layers (sensors, cases, alerts) drawn again this often, and on every push


def _scope() -> Scope:
    return resolve_scope(current_principal(), None, what="map")


def _view(query: dict[str, Any]) -> dict[str, Any]:
    """The address's range and filters (`f=layer.field:value;…`), unknown parts dropped."""
    rng = str(query.get("range") or DEFAULT_RANGE)
    view: dict[str, Any] = {"range": rng if rng in RANGES else DEFAULT_RANGE, "filters": {}}
    if view["range"] == "custom":
        view |= {"from": str(query.get("from") or "")[:10], "to": str(query.get("to") or "")[:10]}
    for part in str(query.get("f") or "").split(";")[:16]:
        target, _, value = part.partition(":")
        name, _, field = target.partition(".")
        spec = spec_of(name)
        if spec is not None and field in spec.filters and value:
            view["filters"].setdefault(name, {})[field] = value[:64]
    return view


def _centre(query: dict[str, Any]) -> tuple[tuple[float, float], int]:
    settings = get_services().settings
    try:
        zoom = int(query.get("z") or ZOOM)
    except ValueError:
        zoom = ZOOM
    zoom = zoom if 3 <= zoom <= 19 else ZOOM
    try:
        lat, lon = (float(x) for x in str(query.get("c") or "").split(",")[:2])
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return (lat, lon), zoom
    except ValueError:
        pass  # no centre, or a tampered one: the park's middle
    lon, lat = to_crs(*park_centre(), settings.tile_crs)
    return (lat, lon), zoom


@requires(Permission.VIEW_SCREENS)
def layout(lang: str = "zh", **query) -> html.Div:
    lang = normalise(lang)
    specs = tuple(s for s in layers() if readable(s, current_principal()))
    themes = [s.id for s in specs if s.group == "theme"]
    asked = [x for x in str(query.get("l") or "").split(",") if x in themes]
    shown = asked if "l" in query else [s.id for s in specs if s.group == "theme" and s.shown]
    view = _view(query)
    centre, zoom = _centre(query)
    search_box = html.Div(
        [
            dcc.Input(
                id=QUERY,
                type="search",
                debounce=0.3,
                placeholder=t("map.search", lang),
                maxLength=100,
                className="form-control form-control-sm",
                autoComplete="off",
            ),  # fmt: skip
            html.Div(id=HITS, className="os-map-hits"),
        ],
        className="os-map-search",
    )
    # the shell holds the live store only for readers of records; the layers' URL callback takes
    # it as an Input, and a missing Input stops that callback (a viewer's map drew no layer)
    no_live = [] if current_principal().can(Permission.READ_RECORDS) else [dcc.Store(id=LIVE, data={})]
    return html.Div(
        [
            *no_live,
            dcc.Store(id=VIEW, data=view),
            dcc.Store(id=META, data=meta(specs, get_services().settings, zoom)),
            dcc.Store(id=URL_SINK),
            dcc.Store(id="map-hit-data"),
            dcc.Interval(id=TICK, interval=TICK_S * 1000),
            html.Div(
                [
                    layer_list.panel(specs, view, shown, lang),
                    html.Div(
                        [map_component(specs, get_services().settings, centre, zoom), search_box],
                        className="os-map-canvas",
                    ),  # fmt: skip
                    html.Aside(id=SIDE, className="os-map-side"),
                ],
                id=PAGE,
                className="os-map-page",
            ),
        ],
        className="os-page os-map",
    )


clientside_callback(
    ClientsideFunction(namespace="osMap", function_name="layerUrls"),
    Output({"type": LAYER, "layer": ALL}, "url"),
    Input(layer_list.SHOWN, "value"),
    Input(VIEW, "data"),
    Input(MAP, "zoom"),  # written by trackViewport on each move (viewport only moves the map)
    Input(LIVE, "data"),
    Input(TICK, "n_intervals"),
    State(META, "data"),
)
clientside_callback(
    ClientsideFunction(namespace="osMap", function_name="keepUrl"),
    Output(URL_SINK, "data"),
    Input(MAP, "center"),
    Input(MAP, "zoom"),
    Input(layer_list.SHOWN, "value"),
    Input(VIEW, "data"),
)


@callback(
    Output(VIEW, "data"),
    Input(layer_list.RANGE, "value"),
    Input({"type": layer_list.FILTER, "layer": ALL, "field": ALL}, "value"),
    State(VIEW, "data"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def on_view(rng: Any, _values: Any, view: Any):
    """The range and the filters as the controls set them (unknown ones dropped)."""
    view = dict(view) if isinstance(view, dict) else {}
    if isinstance(rng, str) and rng in RANGES:
        view["range"] = rng
    filters: dict[str, dict[str, str]] = {}
    listed = ctx.inputs_list[1] if len(ctx.inputs_list) > 1 and isinstance(ctx.inputs_list[1], list) else []
    for item in listed:  # a tampered request may send anything here
        if not isinstance(item, dict) or not isinstance(item.get("id"), dict):
            continue
        ident, value = item["id"], item.get("value")
        spec = spec_of(str(ident.get("layer")))
        if spec is not None and ident.get("field") in spec.filters and isinstance(value, str) and value:
            filters.setdefault(spec.id, {})[ident["field"]] = value[:64]
    view["filters"] = filters
    return view


@callback(
    Output("map-layer-states", "children"),
    Input(VIEW, "data"),
    Input(layer_list.SHOWN, "value"),
    Input(TICK, "n_intervals"),
    State("shell-lang", "value"),
)
@requires(Permission.VIEW_SCREENS)
def on_layer_states(view: Any, shown: Any, _tick: Any, lang: Any):
    """Each thematic layer's count, legend, filters and state, as the map draws them."""
    lang = normalise(lang)
    view = view if isinstance(view, dict) else {}
    shown = [s for s in shown if isinstance(s, str)] if isinstance(shown, list) else []
    services = get_services()
    try:
        span = map_period(
            view.get("range"), _now(), services.settings.zone, _day(view.get("from")), _day(view.get("to"))
        )
    except PeriodError as exc:
        return html.P(t("map.range.bad", lang, reason=str(exc)), className="os-map-broken")
    scope = _scope()
    filters = view.get("filters") if isinstance(view.get("filters"), dict) else {}
    specs = tuple(s for s in layers() if readable(s, current_principal()))
    drawn, counts = {}, {}
    for spec in specs:
        if spec.group == "theme":
            computed = layer_state(spec.id, scope, span, filters.get(spec.id))
            drawn[spec.id], counts[spec.id] = computed.value.meta, computed.value.count
    return layer_list.entries(specs, drawn, counts, shown, filters, lang)


def _trigger() -> tuple[Any, Any]:
    """The pattern id and value that triggered the callback, or (None, None) for a request whose
    trigger is not one (Dash's ctx.triggered_id raises on a malformed id: a tampered request)."""
    triggered = ctx.triggered[0] if ctx.triggered and isinstance(ctx.triggered[0], dict) else {}
    prop_id = str(triggered.get("prop_id") or "")
    raw_id = prop_id.rsplit(".", 1)[0]
    try:
        ident = json.loads(raw_id) if raw_id.startswith("{") else None
    except ValueError:
        return None, None
    return ident, triggered.get("value")


def _day(raw: Any) -> date | None:
    """A custom range's day from the address (None when it is not one: the range says so)."""
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


@callback(
    Output(SIDE, "children"),
    Output(PAGE, "className"),
    Input({"type": LAYER, "layer": ALL}, "clickData"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def on_click(_clicks: Any, lang: Any):
    """The clicked feature's panel; a cluster (no id of its own) zooms in instead."""
    lang = normalise(lang)
    trigger, clicked = _trigger()
    spec = spec_of(str(trigger.get("layer"))) if isinstance(trigger, dict) else None
    if spec is None or not readable(spec, current_principal()) or not isinstance(clicked, dict):
        return no_update, no_update
    props = clicked.get("properties") if isinstance(clicked.get("properties"), dict) else {}
    if props.get("cluster"):
        return no_update, no_update
    # dash-leaflet writes its own `cluster` flag and the feature's index in the layer as `id`
    # into the properties; the panel's id row is the feature's own id (clickData's `id`)
    props = {k: v for k, v in props.items() if k not in ("cluster", "id")}
    content = side_panel(spec, {**clicked, "properties": props}, _scope(), lang)
    if spec.source.contract == "sensors":
        content.append(sensor_chart(str(clicked.get("id") or "")[:128], lang))
    close = html.Button(html.I(className="bi bi-x-lg"), id="map-side-close", className="btn btn-sm btn-link float-end",
                        title=t("map.close", lang))  # fmt: skip
    return [close, *content], "os-map-page os-map-with-side"


@callback(
    Output(PAGE, "className", allow_duplicate=True),
    Input("map-side-close", "n_clicks"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def on_close(clicks: Any):
    return "os-map-page" if clicks else no_update


@callback(
    Output(HITS, "children"),
    Output("map-hit-data", "data"),
    Input(QUERY, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def on_search(q: Any, lang: Any):
    """What the box finds (places, streets, enterprises; case ids for readers of records)."""
    lang = normalise(lang)
    if not isinstance(q, str) or not q.strip():
        return [], []
    hits = search(
        q[:100], _scope(), lang, limit=8, with_cases=current_principal().can(Permission.READ_RECORDS)
    )
    if not hits:
        return html.Div(t("map.search.none", lang), className="os-map-hit text-body-secondary"), []
    crs = get_services().settings.tile_crs
    data = []
    for hit in hits:
        if hit.lon is None or hit.lat is None:
            continue
        lon, lat = to_crs(hit.lon, hit.lat, crs)
        data.append({"center": [lat, lon], "zoom": hit.zoom})
    buttons = [
        html.Button([hit.label, html.Small(hit.detail)], id={"type": HIT, "i": i}, className="os-map-hit")
        for i, hit in enumerate(h for h in hits if h.lon is not None and h.lat is not None)
    ]
    return buttons, data


@callback(
    Output(MAP, "viewport"),
    Output(HITS, "children", allow_duplicate=True),
    Input({"type": HIT, "i": ALL}, "n_clicks"),
    State("map-hit-data", "data"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def on_hit(clicks: Any, data: Any):
    """Fly to the chosen hit."""
    trigger, _value = _trigger()
    if not isinstance(trigger, dict) or not any(clicks or []) or not isinstance(data, list):
        return no_update, no_update
    i = trigger.get("i")
    if not isinstance(i, int) or not 0 <= i < len(data):
        return no_update, no_update
    hit = data[i] if isinstance(data[i], dict) else {}
    centre, zoom = hit.get("center"), hit.get("zoom")
    if not (
        isinstance(centre, list) and len(centre) == 2 and all(isinstance(c, int | float) for c in centre)
    ):
        return no_update, no_update
    zoom = zoom if isinstance(zoom, int | float) and 3 <= zoom <= 19 else 17
    return {"center": centre, "zoom": zoom, "transition": "flyTo"}, []
