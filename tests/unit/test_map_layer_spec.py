"""The map's layer catalogue (domain/map_layers.py): the shipped file parses; a malformed entry is
refused with a message naming the layer and the key; a feature a layer cannot draw is refused
with its reason (the real valid and invalid GeoJSON files of ../shared/data/geojson)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from domain.map_layers import LayerSpecError, check_sources, feature_problem, out_of_range, parse_layers
from services.map_catalogue import LAYERS_FILE, load_layers

GEOJSON = Path(__file__).resolve().parent.parent / "fixtures" / "geojson"  # ../shared/data/geojson, copied
GOOD = {"id": "x", "title": {"zh": "层", "en": "Layer"}, "from": {"features": "poi"}, "draw": "point",
        "geometry": ["Point"]}  # fmt: skip


def _one(**changes):
    entry = {k: v for k, v in {**GOOD, **changes}.items() if v is not None and k != "id"}
    return parse_layers({"layers": {"x": entry}})


def test_the_shipped_catalogue_parses_with_every_kind_of_layer():
    specs = load_layers(LAYERS_FILE)
    draws = {s.draw for s in specs}
    assert {"area", "line", "point", "cluster", "choropleth", "heat"} <= draws
    assert {s.source.contract for s in specs} >= {"cases", "sensors", "alerts", "enterprises", "hotspots"}
    assert len({s.id for s in specs}) == len(specs)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"draw": "pie"}, "draw"),
        ({"geometry": ["Polygon"]}, "cannot draw Polygon"),
        ({"draw": "choropleth", "geometry": ["Polygon"]}, "needs a measure"),
        ({"measure": "open_cases"}, "needs a measure, and only a choropleth"),
        ({"from": {"features": "poi", "contract": "cases"}}, "exactly one"),
        ({"from": {"contract": "weather"}}, "from.contract"),
        ({"draw": "heat", "geometry": ["Polygon"]}, "heat layer draws cases"),
        ({"colour": "red"}, "colour"),
        ({"title": {"zh": "层"}}, "title.en"),
        ({"from": {"contract": "sensors"}, "keep": ["name"]}, "drop keep"),
    ],
)
def test_a_malformed_entry_names_its_layer_and_key(changes, words):
    with pytest.raises(LayerSpecError) as caught:
        _one(**changes)
    assert "map layer 'x'" in str(caught.value) and words in str(caught.value)


def test_a_file_without_layers_and_an_entry_that_is_not_a_mapping_are_refused():
    with pytest.raises(LayerSpecError, match="non-empty `layers:`"):
        parse_layers({"layer": {}})
    with pytest.raises(LayerSpecError, match="'x': an entry is a mapping"):
        parse_layers({"layers": {"x": ["point"]}})


def test_a_layer_naming_an_unknown_source_stops_start_up():
    specs = parse_layers(
        {"layers": {"x": {**{k: v for k, v in GOOD.items() if k != "id"}, "from": {"source": "nope"}}}}
    )
    with pytest.raises(LayerSpecError, match="'nope' is not a source"):
        check_sources(specs, {"park-store"})
    check_sources(specs, {"nope"})  # known: fine


def _geometries(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        return [f.get("geometry") for f in data["features"]]
    if data.get("type") == "Feature":
        return [data.get("geometry")]
    return [data]


@pytest.mark.parametrize("name", ["good-point.geojson", "good-polygon.geojson", "good-multilinestring.geojson",
                                  "good-featurecollection.geojson", "good-point-3d.geojson"])  # fmt: skip
def test_the_valid_files_features_are_drawn_by_a_layer_of_their_type(name):
    for geometry in _geometries(GEOJSON / "good" / name):
        assert feature_problem(geometry, (geometry["type"],)) is None


def test_a_broken_geometry_a_wrong_type_and_a_null_geometry_are_refused_with_reasons():
    bad = json.loads((GEOJSON / "bad" / "badcoord.geojson").read_text())
    assert "not a position" in feature_problem(bad, ("Point",))
    line = _geometries(GEOJSON / "good" / "good-linestring.geojson")[0]
    assert feature_problem(line, ("Point",)) == "a LineString where this layer draws Point"
    assert "no geometry" in feature_problem(None, ("Point",))
    nulls = _geometries(GEOJSON / "good" / "nullgeometry.geojson")
    assert all("no geometry" in feature_problem(g, ("Point",)) for g in nulls)


def test_positions_outside_longitude_and_latitude_are_refused():
    projected = {"type": "Point", "coordinates": [500000.0, 4200000.0]}  # UTM metres, not degrees
    assert out_of_range(projected) == [500000.0, 4200000.0]
    assert "outside longitude" in feature_problem(projected, ("Point",))
    swapped = {"type": "LineString", "coordinates": [[38.0, 114.7], [38.1, 114.8]]}  # lat, lon
    assert "swapped" in feature_problem(swapped, ("LineString",))
    inside = {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [114.7, 38.0]}]}
    assert out_of_range(inside) is None


def test_the_catalogue_file_is_yaml_with_a_layers_mapping():
    data = yaml.safe_load(LAYERS_FILE.read_text(encoding="utf-8"))
    assert list(data) == ["layers"]
