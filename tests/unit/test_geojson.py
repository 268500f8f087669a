"""domain.geojson: a bad geometry gets a reason; what RFC 7946 lets a reader accept is accepted."""

from __future__ import annotations

import math

import pytest

from domain.geojson import bbox_problem, geometry_problem

SQUARE = [[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]]
HOLE = [[100.2, 0.2], [100.2, 0.8], [100.8, 0.8], [100.8, 0.2], [100.2, 0.2]]

VALID = {
    "point": {"type": "Point", "coordinates": [114.6, 38.0]},
    "point with altitude": {"type": "Point", "coordinates": [114.6, 38.0, 80.5]},
    "integer coordinates": {"type": "Point", "coordinates": [0, 0]},
    "multipoint": {"type": "MultiPoint", "coordinates": [[100.0, 0.0], [101.0, 1.0]]},
    "linestring": {"type": "LineString", "coordinates": [[100.0, 0.0], [101.0, 1.0]]},
    "multilinestring": {"type": "MultiLineString", "coordinates": [[[100.0, 0.0], [101.0, 1.0]]]},
    "polygon": {"type": "Polygon", "coordinates": [SQUARE]},
    "polygon with hole": {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
    "multipolygon": {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE, HOLE]]},
    "geometrycollection": {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [1, 2]},
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        ],
    },
    "empty geometrycollection": {"type": "GeometryCollection", "geometries": []},
    "foreign members": {"type": "Point", "coordinates": [1, 2], "custom": True},
    "bbox 2D": {"type": "Point", "coordinates": [1, 2], "bbox": [1, 2, 1, 2]},
    "bbox 3D": {"type": "Point", "coordinates": [1, 2, 3], "bbox": [1, 2, 3, 1, 2, 3]},
    # what RFC 7946 asks of writers, not readers
    "clockwise exterior ring (§3.1.6)": {"type": "Polygon", "coordinates": [list(reversed(SQUARE))]},
    "four-element position (§3.1.1)": {"type": "Point", "coordinates": [2, 4, 6, 8]},
    "single-part geometrycollection (§3.1.8)": {
        "type": "GeometryCollection",
        "geometries": [{"type": "Point", "coordinates": [100.0, 0.0]}],
    },
    "nested geometrycollection (§3.1.8)": {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}]}
        ],
    },
    "coordinates beyond ±180/±90 (no range in the RFC)": {"type": "Point", "coordinates": [-259.59, -134.46]},
}

