"""The one map as a wall panel: the park's base drawing and its theme layers (the catalogue's
shown ones, or `layers`), fetched from /api/v1/map/layers like the map page's, each live layer's
URL carrying the minute it was drawn, so the panel's refresh (components/panels.py) reads it
anew. Its own ids (not the map page's), so the map page's callbacks never act on it; a wall is
not worked by hand, so it takes no clicks of its own, but Leaflet measures its scale from its box,
so a scaled canvas keeps clicks and hovers on their features."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import dash_leaflet as dl
from dash import html, no_update

from components import panel_builders as pb
from components.map_view import ZOOM, layer_component
from components.panel_source import source_line
from domain.geo_crs import to_crs
from locales import t
from security.scope import Scope
from security.web_context import current_principal
from services.context import get_services
from services.freshness import late_after
from services.map_catalogue import DEFAULT_RANGE, layers, readable, spec_of
from services.map_feature_layers import park_centre

PANEL_ZOOM = ZOOM - 1  # the whole park in a panel a third of a screen wide
LIVE_CONTRACTS = frozenset({"alerts", "sensors", "cases"})
REFRESH_S = 60  # the panel's refresh (components/panels.SLOW), which imports this module
LAYER = "panel-map-layer"  # pattern-matching id type of the panel's layers
DETAIL = "panel-map-detail"  # the clicked feature's name (pages/wall_map.py)
SOURCE = "panel-map-source"  # pattern-matching id type of its source line (redrawn with the layers)
PANE_Z = 210  # above Leaflet's tile pane (200), below its overlay pane (400: the points)
POINTS = ("point", "cluster")


def _url(spec, crs: str, version: str) -> str:
    query = [f"crs={crs}"]
    if spec.source.contract == "cases":
        query.append(f"range={DEFAULT_RANGE}")
    if spec.id in LIVE_CONTRACTS or spec.source.contract in LIVE_CONTRACTS:
        query.append(f"v={version}")
    return f"/api/v1/map/layers/{spec.id}?" + "&".join(query)


def _view(params: Mapping[str, Any], crs: str) -> dict[str, Any]:
    """The park's centre at the layout's `zoom` (default PANEL_ZOOM). (Fitting the park's box to
    the panel instead, with dash-leaflet's `bounds` or `viewport`, threw in the console or was
    not applied on this version: left for later.)"""
    lon, lat = to_crs(*park_centre(), crs)
    return {"center": [lat, lon], "zoom": params.get("zoom") or PANEL_ZOOM}


def map_panel(params: Mapping[str, Any], lang: str, _scope: Scope) -> html.Section:
    settings = get_services().settings
    wanted = params.get("layers")
    zoom = params.get("zoom") or PANEL_ZOOM
    # a layer below its min_zoom is not drawn, as on the map page (assets/70-map.js); a wall's
    # map keeps its zoom, and the park's ~2,000 buildings at zoom 13 were specks that cost the
    # leaders' screen most of its first render (bench/bench_wall_render.py)
    specs = [
        s
        for s in layers()
        if readable(s, current_principal())
        and (s.min_zoom is None or zoom >= s.min_zoom)
        and (s.group == "base" or (s.id in wanted if wanted else s.shown and s.group == "theme"))
    ]
    version = datetime.now(UTC).strftime("%Y%m%d%H%M")
    children: list[Any] = []
    if settings.tile_url:
        children.append(dl.TileLayer(url=settings.tile_url, maxZoom=19, attribution=""))
    for order, spec in enumerate(specs):
        layer = layer_component(spec)
        layer.id = {"type": LAYER, "layer": spec.id}
        layer.url = _url(spec, settings.tile_crs, version)
        if spec.draw in POINTS:
            children.append(layer)
            continue
        # areas and lines each in a pane of their own under the points, stacked in the
        # catalogue's order: the layers load their data each at its own pace, and in Leaflet's
        # one overlay pane the last to arrive is drawn (and takes clicks) on top, so the overdue
        # grid cells could cover the sensors. (Points stay in the overlay pane, where the map's
        # pointToLayer puts their markers.)
        layer.pane = f"panel-map-{spec.id}"
        children.append(dl.Pane(layer, name=layer.pane, style={"zIndex": PANE_Z + order}))
    leaflet = dl.Map(
        children,
        id="panel-map",
        minZoom=11,
        maxZoom=19,
        zoomControl=False,
        attributionControl=False,
        style={"width": "100%", "height": "100%"},
        className="os-panel-map",
        **_view(params, settings.tile_crs),
    )
    # the layers shown, named under the map; the source line names where they come from and
    # when the panel drew them (each layer is read from the store as the panel asks for it)
    names = [
        html.Span(getattr(s.title, lang), className="os-panel-map-layer") for s in specs if s.group == "theme"
    ]
    source = html.Span(_source(specs, lang), id={"type": SOURCE, "panel": "map"})
    body = html.Div(
        [
            html.Div(leaflet, className="os-panel-graph-box"),
            html.Div(
                [*names, html.Span(id=DETAIL, className="os-panel-map-detail", role="status")],
                className="os-panel-map-layers",
            ),
        ],
        className="os-panel-fill",
    )
    return pb.panel(t("nav.map", lang), body, [source])


def _source(specs: list, lang: str) -> list:
    contracts = [s.source.contract or "features" for s in specs if s.source.kind != "source"]
    return source_line(
        contracts, datetime.now(UTC), False, lang, late_after(get_services().settings, REFRESH_S)
    )


def live_layer_urls(ids: list, lang: str) -> tuple[list, list]:
    """The panel's refresh (pages/wall_map.py): each layer's URL with this minute in it, so the
    live layers are read anew, and the source line with this reading's time. The map itself is
    kept: rebuilding a Leaflet map on every tick left the heap of a wall open for hours at two
    levels, depending on whether a rebuild was under way (bench/soak.py). Ids the reader may
    not read, or that name no layer (a tampered request), keep their URL."""
    version = datetime.now(UTC).strftime("%Y%m%d%H%M")
    crs = get_services().settings.tile_crs
    principal = current_principal()
    urls: list = []
    shown = []
    for item in ids:
        spec = spec_of(str(item.get("layer"))) if isinstance(item, dict) else None
        if spec is None or not readable(spec, principal):
            urls.append(no_update)
            continue
        shown.append(spec)
        urls.append(_url(spec, crs, version))
    return urls, _source(shown, lang)
