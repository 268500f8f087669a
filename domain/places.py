"""Where a reported point lies: inside a GeoJSON polygon (the park's boundary, a grid cell) or
not. Plain geometry on longitude/latitude, enough for areas a few kilometres across (a park,
its 10,000 m² unit cells), where treating degrees as planar coordinates moves no boundary by
more than a few centimetres."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Ring = Sequence[Sequence[float]]


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Even-odd rule: a ray to the east crosses the ring's edges an odd number of times."""
    inside = False
    count = len(ring)
    for i in range(count):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[i - 1][0], ring[i - 1][1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """True when (lon, lat) is inside the GeoJSON Polygon or MultiPolygon `geometry` (inside
    its outer ring and outside its holes). Any other geometry contains nothing."""
    for rings in _polygons(geometry):
        if rings and _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
            return True
    return False


def first_containing(areas: Iterable[tuple[str, dict[str, Any]]], lon: float, lat: float) -> str | None:
    """The id of the first (id, geometry) whose geometry contains the point, or None."""
    for area_id, geometry in areas:
        if contains(geometry, lon, lat):
            return area_id
    return None
