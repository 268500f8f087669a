"""domain.geo_crs: WGS-84 shifts into GCJ-02 and BD-09 match published reference points both ways,
leave points outside China alone, and shift GeoJSON without changing its shape or its input."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from domain.geo_crs import (
    from_crs,
    from_crs_array,
    shift_collection,
    shift_geometry,
    to_crs,
    to_crs_array,
)

# (WGS-84 lon, lat), (GCJ-02 lon, lat). From googollee/eviltransform, python/test.py (TESTS,
# which lists them as lat, lng: reordered here to lon, lat); the same values are in its
# go/transform_test.go.
EVILTRANSFORM_PAIRS = {
    "shanghai": ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    "shenzhen": ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    "beijing": ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
}
# hujiulong/gcoord, test/unit/crs/GCJ02.spec.ts ('GCJ02 to WGS84', 'GCJ02 to BD09') and
# test/unit/crs/BD09.spec.ts ('BD09 to WGS84'), all from the position [123, 45].
GCOORD_GCJ02_123_45_AS_WGS84 = (122.99395597, 44.99804071)
GCOORD_GCJ02_123_45_AS_BD09 = (123.00636499, 45.00636899)
GCOORD_BD09_123_45_AS_WGS84 = (122.98762210, 44.99171540)

TOLERANCE_DEG = 1e-6  # about 0.1 m
SHIJIAZHUANG = (114.70, 38.00)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return 6_371_008.8 * math.hypot(dx, dy)


def _close(got: tuple[float, float], want: tuple[float, float], tol: float = TOLERANCE_DEG) -> bool:
    return abs(got[0] - want[0]) < tol and abs(got[1] - want[1]) < tol


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS.values(), ids=EVILTRANSFORM_PAIRS.keys())
def test_wgs84_to_gcj02_matches_published_reference_points(wgs, gcj):
    assert _close(to_crs(*wgs, "gcj02"), gcj)
    # The published values carry full double precision, so the same formula reproduces them far
    # closer than 0.1 m; this catches a wrong constant (WGS-84's a instead of Krasovsky's moves
    # them by only 1e-7 degrees).
    assert _close(to_crs(*wgs, "gcj02"), gcj, tol=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS.values(), ids=EVILTRANSFORM_PAIRS.keys())
def test_gcj02_to_wgs84_recovers_published_reference_points(wgs, gcj):
    back = from_crs(*gcj, "gcj02")
    assert _close(back, wgs)
    assert _close(to_crs(*back, "gcj02"), gcj)


def test_gcj02_to_wgs84_matches_gcoord():
    assert _close(from_crs(123.0, 45.0, "gcj02"), GCOORD_GCJ02_123_45_AS_WGS84)


def test_bd09_to_wgs84_matches_gcoord():
    assert _close(from_crs(123.0, 45.0, "bd09"), GCOORD_BD09_123_45_AS_WGS84)


def test_wgs84_to_bd09_matches_gcoord_through_gcj02():
    wgs = from_crs(123.0, 45.0, "gcj02")
    assert _close(to_crs(*wgs, "bd09"), GCOORD_GCJ02_123_45_AS_BD09)


def test_bd09_round_trip_is_within_baidus_published_inverse():
    # Baidu's published BD-09 -> GCJ-02 formula is an approximate inverse (about 0.2 m).
    assert _close(to_crs(*GCOORD_BD09_123_45_AS_WGS84, "bd09"), (123.0, 45.0), tol=3e-6)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_point_outside_china_is_unchanged(crs):
    paris = (2.3522, 48.8566)
    assert to_crs(*paris, crs) == paris
    assert from_crs(*paris, crs) == paris


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000"])
def test_wgs84_and_cgcs2000_are_identity(crs):
    assert to_crs(*SHIJIAZHUANG, crs) == SHIJIAZHUANG
    assert from_crs(*SHIJIAZHUANG, crs) == SHIJIAZHUANG


def test_shijiazhuang_moves_a_few_hundred_metres_under_gcj02():
    assert 100 < _metres(SHIJIAZHUANG, to_crs(*SHIJIAZHUANG, "gcj02")) < 700


def test_unknown_crs_is_rejected():
    with pytest.raises(ValueError, match="epsg3857"):
        to_crs(*SHIJIAZHUANG, "epsg3857")


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_array_form_agrees_with_scalar_form(crs):
    rng = np.random.default_rng(20261207)
    lon = rng.uniform(74.0, 135.0, 500)
    lat = rng.uniform(18.0, 53.0, 500)
    lon[:5] = [2.35, -74.0, 140.0, 100.0, 72.0]  # a few outside the China box
    lat[:5] = [48.86, 40.7, 35.0, 60.0, 30.0]
    out_lon, out_lat = to_crs_array(lon, lat, crs)
    back_lon, back_lat = from_crs_array(out_lon, out_lat, crs)
    for i in range(lon.size):
        assert (out_lon[i], out_lat[i]) == pytest.approx(to_crs(lon[i], lat[i], crs), abs=1e-12)
        assert (back_lon[i], back_lat[i]) == pytest.approx(from_crs(out_lon[i], out_lat[i], crs), abs=1e-9)


def test_gcj02_round_trip_is_within_a_tenth_of_a_metre_across_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74.0, 135.0, 56_801)
    lat = rng.uniform(18.0, 53.0, 56_801)
    back_lon, back_lat = from_crs_array(*to_crs_array(lon, lat, "gcj02"), "gcj02")
    assert np.max(np.abs(back_lon - lon)) < TOLERANCE_DEG
    assert np.max(np.abs(back_lat - lat)) < TOLERANCE_DEG


SQUARE = [[114.60, 38.00], [114.61, 38.00], [114.61, 38.01], [114.60, 38.01], [114.60, 38.00]]
GEOMETRIES = {
    "Point": {"type": "Point", "coordinates": [114.70, 38.00, 80.5]},
    "MultiPoint": {"type": "MultiPoint", "coordinates": [[114.70, 38.00], (114.71, 38.01)]},
    "LineString": {"type": "LineString", "coordinates": [[114.70, 38.00, 1.0], [114.71, 38.01, 2.0]]},
    "MultiLineString": {"type": "MultiLineString", "coordinates": [[[114.70, 38.00], [114.71, 38.01]]]},
    "Polygon": {"type": "Polygon", "coordinates": [SQUARE]},
    "MultiPolygon": {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},
    "GeometryCollection": {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [114.70, 38.00]},
            {"type": "GeometryCollection", "geometries": [{"type": "LineString", "coordinates": SQUARE}]},
        ],
    },
}


def _is_position(value) -> bool:
    return isinstance(value, list | tuple) and bool(value) and isinstance(value[0], int | float)


def _shape(node):
    """The geometry with each position replaced by its length: what a shift must not change."""
    if isinstance(node, dict):
        return {k: _shape(v) if k in ("coordinates", "geometries") else v for k, v in node.items()}
    if _is_position(node):
        return len(node)
    return [_shape(part) for part in node]


def _positions(node):
    if isinstance(node, dict):
        yield from _positions(node.get("coordinates", node.get("geometries")))
    elif _is_position(node):
        yield node
    else:
        for part in node:
            yield from _positions(part)


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_shift_geometry_keeps_structure_and_altitude_and_shifts_every_position(geometry):
    original = copy.deepcopy(geometry)
    shifted = shift_geometry(geometry, "gcj02")
    assert geometry == original
    assert _shape(shifted) == _shape(geometry)
    pairs = list(zip(_positions(geometry), _positions(shifted), strict=True))
    assert pairs
    for before, after in pairs:
        assert list(after[2:]) == list(before[2:])
        assert (after[0], after[1]) == pytest.approx(to_crs(before[0], before[1], "gcj02"), abs=1e-12)
        assert (after[0], after[1]) != (before[0], before[1])


def test_shift_geometry_returns_a_new_object_that_shares_no_lists():
    geometry = copy.deepcopy(GEOMETRIES["Polygon"])
    shifted = shift_geometry(geometry, "bd09")
    shifted["coordinates"][0][0][0] = 0.0
    assert geometry == GEOMETRIES["Polygon"]


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000"])
def test_identity_crs_returns_the_input_itself(crs):
    geometry = GEOMETRIES["Polygon"]
    collection = {"type": "FeatureCollection", "features": []}
    assert shift_geometry(geometry, crs) is geometry
    assert shift_collection(collection, crs) is collection


def test_shift_geometry_rejects_an_unknown_type():
    with pytest.raises(ValueError, match="Circle"):
        shift_geometry({"type": "Circle", "coordinates": [114.7, 38.0]}, "gcj02")


def test_shift_collection_shifts_each_feature_and_keeps_null_geometries():
    collection = {
        "type": "FeatureCollection",
        "name": "sensors",
        "features": [
            {"type": "Feature", "id": "a", "properties": {"kind": "aq"}, "geometry": GEOMETRIES["Point"]},
            {"type": "Feature", "id": "b", "properties": {}, "geometry": None},
            {"type": "Feature", "id": "c", "properties": {}, "geometry": GEOMETRIES["MultiPolygon"]},
        ],
    }
    original = copy.deepcopy(collection)
    shifted = shift_collection(collection, "gcj02")
    assert collection == original
    assert shifted["name"] == "sensors"
    assert [f["id"] for f in shifted["features"]] == ["a", "b", "c"]
    assert shifted["features"][0]["properties"] == {"kind": "aq"}
    assert shifted["features"][0]["geometry"] == shift_geometry(GEOMETRIES["Point"], "gcj02")
    assert shifted["features"][1]["geometry"] is None
    assert shifted["features"][2]["geometry"] == shift_geometry(GEOMETRIES["MultiPolygon"], "gcj02")