INVALID = {
    "not an object": ([1, 2], "geometry must be a JSON object"),
    "null": (None, "geometry must be a JSON object"),
    "no type": ({"coordinates": [1, 2]}, "unknown geometry type None"),
    "unknown type": ({"type": "Circle", "coordinates": [1, 2]}, "unknown geometry type 'Circle'"),
    "wrong case": ({"type": "point", "coordinates": [1, 2]}, "types are case-sensitive: 'Point'"),
    "Feature is not a geometry": (
        {"type": "Feature", "geometry": None},
        "must not contain a 'geometry' member",
    ),
    "no coordinates": ({"type": "Point"}, "Point has no 'coordinates'"),
    "too few elements": ({"type": "Point", "coordinates": [2]}, "coordinates is not a position"),
    "string element": ({"type": "Point", "coordinates": ["foo", 2]}, "coordinates is not a position"),
    "boolean element": ({"type": "Point", "coordinates": [True, 2]}, "coordinates is not a position"),
    "NaN element": ({"type": "Point", "coordinates": [math.nan, 2]}, "coordinates is not a position"),
    "infinite element": ({"type": "Point", "coordinates": [math.inf, 2]}, "coordinates is not a position"),
    "coordinates a string": ({"type": "Point", "coordinates": "foo"}, "coordinates is not a position"),
    "multipoint not nested": (
        {"type": "MultiPoint", "coordinates": [0, 0]},
        "coordinates[0] is not a position",
    ),
    "multipoint nested too deep": (
        {"type": "MultiPoint", "coordinates": [[[0, 0], [0, 0]]]},
        "coordinates[0] is not a position",
    ),
    "polygon of numbers": ({"type": "Polygon", "coordinates": [5]}, "coordinates[0] must be an array"),
    "short line": (
        {"type": "LineString", "coordinates": [[100.0, 0.0]]},
        "a LineString needs at least 2 positions",
    ),
    "short line in multi": (
        {"type": "MultiLineString", "coordinates": [[[100, 0], [101, 1]], [[102, 2]]]},
        "coordinates[1]: a LineString needs at least 2 positions",
    ),
    "short ring": (
        {"type": "Polygon", "coordinates": [[[100, 0], [101, 0], [100, 0]]]},
        "polygon 0 ring 0: a linear ring needs at least 4 positions",
    ),
    "open ring": (
        {"type": "Polygon", "coordinates": [[[100, 0], [101, 0], [101, 1], [100, 1]]]},
        "polygon 0 ring 0: a linear ring's first and last positions must be equal",
    ),
    "ring closed in 2D but not 3D": (
        {
            "type": "MultiPolygon",
            "coordinates": [[SQUARE], [[[100, 0], [100, 1], [101, 1], [101, 0], [100, 0, 4.9]]]],
        },
        "polygon 1 ring 0: a linear ring's first and last positions must be equal",
    ),
    "polygon without rings": ({"type": "MultiPolygon", "coordinates": [[]]}, "polygon 0 has no rings"),
    "collection without geometries": ({"type": "GeometryCollection"}, "needs a 'geometries' array"),
    "collection of false": (
        {"type": "GeometryCollection", "geometries": [False]},
        "geometries[0]: geometry must be a JSON object",
    ),
    "bad member of collection": (
        {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1]}]},
        "geometries[0]: coordinates is not a position",
    ),
    "properties member (§7.1)": (
        {"type": "Point", "coordinates": [1, 2], "properties": {}},
        "a geometry must not contain a 'properties' member",
    ),
    "features member (§7.1)": (
        {"type": "Point", "coordinates": [1, 2], "features": []},
        "a geometry must not contain a 'features' member",
    ),
    "bbox of three": (
        {"type": "Point", "coordinates": [2, 2], "bbox": [1, 2, 3]},
        "4 (2D) or 6 (3D) numbers, not 3",
    ),
    "bbox with a string": (
        {"type": "Point", "coordinates": [2, 2], "bbox": [1, 2, 3, "4"]},
        "every element of bbox must be a finite number",
    ),
    "bbox a string": ({"type": "Point", "coordinates": [2, 2], "bbox": "string"}, "not a string"),
}


@pytest.mark.parametrize("geometry", VALID.values(), ids=VALID.keys())
def test_valid_geometries_have_no_problem(geometry):
    assert geometry_problem(geometry) is None


@pytest.mark.parametrize(("geometry", "expected"), INVALID.values(), ids=INVALID.keys())
def test_invalid_geometries_are_named(geometry, expected):
    problem = geometry_problem(geometry)
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "anything",
    [
        "Point",
        42,
        {"type": None},
        {"type": "Polygon", "coordinates": None},
        {"type": "Polygon", "coordinates": [[None]]},
        {"type": "MultiPolygon", "coordinates": [[[[1, 2]] * 3, "x"]]},
        {"type": "GeometryCollection", "geometries": {"a": 1}},
        {"type": "LineString", "coordinates": {}},
    ],
    ids=repr,
)
def test_never_raises(anything):
    assert isinstance(geometry_problem(anything), str)


def test_bbox_problem():
    assert bbox_problem([1, 2, 3, 4]) is None
    assert bbox_problem((1, 2, 3, 4, 5, 6)) is None
    assert bbox_problem([1, 2, 3, 4, 5]) == "bbox must have 4 (2D) or 6 (3D) numbers, not 5"
    assert bbox_problem([1, 2, 3, True]) == "every element of bbox must be a finite number"
    assert bbox_problem({"w": 1}) == "bbox must be an array of numbers, not an object"
