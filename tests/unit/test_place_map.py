"""The small map beside a case: the park's features around the place, found by their bounds,
with no tile server; a place that is not one draws no map and says why."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from apps import build_app
from sqlalchemy import select

from components.place_map import place_map
from domain.geojson import bounds
from services.surroundings import surroundings
from store.models import Case

FIXTURES = Path(__file__).parents[1] / "fixtures" / "geojson"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("place-map"), demo_cases=300)


def _inside(point, box):
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_surroundings_hold_the_grid_cell_the_case_was_reported_in(app):
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as c:
        case = c.execute(
            select(Case.lon, Case.lat, Case.grid_cell).where(Case.lon.is_not(None)).limit(1)
        ).one()
    with app.server.app_context():
        around = surroundings(case.lon, case.lat)
    assert around is not None and not around.stale
    cells = {f["id"]: f for f in around.layers["grid_unit"]["features"]}
    assert case.grid_cell in cells
    assert _inside((case.lon, case.lat), bounds(cells[case.grid_cell]["geometry"]))
    assert around.count("street") > 0 and around.count("building") > 0
    # a small map labels; it does not carry the features' other properties to the browser
    assert all(set(f["properties"]) <= {"name", "name_en"} for f in cells.values())


def test_surroundings_leave_out_what_is_far_away(app):
    with app.server.app_context():
        near = surroundings(114.69, 37.99, radius_m=100)
        far = surroundings(114.69, 37.99, radius_m=2_000)
        nowhere = surroundings(0.0, 0.0)
    assert 0 < near.count("building") < far.count("building")
    assert all(nowhere.count(layer) == 0 for layer in nowhere.layers)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (float("nan"), 38.0),
        (114.7, float("inf")),
        (181.0, 38.0),
        (114.7, -91.0),
        ("114.7", 38.0),
        (None, 38.0),
    ],
)
def test_a_place_that_is_not_one_gives_no_surroundings(app, lon, lat):
    with app.server.app_context():
        assert surroundings(lon, lat) is None


def test_bounds_never_raise_on_the_faulty_geojson_files():
    files = sorted((FIXTURES / "bad").glob("*.geojson")) + sorted((FIXTURES / "good").glob("*.geojson"))
    assert len(files) > 50
    for path in files:
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        candidates = [document, document.get("geometry")] if isinstance(document, dict) else [document]
        for geometry in candidates:
            box = bounds(geometry)
            assert box is None or (box[0] <= box[2] and box[1] <= box[3])


def test_bounds_of_a_polygon_and_a_collection():
    square = {"type": "Polygon", "coordinates": [[[1, 2], [3, 2], [3, 5], [1, 5], [1, 2]]]}
    assert bounds(square) == (1, 2, 3, 5)
    both = {"type": "GeometryCollection", "geometries": [square, {"type": "Point", "coordinates": [-1, 7]}]}
    assert bounds(both) == (-1, 2, 3, 7)
    assert bounds({"type": "Point", "coordinates": []}) is None


def test_the_map_marks_the_place_its_cell_and_names_the_nearest_camera(app):
    with app.server.app_context():
        around = surroundings(114.6936, 37.9898, radius_m=400)
        drawn = place_map("m", 114.6936, 37.9898, around, "en", cell="U001")
        cameras = app.server.extensions["onescreen"].snapshots.get("features").frame
    cameras = cameras[cameras["layer"] == "camera_point"]
    distances = [
        math.hypot(
            (g["coordinates"][0] - 114.6936) * math.cos(math.radians(37.9898)), g["coordinates"][1] - 37.9898
        )
        * 111_320
        for g in cameras["geometry"]
    ]
    assert around.nearest_camera_m == pytest.approx(min(distances), rel=1e-6)
    leaflet_map = drawn.children[0]
    assert leaflet_map.center == [37.9898, 114.6936]
    assert not any(type(c).__name__ == "TileLayer" for c in leaflet_map.children)  # no tile server
    assert leaflet_map.children[-1].className == "os-map-place"
    legend = drawn.children[1].children
    assert "grid cell U001" in legend and f"{min(distances):,.0f} m" in legend
