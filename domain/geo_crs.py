"""Shift WGS-84 coordinates into the system a Chinese tile server draws in (and back), so the
park's layers land on the right street over Gaode, Tencent, Baidu or Tianditu tiles.

- ``gcj02`` (Gaode/AMap, Tencent): the public "eviltransform" formula on the Krasovsky 1940
  ellipsoid, applied only inside the usual China bounding box (identity outside it). Its inverse
  has no closed form, so it is solved by fixed-point iteration of the forward formula.
- ``bd09`` (Baidu): Baidu's published GCJ-02 <-> BD-09 formulas on top of GCJ-02, inside the
  same box.
- ``cgcs2000`` (Tianditu) and ``wgs84``: identity. CGCS2000 and WGS-84 are both ITRF-based
  geocentric systems and differ by centimetres, far below a screen pixel at any street zoom.

Scalars go through ``to_crs``/``from_crs``; arrays through ``to_crs_array``/``from_crs_array``,
which are vectorised (no Python loop per point). ``shift_geometry`` and ``shift_collection``
gather every position of a GeoJSON object into one array call.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

TileCrs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it (not WGS-84's).
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# Baidu's constant for the BD-09 rotation and scale.
_X_PI = math.pi * 3000.0 / 180.0
# The inverse GCJ-02 iteration stops when the forward shift of the estimate is this close to the
# input (degrees, about a centimetre); it converges in 2-3 steps because the shift varies by
# well under 1e-3 of the distance between nearby points.
_INVERSE_TOLERANCE_DEG = 1e-7
_INVERSE_MAX_STEPS = 20
_IDENTITY: frozenset[str] = frozenset({"wgs84", "cgcs2000"})
_KNOWN: frozenset[str] = frozenset({"wgs84", "gcj02", "bd09", "cgcs2000"})

Floats = NDArray[np.float64]


def _check_crs(crs: str) -> None:
    if crs not in _KNOWN:
        raise ValueError(f"unknown coordinate system {crs!r}; expected one of {sorted(_KNOWN)}")


def is_identity(crs: str) -> bool:
    """True when ``crs`` draws WGS-84 positions where they are (wgs84, cgcs2000).

    Raises ValueError for an unknown system."""
    _check_crs(crs)
    return crs in _IDENTITY


def _inside_china(lon: Floats, lat: Floats) -> NDArray[np.bool_]:
    # The box every public implementation uses; it also covers Korea, Japan and Mongolia, so
    # points there are shifted too, as the Chinese tile servers themselves do.
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """The GCJ-02 shift (d_lon, d_lat) in degrees at WGS-84 (lon, lat), ignoring the China box."""
    x = lon - 105.0
    y = lat - 35.0
    x_pi = x * math.pi
    y_pi = y * math.pi
    common = (20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    return d_lon, d_lat


def _wgs_to_gcj(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    inside = _inside_china(lon, lat)
    d_lon, d_lat = _gcj_offset(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def _gcj_to_wgs(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    # Fixed point of w = g - offset(w). The box is tested on the GCJ-02 input, as the public
    # implementations do; the iteration itself uses the raw offset so a point just inside the
    # border does not flip to identity half-way.
    inside = _inside_china(lon, lat)
    w_lon, w_lat = lon.copy(), lat.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        d_lon, d_lat = _gcj_offset(w_lon, w_lat)
        err_lon = w_lon + d_lon - lon
        err_lat = w_lat + d_lat - lat
        w_lon = w_lon - err_lon
        w_lat = w_lat - err_lat
        if not np.any(
            inside
            & ((np.abs(err_lon) >= _INVERSE_TOLERANCE_DEG) | (np.abs(err_lat) >= _INVERSE_TOLERANCE_DEG))
        ):
            break
    return np.where(inside, w_lon, lon), np.where(inside, w_lat, lat)


def _gcj_to_bd(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    # Baidu's published inverse. It is not the exact inverse of _gcj_to_bd (a round trip is off
    # by up to about 2e-6 degrees, 0.2 m), but it is what every other tool computes.
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _as_floats(values: ArrayLike) -> Floats:
    return np.asarray(values, dtype=np.float64)


def to_crs_array(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Floats, Floats]:
    """Shift WGS-84 longitudes and latitudes (degrees, arrays of one shape) into ``crs``.

    Returns new float64 arrays (the inputs as float64 arrays for an identity system); raises
    ValueError for an unknown system. Vectorised: one pass of numpy operations for all points."""
    _check_crs(crs)
    lon_a, lat_a = _as_floats(lon), _as_floats(lat)
    if crs in _IDENTITY:
        return lon_a, lat_a
    gcj_lon, gcj_lat = _wgs_to_gcj(lon_a, lat_a)
    if crs == "gcj02":
        return gcj_lon, gcj_lat
    # The BD-09 step is boxed like the GCJ-02 one (as eviltransform does): outside China the
    # tile servers draw WGS-84.
    bd_lon, bd_lat = _gcj_to_bd(gcj_lon, gcj_lat)
    inside = _inside_china(lon_a, lat_a)
    return np.where(inside, bd_lon, lon_a), np.where(inside, bd_lat, lat_a)


def from_crs_array(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Floats, Floats]:
    """Shift longitudes and latitudes in ``crs`` back to WGS-84 (the inverse of ``to_crs_array``).

    The GCJ-02 step is solved to within 1e-7 degrees of the forward formula. Raises ValueError
    for an unknown system."""
    _check_crs(crs)
    lon_a, lat_a = _as_floats(lon), _as_floats(lat)
    if crs in _IDENTITY:
        return lon_a, lat_a
    if crs == "bd09":
        inside = _inside_china(lon_a, lat_a)
        gcj_lon, gcj_lat = _bd_to_gcj(lon_a, lat_a)
        lon_a, lat_a = np.where(inside, gcj_lon, lon_a), np.where(inside, gcj_lat, lat_a)
    return _gcj_to_wgs(lon_a, lat_a)


def to_crs(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Shift one WGS-84 position (degrees) into ``crs``; see ``to_crs_array``."""
    out_lon, out_lat = to_crs_array(lon, lat, crs)
    return float(out_lon), float(out_lat)


