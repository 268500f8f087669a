"""Plane geometry of the demo park: the local metric frame, rectangles, outlines and GeoJSON.

Everything is laid out in a "plan frame" (u east-ish, v north-ish, metres) where streets are
axis-parallel, so cells and blocks are rectangles and point location is a range search. One
affine map (a slight shear and rotation, determinant 1, so areas are kept) turns the plan into
local east/north metres, and an equirectangular projection turns those into WGS-84."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Mean Earth radius (IUGG); at the park's 6 km scale the equirectangular error is centimetres.
EARTH_RADIUS_M = 6_371_008.8
COORD_DECIMALS = 6  # ~0.1 m, finer than any survey the screen shows


@dataclass(frozen=True, slots=True)
class Projection:
    """Plan frame (u, v) → local metres (x, y) → WGS-84 (lon, lat)."""

    lon0: float
    lat0: float
    rotation_rad: float
    shear: float

    def to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(u, dtype="float64") + self.shear * np.asarray(v, dtype="float64")
        c, n = math.cos(self.rotation_rad), math.sin(self.rotation_rad)
        return c * s - n * np.asarray(v), n * s + c * np.asarray(v)

    def to_lonlat(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.to_xy(u, v)
        m_per_deg = EARTH_RADIUS_M * math.pi / 180.0
        lon = self.lon0 + x / (m_per_deg * math.cos(math.radians(self.lat0)))
        lat = self.lat0 + y / m_per_deg
        return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)

    def to_plan(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inverse of to_lonlat (up to its rounding)."""
        m_per_deg = EARTH_RADIUS_M * math.pi / 180.0
        x = (np.asarray(lon, dtype="float64") - self.lon0) * m_per_deg * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, dtype="float64") - self.lat0) * m_per_deg
        c, n = math.cos(self.rotation_rad), math.sin(self.rotation_rad)
        s, v = c * x + n * y, -n * x + c * y
        return s - self.shear * v, v


@dataclass(frozen=True, slots=True)
class Rects:
    """Axis-parallel rectangles in the plan frame, one per row."""

    u0: np.ndarray
    v0: np.ndarray
    u1: np.ndarray
    v1: np.ndarray

    def __len__(self) -> int:
        return len(self.u0)

    @property
    def area(self) -> np.ndarray:
        return (self.u1 - self.u0) * (self.v1 - self.v0)

    @property
    def cu(self) -> np.ndarray:
        return (self.u0 + self.u1) / 2

    @property
    def cv(self) -> np.ndarray:
        return (self.v0 + self.v1) / 2

    def take(self, index: np.ndarray) -> Rects:
        return Rects(self.u0[index], self.v0[index], self.u1[index], self.v1[index])

    def inset(self, margin: np.ndarray | float) -> Rects:
        """Shrink every side by `margin`; a rectangle never inverts (it collapses to its centre)."""
        half_w, half_h = (self.u1 - self.u0) / 2, (self.v1 - self.v0) / 2
        du, dv = np.minimum(margin, half_w * 0.9), np.minimum(margin, half_h * 0.9)
        return Rects(self.u0 + du, self.v0 + dv, self.u1 - du, self.v1 - dv)

    def sample(self, rng: np.random.Generator, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One uniform point inside rectangle `index[i]` for each i."""
        fu, fv = rng.random(len(index)), rng.random(len(index))
        return (
            self.u0[index] + fu * (self.u1 - self.u0)[index],
            self.v0[index] + fv * (self.v1 - self.v0)[index],
        )

    def locate(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Index of the rectangle holding each point (-1 outside all), half-open on the high
        sides so a point on a shared edge belongs to exactly one rectangle."""
        u, v = np.asarray(u, dtype="float64"), np.asarray(v, dtype="float64")
        found = np.full(len(u), -1, dtype="int64")
        order = np.argsort(u, kind="stable")
        us = u[order]
        lo = np.searchsorted(us, self.u0, side="left")
        hi = np.searchsorted(us, self.u1, side="left")
        for r in np.flatnonzero(hi > lo):
            cand = order[lo[r] : hi[r]]
            hit = cand[(v[cand] >= self.v0[r]) & (v[cand] < self.v1[r])]
            found[hit] = r
        return found


def outline(mask: np.ndarray, us: np.ndarray, vs: np.ndarray) -> list[tuple[float, float]]:
    """The counter-clockwise outer ring (closed) of the union of grid squares where `mask[i, j]`
    is true; square (i, j) spans us[i]..us[i+1] × vs[j]..vs[j+1].

    Raises ValueError unless the squares form one piece without holes or corner-only contacts."""
    edges: dict[tuple[int, int], tuple[int, int]] = {}
    seen: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for i, j in zip(*np.nonzero(mask), strict=True):
        corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            if (b, a) in seen:
                seen.discard((b, a))
            else:
                seen.add((a, b))
    for a, b in seen:
        if a in edges:
            raise ValueError("the park mask touches itself at a corner")
        edges[a] = b
    start = min(edges)
    ring = [start]
    while True:
        nxt = edges.pop(ring[-1])
        if nxt == start:
            break
        ring.append(nxt)
    if edges:
        raise ValueError("the park mask is not one piece without holes")
    # Drop vertices in the middle of straight runs.
    keep = []
    for k, p in enumerate(ring):
        a, c = ring[k - 1], ring[(k + 1) % len(ring)]
        if (p[0] - a[0]) * (c[1] - p[1]) - (p[1] - a[1]) * (c[0] - p[0]) != 0:
            keep.append(p)
    pts = [(float(us[i]), float(vs[j])) for i, j in keep]
    return pts + pts[:1]


def ring_area(ring: list[tuple[float, float]]) -> float:
    """Signed shoelace area (positive when counter-clockwise)."""
    xs = np.array([p[0] for p in ring])
    ys = np.array([p[1] for p in ring])
    return float(np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1]) / 2)


def point_geometries(proj: Projection, u: np.ndarray, v: np.ndarray) -> list[dict]:
    lon, lat = proj.to_lonlat(u, v)
    return [{"type": "Point", "coordinates": [a, b]} for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]


def line_geometry(proj: Projection, u: np.ndarray, v: np.ndarray) -> dict:
    lon, lat = proj.to_lonlat(np.asarray(u), np.asarray(v))
    return {
        "type": "LineString",
        "coordinates": [[a, b] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)],
    }


def lines_geometry(proj: Projection, parts: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """A LineString, or a MultiLineString when a street runs in several pieces."""
    if len(parts) == 1:
        return line_geometry(proj, *parts[0])
    return {
        "type": "MultiLineString",
        "coordinates": [line_geometry(proj, u, v)["coordinates"] for u, v in parts],
    }


def polygon_geometry(proj: Projection, ring: list[tuple[float, float]]) -> dict:
    u = np.array([p[0] for p in ring])
    v = np.array([p[1] for p in ring])
    return {"type": "Polygon", "coordinates": [line_geometry(proj, u, v)["coordinates"]]}


def rect_geometries(proj: Projection, rects: Rects) -> list[dict]:
    """Counter-clockwise polygons (RFC 7946 §3.1.6) for every rectangle, converted in one pass."""
    u = np.stack([rects.u0, rects.u1, rects.u1, rects.u0, rects.u0], axis=1)
    v = np.stack([rects.v0, rects.v0, rects.v1, rects.v1, rects.v0], axis=1)
    lon, lat = proj.to_lonlat(u, v)
    return [
        {"type": "Polygon", "coordinates": [[[a, b] for a, b in zip(lo, la, strict=True)]]}
        for lo, la in zip(lon.tolist(), lat.tolist(), strict=True)
    ]
