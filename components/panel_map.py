"""The one map as a wall panel: the park's base drawing and its theme layers (the catalogue's
shown ones, or `layers`). The first drawing carries each small layer's features (the collection
/api/v1/map/layers serves), so the map draws with the screen instead of asking for them once
Leaflet has mounted, the last ~0.3 s of the leaders' first render (bench/bench_wall_render.py);
a large one is fetched from its URL. After that each live layer is read from /api/v1/map/layers
like the map page's, its URL carrying the minute, so the panel's refresh (components/panels.py)
reads it anew. Its own ids (not the map page's), so the map page's callbacks never act on it; a
wall is not worked by hand, so it takes no clicks of its own, but Leaflet measures its scale
from its box, so a scaled canvas keeps clicks and hovers on their features."""

from __future__ import annotations

import gzip
import json
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
from services.map_catalogue import DEFAULT_RANGE, layers, map_period, readable, spec_of
from services.map_feature_layers import park_centre
from services.map_layers import layer as layer_features

PANEL_ZOOM = ZOOM - 1  # the whole park in a panel a third of a screen wide
LIVE_CONTRACTS = frozenset({"alerts", "sensors", "cases"})
REFRESH_S = 60  # the panel's refresh (components/panels.SLOW), which imports this module
LAYER = "panel-map-layer"  # pattern-matching id type of the panel's layers
DETAIL = "panel-map-detail"  # the clicked feature's name (pages/wall_map.py)
SOURCE = "panel-map-source"  # pattern-matching id type of its source line (redrawn with the layers)
PANE_Z = 210  # above Leaflet's tile pane (200), below its overlay pane (400: the points)
POINTS = ("point", "cluster")
# a layer whose compressed collection is at most this is carried in the panel's first drawing
# (the leaders' map: its grid, blocks, streets, sensors and alerts, 21 KB at most)
INLINE_MAX_BYTES = 48_000


def _live(spec) -> bool:
    return spec.id in LIVE_CONTRACTS or spec.source.contract in LIVE_CONTRACTS


def _url(spec, crs: str, version: str) -> str:
    query = [f"crs={crs}"]
    if spec.source.contract == "cases":
        query.append(f"range={DEFAULT_RANGE}")
    if _live(spec):
        query.append(f"v={version}")
    return f"/api/v1/map/layers/{spec.id}?" + "&".join(query)


def _features(spec, scope: Scope, crs: str) -> dict[str, Any] | None:
    """The layer's FeatureCollection as its URL would give it to this reader now (the range of a
    layer of cases as _url asks for it), or None for a large one, which is fetched from its URL:
    carried in the panel, the park's 56,550 parts made a first drawing of 650 KB that took
    seconds to send and to read, while a fetch of their compressed collection goes beside it."""
    now = datetime.now(UTC)
    cases = spec.source.contract == "cases"
    span = map_period(DEFAULT_RANGE, now, get_services().settings.zone) if cases else None
    body = layer_features(spec.id, scope, span, None, crs, now).value.body
    return json.loads(gzip.decompress(body)) if len(body) <= INLINE_MAX_BYTES else None


def _view(params: Mapping[str, Any], crs: str) -> dict[str, Any]:
    """The park's centre at the layout's `zoom` (default PANEL_ZOOM). (Fitting the park's box to
    the panel instead, with dash-leaflet's `bounds` or `viewport`, threw in the console or was
    not applied on this version: left for later.)"""
    lon, lat = to_crs(*park_centre(), crs)
    return {"center": [lat, lon], "zoom": params.get("zoom") or PANEL_ZOOM}


def map_panel(params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
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
        layer.url = _url(spec, settings.tile_crs, version)  # read when `data` is cleared (a refresh)
        layer.data = _features(spec, scope, settings.tile_crs)
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


def live_layer_urls(ids: list, lang: str) -> tuple[list, list, list]:
    """The panel's refresh (pages/wall_map.py): each live layer's URL with this minute in it and
    its first drawing's features cleared, so it is read anew from there (dash-leaflet reads the
    URL only while `data` is empty), and the source line with this reading's time. The map
    itself is kept: rebuilding a Leaflet map on every tick left the heap of a wall open for
    hours at two levels, depending on whether a rebuild was under way (bench/soak.py). Other
    layers keep what they have, as do ids the reader may not read or that name no layer (a
    tampered request)."""
    version = datetime.now(UTC).strftime("%Y%m%d%H%M")
    crs = get_services().settings.tile_crs
    principal = current_principal()
    urls: list = []
    data: list = []
    shown = []
    for item in ids:
        spec = spec_of(str(item.get("layer"))) if isinstance(item, dict) else None
        if spec is None or not readable(spec, principal):
            urls.append(no_update)
            data.append(no_update)
            continue
        shown.append(spec)
        live = _live(spec)
        urls.append(_url(spec, crs, version) if live else no_update)
        data.append(None if live else no_update)
    return urls, data, _source(shown, lang)