def from_crs(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Shift one position in ``crs`` back to WGS-84; see ``from_crs_array``."""
    out_lon, out_lat = from_crs_array(lon, lat, crs)
    return float(out_lon), float(out_lat)


# How deep the positions sit in each geometry's "coordinates" (RFC 7946 §3.1).
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _collect(geometry: dict[str, Any], out: list[Any]) -> None:
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        for part in geometry.get("geometries", []):
            _collect(part, out)
        return
    if kind not in _DEPTH:
        raise ValueError(f"cannot shift a geometry of type {kind!r}")
    _collect_positions(geometry["coordinates"], _DEPTH[kind], out)


def _collect_positions(coords: Any, depth: int, out: list[Any]) -> None:
    if depth == 0:
        out.append(coords)
        return
    for part in coords:
        _collect_positions(part, depth - 1, out)


def _rebuild(geometry: dict[str, Any], shifted: Iterator[list[Any]]) -> dict[str, Any]:
    # A bbox (RFC 7946 §5) is optional and would be stale after the shift, so it is dropped.
    out = dict(geometry)
    out.pop("bbox", None)
    if geometry["type"] == "GeometryCollection":
        out["geometries"] = [_rebuild(part, shifted) for part in geometry.get("geometries", [])]
    else:
        out["coordinates"] = _rebuild_positions(geometry["coordinates"], _DEPTH[geometry["type"]], shifted)
    return out


def _rebuild_positions(coords: Any, depth: int, shifted: Iterator[list[Any]]) -> Any:
    if depth == 0:
        return next(shifted)
    return [_rebuild_positions(part, depth - 1, shifted) for part in coords]


def _shift_positions(positions: list[Any], crs: str) -> Iterator[list[Any]]:
    if not positions:
        return iter(())
    lons, lats = to_crs_array([p[0] for p in positions], [p[1] for p in positions], crs)
    # Elements after lon, lat (altitude, RFC 7946 §3.1.1) are kept as they are.
    return ([lon, lat, *p[2:]] for lon, lat, p in zip(lons.tolist(), lats.tolist(), positions, strict=True))


def shift_geometry(geometry: dict[str, Any], crs: str) -> dict[str, Any]:
    """A copy of a GeoJSON geometry with every position shifted from WGS-84 into ``crs``.

    Structure, extra position elements (altitude) and other members are kept, except ``bbox``,
    which would be stale; the input is not modified. For an identity system (wgs84, cgcs2000)
    the input itself is returned. Raises ValueError for an unknown system or geometry type."""
    if is_identity(crs):
        return geometry
    positions: list[Any] = []
    _collect(geometry, positions)
    return _rebuild(geometry, _shift_positions(positions, crs))


def shift_collection(collection: dict[str, Any], crs: str) -> dict[str, Any]:
    """A copy of a GeoJSON FeatureCollection with every feature's geometry shifted into ``crs``.

    All positions go through one vectorised call. Features with a null geometry are kept as they
    are; ``bbox`` members are dropped (stale after the shift). The input is not modified; for an
    identity system it is returned itself. Raises ValueError as ``shift_geometry`` does."""
    if is_identity(crs):
        return collection
    features = collection.get("features", [])
    positions: list[Any] = []
    for feature in features:
        if feature.get("geometry") is not None:
            _collect(feature["geometry"], positions)
    shifted = _shift_positions(positions, crs)
    new_features = []
    for feature in features:
        new_feature = dict(feature)
        new_feature.pop("bbox", None)
        if feature.get("geometry") is not None:
            new_feature["geometry"] = _rebuild(feature["geometry"], shifted)
        new_features.append(new_feature)
    out = dict(collection)
    out.pop("bbox", None)
    out["features"] = new_features
    return out
