"""The one map's Leaflet view: the park's own vector data as the base drawing (no tile server
needed: intranet first), the intranet tile server and WMS when the settings name them, and one
GeoJSON layer per catalogue entry, fetched by URL from /api/v1/map/layers (the page's clientside
callback sets each URL: empty while a layer is switched off). Points of dense layers are grouped
in clusters by dash-leaflet's supercluster as the map zooms out; the drawing functions live in
assets/70-map.js, referenced by name (no inline script under the Content-Security-Policy)."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl

from config.settings import Settings
from domain.map_layers import LayerSpec

LAYER = "os-map-layer"  # pattern-matching id type of the layers: {"type": LAYER, "layer": id}
MAP = "map-leaflet"
ZOOM = 14  # the whole park (about 8 km across) on a desk's screen
LIVE = frozenset({"alerts", "sensors", "cases"})  # drawn again on each push and tick
# Leaflet's options per drawing: line weight and fill; points' radius
LOOK = {
    "area": {"weight": 1, "fill": 0.35},
    "line": {"weight": 2, "fill": 0},
    "choropleth": {"weight": 0.6, "fill": 0.55},
    "heat": {"weight": 0, "fill": 0.7},
    "point": {"weight": 1.5, "radius": 6},
    "cluster": {"weight": 1, "radius": 5},
}


def _fn(name: str) -> dict[str, str]:
    return {"variable": f"osMap.{name}"}


def layer_component(spec: LayerSpec) -> dl.GeoJSON:
    hideout = {"layer": spec.id, **LOOK[spec.draw]}
    if spec.id == "alerts":
        hideout["radius"] = 11
    options: dict[str, Any] = {}
    if spec.draw in ("point", "cluster"):
        options["pointToLayer"] = _fn("pointToLayer")
    else:
        options["style"] = _fn("style")
    if spec.draw == "cluster":
        options |= {
            "cluster": True,
            "clusterToLayer": _fn("clusterToLayer"),
            "zoomToBoundsOnClick": True,
            "superClusterOptions": {"radius": 80, "maxZoom": 17},
        }
    return dl.GeoJSON(
        id={"type": LAYER, "layer": spec.id},
        url="",
        hideout=hideout,
        interactive=spec.group == "theme",
        bubblingMouseEvents=False,
        **options,
    )


def meta(specs: tuple[LayerSpec, ...], settings: Settings, zoom: int) -> dict[str, Any]:
    """What the clientside URL function needs to know of each layer."""
    return {
        "ids": [s.id for s in specs],
        "base": [s.id for s in specs if s.group == "base"],
        "crs": settings.tile_crs,
        "zoom": zoom,
        "layers": {
            s.id: {
                "min_zoom": s.min_zoom,
                "ranged": s.source.contract == "cases",
                "live": s.id in LIVE or s.source.contract in LIVE,
            }
            for s in specs
        },
    }


def map_component(
    specs: tuple[LayerSpec, ...], settings: Settings, center: tuple[float, float], zoom: int
) -> dl.Map:
    children: list[Any] = []
    if settings.tile_url:
        children.append(dl.TileLayer(url=settings.tile_url, maxZoom=19, attribution=""))
    if settings.wms_url and settings.wms_layers:
        children.append(
            dl.WMSTileLayer(
                url=settings.wms_url, layers=settings.wms_layers, format="image/png", transparent=True
            )
        )
    children += [layer_component(s) for s in specs]
    children.append(dl.ScaleControl(position="bottomleft", imperial=False))
    children.append(dl.ZoomControl(position="topright"))
    return dl.Map(
        children,
        id=MAP,
        center=list(center),
        zoom=zoom,
        minZoom=11,
        maxZoom=19,
        trackViewport=True,
        preferCanvas=False,  # SVG paths take the theme's CSS classes
        attributionControl=False,
        zoomControl=False,  # placed top right below: the search box holds the top left
    )
