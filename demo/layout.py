"""The park's skeleton: the major street lines, which superblocks lie inside, the boundary."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from demo.geometry import Projection, outline, ring_area
from demo.spec import ParkSpec

# The park's outline before it is snapped to streets: a skewed, cut-cornered shape in units of
# half the width and half the height, like the ETDZ core (wider east-west, corners cut by
# rivers and rail lines).
_TEMPLATE = np.array(
    [
        (-1.00, -0.80),
        (-0.35, -1.00),
        (0.70, -0.95),
        (1.00, -0.55),
        (0.95, 0.70),
        (0.55, 1.00),
        (-0.60, 0.95),
        (-1.00, 0.45),
    ]
)
_TEMPLATE_SKEW = 0.15
_TEMPLATE_JITTER = 0.05
# Spacing of the main road grid: arterial and secondary roads of Chinese development zones run
# every 300–500 m.
_NS_SPACING_M = (300.0, 480.0)
_EW_SPACING_M = (280.0, 450.0)
# The plan is turned by a few degrees and sheared a little, so the grid is not ruler-straight
# north-south (the determinant stays 1, so areas are true).
_ROTATION_DEG = (-4.0, 4.0)
_SHEAR = 0.06


@dataclass(frozen=True, slots=True)
class Layout:
    """Major line positions `us` (north-south lines) and `vs` (east-west), the superblocks
    between them that lie in the park (`mask[i, j]` for us[i]..us[i+1] × vs[j]..vs[j+1]),
    the boundary ring and the projection to WGS-84."""

    us: np.ndarray
    vs: np.ndarray
    mask: np.ndarray
    boundary: list[tuple[float, float]]
    proj: Projection

    @property
    def area_m2(self) -> float:
        return ring_area(self.boundary)


def build_layout(spec: ParkSpec, rng: np.random.Generator) -> Layout:
    """Draw the grid of major lines and keep the superblocks inside the park's outline, scaled
    so the park's area comes as close to `spec.area_km2` as whole superblocks allow."""
    template = _TEMPLATE + rng.uniform(-_TEMPLATE_JITTER, _TEMPLATE_JITTER, size=_TEMPLATE.shape)
    template[:, 0] += _TEMPLATE_SKEW * template[:, 1]
    template = template * [spec.width_m / 2, spec.height_m / 2]
    us = _lines(rng, 0.75 * spec.width_m, _NS_SPACING_M)
    vs = _lines(rng, 0.75 * spec.height_m, _EW_SPACING_M)
    cu, cv = np.meshgrid((us[:-1] + us[1:]) / 2, (vs[:-1] + vs[1:]) / 2, indexing="ij")
    areas = np.outer(np.diff(us), np.diff(vs))

    def mask_for(scale: float) -> np.ndarray:
        return _inside_convex(template * scale, cu, cv)

    # Bisection on the outline's scale: the masked area grows with it in whole superblocks.
    lo, hi = 0.5, 1.5
    target = spec.area_km2 * 1e6
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if areas[mask_for(mid)].sum() < target else (lo, mid)
    candidates = [mask_for(lo), mask_for(hi)]
    mask = min(candidates, key=lambda m: abs(areas[m].sum() - target))
    cols = np.flatnonzero(mask.any(axis=1))
    rows = np.flatnonzero(mask.any(axis=0))
    mask = mask[cols[0] : cols[-1] + 1, rows[0] : rows[-1] + 1]
    us, vs = us[cols[0] : cols[-1] + 2], vs[rows[0] : rows[-1] + 2]
    proj = Projection(
        lon0=spec.centre_lon,
        lat0=spec.centre_lat,
        rotation_rad=math.radians(rng.uniform(*_ROTATION_DEG)),
        shear=_SHEAR,
    )
    return Layout(us=us, vs=vs, mask=mask, boundary=outline(mask, us, vs), proj=proj)


def _lines(rng: np.random.Generator, half_extent: float, spacing: tuple[float, float]) -> np.ndarray:
    """Line positions covering -half_extent..half_extent, centred on 0."""
    gaps = rng.uniform(*spacing, size=int(2 * half_extent / spacing[0]) + 2)
    pos = np.concatenate([[0.0], np.cumsum(gaps)])
    pos = pos[pos <= 2 * half_extent + spacing[1]]
    return pos - (pos[0] + pos[-1]) / 2


def _inside_convex(poly: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points strictly inside a convex polygon given counter-clockwise."""
    inside = np.ones(x.shape, dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        inside &= (bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0
    return inside
