"""The map's layers through /api/v1/map/layers on the demo park (SQLite): every layer drawn with
its count and legend; GeoJSON sources added by config alone, where a file that is not GeoJSON,
features of a type the layer does not draw and positions outside longitude/latitude leave their
layer broken with the reason while every other layer still draws; bodies gzip-encoded and shifted
to the tile server's system; scoping (a department head's cases are their own; a viewer gets no
layer of single records); bad parameters answered 422, never a stack trace."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest
import yaml
from apps import build_app
from signin import signed_in
from sqlalchemy import select

from store.models import Case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "geojson"
ROOT = Path(__file__).resolve().parents[2]


def _files(tmp: Path) -> tuple[Path, Path]:
    """A sources file with four GeoJSON sources beside the park store, and a layers file with a
    layer for each of them after the shipped ones."""
    sources = yaml.safe_load((ROOT / "config" / "sources.yaml").read_text(encoding="utf-8"))
    projected = tmp / "projected.geojson"  # metres of a projected system, not degrees
    projected.write_text(json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [500000, 4200000]},
                                     "properties": {"name": "far"}}))  # fmt: skip
    files = {
        "bad-json": FIXTURES / "bad" / "bad-json.geojson",
        "lines": FIXTURES / "good" / "good-linestring.geojson",
        "projected": projected,
        "points": FIXTURES / "good" / "good-featurecollection.geojson",
    }
    for name, path in files.items():
        sources["sources"][name] = {"adapter": "geojson", "title": {"zh": name, "en": name}, "serves": [],
                                    "options": {"path": str(path), "layer": name}}  # fmt: skip
    sources_file = tmp / "sources.yaml"
    sources_file.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    layers = yaml.safe_load((ROOT / "config" / "map_layers.yaml").read_text(encoding="utf-8"))
    for name in files:
        layers["layers"][name.replace("-", "_")] = {"title": {"zh": name, "en": name}, "from": {"source": name},
                                                   "draw": "point", "geometry": ["Point"]}  # fmt: skip
    layers_file = tmp / "map_layers.yaml"
    layers_file.write_text(yaml.safe_dump(layers, allow_unicode=True), encoding="utf-8")
    return sources_file, layers_file


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("map")
    sources_file, layers_file = _files(tmp)
    return build_app(
        tmp, demo_cases=3000, demo_live=False, sources_file=sources_file, map_layers_file=layers_file
    )


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")[0]


@pytest.fixture(scope="module")
def listing(leader):
    response = leader.get("/api/v1/map/layers?range=365d")
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return {layer["id"]: layer for layer in response.get_json()["layers"]}


def _body(client, path: str, **headers) -> dict:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    raw = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def test_every_shipped_layer_draws_with_its_count_and_legend(listing):
    assert listing["grid_cells"]["count"] == 636 and listing["grid_cells"]["broken"] is None
    assert sum(e["count"] for e in listing["grid_cells"]["legend"]) == 636  # every cell in a band
    assert listing["parts"]["count"] > 50_000 and listing["part_lines"]["count"] > 0
    assert listing["parts"]["refused_count"] == 0  # the linear parts are the other layer's, not refused
    assert {e["key"] for e in listing["parts"]["legend"]} >= {"01", "02", "03", "04"}
    assert listing["sensors"]["count"] == sum(e["count"] for e in listing["sensors"]["legend"]) > 0
    assert listing["cases"]["count"] > 0 and listing["case_heat"]["total"] == listing["cases"]["total"]
    assert listing["enterprises"]["count"] > 0 and listing["cameras"]["count"] > 0
    for layer in ("boundary", "blocks", "buildings", "streets", "alerts", "hotspots", "grid_overdue"):
        assert listing[layer]["broken"] is None, (layer, listing[layer]["broken"])


def test_bad_sources_break_their_own_layer_with_the_reason_and_the_good_one_draws(listing):
    assert listing["bad_json"]["count"] == 0 and listing["bad_json"]["broken"]
    assert "JSON" in listing["bad_json"]["broken"] or "json" in listing["bad_json"]["broken"]
    assert (
        listing["lines"]["broken"]
        and "a LineString where this layer draws Point" in listing["lines"]["broken"]
    )
    assert listing["projected"]["broken"] and "outside longitude" in listing["projected"]["broken"]
    good = listing["points"]
    assert good["broken"] is None and good["count"] >= 1
    # the mixed collection's non-points are refused one by one with their reason
    assert good["refused_count"] == len(good["refused"]) and all(r[1] for r in good["refused"])


def test_a_layer_body_is_gzip_geojson_and_plain_when_not_accepted(leader):
    zipped = leader.get("/api/v1/map/layers/grid_cells", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.mimetype == "application/geo+json"
    plain = leader.get("/api/v1/map/layers/grid_cells")
    assert "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(zipped.get_data())) == json.loads(plain.get_data())
    body = json.loads(plain.get_data())
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 636
    assert all(f["properties"]["k"].startswith("b") and "n" in f["properties"] for f in body["features"])


def test_the_tile_servers_system_shifts_every_position(leader):
    wgs = {f["id"]: f for f in _body(leader, "/api/v1/map/layers/cameras")["features"]}
    gcj = {f["id"]: f for f in _body(leader, "/api/v1/map/layers/cameras?crs=gcj02")["features"]}
    assert wgs.keys() == gcj.keys()
    for fid, feature in wgs.items():
        (lon0, lat0), (lon1, lat1) = feature["geometry"]["coordinates"], gcj[fid]["geometry"]["coordinates"]
        metres = math.hypot((lon1 - lon0) * 111_320 * math.cos(math.radians(lat0)), (lat1 - lat0) * 111_320)
        assert 100 < metres < 700  # GCJ-02 moves Shijiazhuang by a few hundred metres


def test_filters_keep_only_the_features_named(leader, listing):
    body = _body(leader, "/api/v1/map/layers/parts?where=class_code:02")
    roads = next(e["count"] for e in listing["parts"]["legend"] if e["key"] == "02")
    colour = next(e["css"] for e in listing["parts"]["legend"] if e["key"] == "02")
    assert len(body["features"]) == roads and {f["properties"]["k"] for f in body["features"]} == {colour}


@pytest.mark.parametrize(
    "query",
    [
        "parts?where=colour:red",  # not a filter of the layer
        "parts?where=class_code",  # no value
        "cases?range=forever",
        "cases?range=custom&from=2026-03-01&to=2026-01-01",  # inverted
        "cases?range=custom&from=2026-01-01",  # half a range
        "cases?crs=epsg3857",
        "cases?range=7d&range=30d",  # given twice
        "cases?where=" + "x" * 500,
    ],
)
def test_bad_parameters_are_422_with_a_message(leader, query):
    response = leader.get(f"/api/v1/map/layers/{query}")
    assert response.status_code == 422, (query, response.status_code)
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_unknown_layer_is_404(leader):
    assert leader.get("/api/v1/map/layers/no_such_layer").status_code == 404


def test_a_department_head_sees_their_own_cases_and_not_anothers(app):
    head, _csrf = signed_in(app, "department_head")
    ids = [f["id"] for f in _body(head, "/api/v1/map/layers/cases?range=365d")["features"]]
    assert ids
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as c:
        departments = set(c.execute(select(Case.department).where(Case.id.in_(ids))).scalars())
    assert departments == {"urban_management"}
    assert head.get("/api/v1/map/layers?department=ecology_environment").status_code == 403


def test_a_viewer_gets_no_layer_of_single_records(app):
    viewer, _csrf = signed_in(app, "viewer")
    listed = {layer["id"] for layer in viewer.get("/api/v1/map/layers").get_json()["layers"]}
    assert "cases" not in listed and "hotspots" not in listed and "case_heat" in listed
    assert viewer.get("/api/v1/map/layers/cases").status_code == 404
