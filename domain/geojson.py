"""Structural checks of GeoJSON geometries (RFC 7946 §3.1), so a bad geometry is rejected with
a reason instead of breaking the map.

Only what a reader must reject is an error. What the RFC asks of writers is not checked:
ring winding order (§3.1.6: readers must not reject on it), more than three elements in a
position (§3.1.1: readers may ignore the extra ones), nested or single-part
GeometryCollections (§3.1.8), and coordinate ranges (the RFC sets none; a file in a projected
reference system is caught where it names one, by the GeoJSON adapter's `crs` check)."""

from __future__ import annotations

import math
from typing import Any

_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _is_position(p: Any) -> bool:
    return (
        isinstance(p, list | tuple)
        and len(p) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) for c in p)
    )


def _check_positions(coords: Any, depth: int, path: str) -> str | None:
    if depth == 0:
        return None if _is_position(coords) else f"{path} is not a position [lon, lat(, alt)] of numbers"
    if not isinstance(coords, list | tuple):
        return f"{path} must be an array"
    for i, c in enumerate(coords):
        problem = _check_positions(c, depth - 1, f"{path}[{i}]")
        if problem:
            return problem
    return None


def _check_ring(ring: list, path: str) -> str | None:
    if len(ring) < 4:
        return f"{path}: a linear ring needs at least 4 positions"
    if list(ring[0]) != list(ring[-1]):
        return f"{path}: a linear ring's first and last positions must be equal"
    return None


def json_type(value: Any) -> str:
    """How a parsed JSON value reads in a message: 'a number', 'an array', 'null'…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "an array"


# RFC 7946 §7.1: these members define other kinds of GeoJSON object, so a geometry that
# carries one changes their semantics and must not be read as a geometry.
_NOT_IN_GEOMETRY = ("geometry", "properties", "features")


def bbox_problem(bbox: Any) -> str | None:
    """Return why `bbox` is not a valid bounding box (RFC 7946 §5: 2×n numbers, all the
    south-west values then all the north-east ones), or None when it is. Never raises."""
    if not isinstance(bbox, list | tuple):
        return f"bbox must be an array of numbers, not {json_type(bbox)}"
    if len(bbox) not in (4, 6):
        return f"bbox must have 4 (2D) or 6 (3D) numbers, not {len(bbox)}"
    if not all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) for c in bbox):
        return "every element of bbox must be a finite number"
    return None


def geometry_problem(geometry: Any) -> str | None:
    """Return why `geometry` is not a valid GeoJSON geometry object, or None when it is.

    Never raises on any input."""
    if not isinstance(geometry, dict):
        return "geometry must be a JSON object"
    kind = geometry.get("type")
    for member in _NOT_IN_GEOMETRY:
        if member in geometry:
            return f"a geometry must not contain a {member!r} member (RFC 7946 §7.1)"
    if "bbox" in geometry:
        problem = bbox_problem(geometry["bbox"])
        if problem:
            return problem
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            return "GeometryCollection needs a 'geometries' array"
        for i, g in enumerate(members):
            problem = geometry_problem(g)
            if problem:
                return f"geometries[{i}]: {problem}"
        return None
    if kind not in _DEPTH:
        known = {name.lower(): name for name in (*_DEPTH, "GeometryCollection")}
        if isinstance(kind, str) and kind.lower() in known:
            return f"unknown geometry type {kind!r} (types are case-sensitive: {known[kind.lower()]!r})"
        return f"unknown geometry type {kind!r}"
    if "coordinates" not in geometry:
        return f"{kind} has no 'coordinates'"
    coords = geometry["coordinates"]
    problem = _check_positions(coords, _DEPTH[kind], "coordinates")
    if problem:
        return problem
    if kind == "LineString" and len(coords) < 2:
        return "a LineString needs at least 2 positions"
    if kind == "MultiLineString":
        for i, line in enumerate(coords):
            if len(line) < 2:
                return f"coordinates[{i}]: a LineString needs at least 2 positions"
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = list(coords)
    else:
        polygons = []
    for j, rings in enumerate(polygons):
        if not rings:
            return f"polygon {j} has no rings"
        for i, ring in enumerate(rings):
            problem = _check_ring(ring, f"polygon {j} ring {i}")
            if problem:
                return problem
    return None


def _positions(coords: Any) -> list[tuple[float, float]]:
    if _is_position(coords):
        return [(float(coords[0]), float(coords[1]))]
    if isinstance(coords, list | tuple):
        return [p for c in coords for p in _positions(c)]
    return []


def bounds(geometry: Any) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a GeoJSON geometry, or None when it has no position
    (an empty or malformed one: a layer's bad feature must not stop the others drawing)."""
    if not isinstance(geometry, dict):
        return None
    if geometry.get("type") == "GeometryCollection":
        parts = [bounds(g) for g in geometry.get("geometries") or []]
        found = [p for p in parts if p is not None]
        if not found:
            return None
        return (min(p[0] for p in found), min(p[1] for p in found),
                max(p[2] for p in found), max(p[3] for p in found))  # fmt: skip
    points = _positions(geometry.get("coordinates"))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))
