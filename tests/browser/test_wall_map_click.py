"""A click on the map inside a scaled wall layout lands on the feature under the pointer (issue 13,
item 1): the leaders' 4K layout draws its 1920×1080 canvas at twice the size, on a 3840×2160
window and on a 1920×1080 window at device scale 2. Where a sensor is on the screen is worked out
here, not read from the page: Web Mercator from the sensor's coordinates (the layer's own
GeoJSON, as the map reads it), the map's centre (the park boundary's box, where the panel opens)
and zoom, scaled by the canvas's scale. A real mouse click there names that sensor under the map;
two sensors far from every other point, so nothing else can take the click."""

from __future__ import annotations

import math

import pytest
from test_wall_layouts import wall_drawn, windows  # noqa: F401 - the shared windows fixture

from components.panel_map import PANEL_ZOOM

LAYERS = "/api/v1/map/layers/{}?crs=wgs84"
SENSORS = ".os-panel-map path.os-ml-sensors"


def _mercator(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """World pixel of (lon, lat) at `zoom` (256-px tiles), as Leaflet's EPSG:3857 computes it."""
    size = 256 * 2**zoom
    sin = math.sin(math.radians(lat))
    return (lon + 180) / 360 * size, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size


def _points(page, base: str, layer: str) -> list[dict]:
    answer = page.request.get(base + LAYERS.format(layer))
    assert answer.ok, answer.status
    return answer.json()["features"]


def _centre(page, base: str) -> tuple[float, float]:
    """The park boundary's box's middle (services/map_feature_layers.park_centre)."""
    xs, ys = [], []

    def corners(coords):
        if isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                corners(c)

    for feature in _points(page, base, "boundary"):
        corners(feature["geometry"]["coordinates"])
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _isolated(sensors: list[dict], others: list[dict], zoom: int, count: int) -> list[dict]:
    """The `count` sensors farthest (on the map, in pixels) from every other point."""
    every = [_mercator(*f["geometry"]["coordinates"], zoom) for f in sensors + others]

    def room(feature: dict) -> float:
        x, y = _mercator(*feature["geometry"]["coordinates"], zoom)
        return min(math.hypot(x - ox, y - oy) for ox, oy in every if (ox, oy) != (x, y))

    return sorted(sensors, key=room, reverse=True)[:count]


@pytest.mark.browser
@pytest.mark.parametrize(("size", "scale"), [((3840, 2160), 1), ((1920, 1080), 2)])
def test_a_click_on_a_sensor_in_the_scaled_leaders_layout_names_that_sensor(
    windows,  # noqa: F811
    live_server,
    shots_dir,
    size,
    scale,
):
    _context, page, errors, _offsite = windows(size, scale, "en-US")
    errors.clear()
    page.goto(live_server + "/wall/leaders-4k", wait_until="networkidle")
    wall_drawn(page)
    page.wait_for_selector(SENSORS)
    box = page.evaluate(
        """() => { const m = document.querySelector('.os-panel-map');
          const r = m.getBoundingClientRect();
          return {x: r.x, y: r.y, width: r.width, height: r.height, css: m.offsetWidth}; }"""
    )
    zoom = PANEL_ZOOM  # the leaders' layout gives its map no zoom of its own
    on_screen = box["width"] / box["css"]  # the wall's fit: the canvas drawn at this scale
    assert abs(on_screen - size[0] / 1920) < 0.01  # twice on 3840 px; as is at 200 % (the device scales)
    centre = _mercator(*_centre(page, live_server), zoom)
    sensors = _points(page, live_server, "sensors")
    for sensor in _isolated(sensors, _points(page, live_server, "alerts"), zoom, 2):
        x, y = _mercator(*sensor["geometry"]["coordinates"], zoom)
        click = (
            box["x"] + box["width"] / 2 + (x - centre[0]) * on_screen,
            box["y"] + box["height"] / 2 + (y - centre[1]) * on_screen,
        )
        page.mouse.click(*click)
        name = sensor["properties"].get("name_en") or sensor["properties"]["name"]
        page.wait_for_function(
            "(want) => document.querySelector('#panel-map-detail')?.innerText === want",
            arg=f"Sensors: {name}",
        )
    page.screenshot(path=str(shots_dir / f"wall-leaders-4k-map-click_{size[0]}x{size[1]}@{scale}.png"))
    assert errors == []
