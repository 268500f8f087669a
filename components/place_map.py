"""A small map of one place (a case's location) drawn from the park's own vector data: its grid
cells, buildings, streets and camera points around it, on the theme's background, with no tile
server (intranet first: nothing is fetched from outside the app). Colours come from CSS classes
(assets/35-place-map.css), so the wall and desk themes style it without redrawing."""

from __future__ import annotations

import dash_leaflet as dl
from dash import html

from locales import t
from services.surroundings import Surroundings

# Leaflet's own options per layer; `className` lets the theme's CSS colour the paths.
STYLE = {
    "grid_unit": {"className": "os-map-cell", "weight": 1, "fillOpacity": 0.08},
    "building": {"className": "os-map-building", "weight": 0.5, "fillOpacity": 0.35},
    "street": {"className": "os-map-street", "weight": 3},
}
OWN_CELL = {"className": "os-map-own-cell", "weight": 2.5, "fillOpacity": 0.12}
ZOOM = 16  # about 500 m across the panel's width at 1920×1080: the place, its cell and streets


def place_map(
    map_id: str, lon: float, lat: float, around: Surroundings, lang: str, cell: str | None = None
) -> html.Div:
    """The map centred on (lon, lat) with the place marked, its grid cell `cell` outlined, and a
    line saying which camera point is nearest."""
    layers = [
        dl.GeoJSON(data=around.layers[layer], style=STYLE[layer], interactive=False)
        for layer in ("grid_unit", "building", "street")
    ]
    own = [f for f in around.layers["grid_unit"]["features"] if cell and f["id"] == cell]
    if own:
        own_cell = {"type": "FeatureCollection", "features": own}
        layers.append(dl.GeoJSON(data=own_cell, style=OWN_CELL, interactive=False))
    cameras = [
        dl.CircleMarker(
            center=[f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]],
            radius=5,
            className="os-map-camera",
            children=dl.Tooltip(_name(f["properties"], lang)),
        )
        for f in around.layers["camera_point"]["features"]
        if f["geometry"].get("type") == "Point"
    ]
    place = dl.CircleMarker(center=[lat, lon], radius=9, className="os-map-place", weight=3, fillOpacity=0.9)
    legend = _legend(around, cell, lang)
    return html.Div(
        [
            dl.Map(
                [*layers, *cameras, place],
                id=map_id,
                center=[lat, lon],
                zoom=ZOOM,
                minZoom=14,
                maxZoom=19,
                zoomControl=False,
                attributionControl=False,
                scrollWheelZoom=False,
                className="os-place-map",
            ),
            html.Div(
                [legend, html.Span(t("cases.map.stale", lang), className="text-warning")]
                if around.stale
                else legend,
                className="os-place-map-legend small text-body-secondary",
            ),
        ]
    )


def _legend(around: Surroundings, cell: str | None, lang: str) -> str:
    parts = [t("cases.map.cell", lang, cell=cell)] if cell else []
    if around.nearest_camera is not None and around.nearest_camera_m is not None:
        name = _name(around.nearest_camera["properties"], lang)
        parts.append(t("cases.map.camera", lang, name=name, metres=f"{around.nearest_camera_m:,.0f}"))
    return t("cases.map.sep", lang).join(parts)


def _name(properties: dict, lang: str) -> str:
    return str(properties.get("name" if lang == "zh" else "name_en") or properties.get("name") or "")
