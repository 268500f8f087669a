"""Where things stand: along street sides, at street corners, inside blocks, never outside."""

from __future__ import annotations

import numpy as np

from demo.geometry import Rects
from demo.streets import StreetNet

_INSIDE_MARGIN_M = 1.0  # far beyond the ~0.1 m of rounding to 6 decimal degrees


def along_streets(
    net: StreetNet,
    rng: np.random.Generator,
    n: int,
    *,
    offset_m: tuple[float, float] = (1.0, 4.0),
    regular: bool = False,
    ranks: tuple[str, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` points on the sidewalks: beyond the red line by `offset_m`, on either side, spread
    over street pieces by length. `regular` spaces them evenly (street lights, street trees)
    instead of at random. Returns (u, v, segment index)."""
    seg = net.segments
    seg_rank = net.streets["rank"].to_numpy()[seg["street"].to_numpy()]
    idx = np.flatnonzero(np.ones(len(seg), dtype=bool) if ranks is None else np.isin(seg_rank, ranks))
    length = (seg["hi"] - seg["lo"]).to_numpy()[idx]
    # Both sides of every piece laid end to end: one long line to draw positions on.
    side_len = np.concatenate([length, length])
    ends = np.cumsum(side_len)
    pos = (np.arange(n) + rng.uniform(0.3, 0.7, n)) * ends[-1] / n if regular else rng.uniform(0, ends[-1], n)
    k = np.minimum(np.searchsorted(ends, pos, side="right"), len(side_len) - 1)
    along = pos - (ends[k] - side_len[k])
    piece = idx[k % len(idx)]
    side = np.where(k < len(idx), -1.0, 1.0)
    s = seg.iloc[piece]
    out = side * (s["width_m"].to_numpy() / 2 + rng.uniform(*offset_m, n))
    pos_along = s["lo"].to_numpy() + along
    ns = s["orient"].to_numpy() == "ns"
    at = s["at"].to_numpy()
    return np.where(ns, at + out, pos_along), np.where(ns, pos_along, at + out), piece


def at_crossings(
    net: StreetNet,
    rng: np.random.Generator,
    n: int,
    *,
    setback_m: tuple[float, float] = (2.0, 6.0),
    crossings: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` points at street corners (one of the four, just off both red lines), at crossings
    drawn from `crossings` (default: all). Returns (u, v, crossing index)."""
    cr = net.crossings
    pool = np.arange(len(cr)) if crossings is None else crossings
    pick = pool[rng.integers(len(pool), size=n)]
    width = net.streets["width_m"].to_numpy()
    du = np.where(rng.random(n) < 0.5, -1, 1) * (
        width[cr["ns_street"].to_numpy()[pick]] / 2 + rng.uniform(*setback_m, n)
    )
    dv = np.where(rng.random(n) < 0.5, -1, 1) * (
        width[cr["ew_street"].to_numpy()[pick]] / 2 + rng.uniform(*setback_m, n)
    )
    return cr["u"].to_numpy()[pick] + du, cr["v"].to_numpy()[pick] + dv, pick


def in_blocks(
    blocks: Rects,
    rng: np.random.Generator,
    n: int,
    weights: np.ndarray | None = None,
    *,
    edge_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` points inside blocks drawn by `weights` (default: area). With `edge_m`, points keep
    to a strip that deep along one side of the block, where shops and gates face the street.
    Returns (u, v, block index)."""
    w = blocks.area if weights is None else weights
    pick = rng.choice(len(blocks), size=n, p=w / w.sum())
    u, v = blocks.sample(rng, pick)
    if edge_m is not None:
        side = rng.integers(4, size=n)
        depth = rng.uniform(3.0, edge_m, n)
        u = np.select([side == 0, side == 1], [blocks.u0[pick] + depth, blocks.u1[pick] - depth], u)
        v = np.select([side == 2, side == 3], [blocks.v0[pick] + depth, blocks.v1[pick] - depth], v)
        u = np.clip(u, blocks.u0[pick], blocks.u1[pick])
        v = np.clip(v, blocks.v0[pick], blocks.v1[pick])
    return u, v, pick


def keep_inside(cells: Rects, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move points that fell outside the park (sidewalks of the boundary streets) into the
    nearest cell, and every point at least a little way inside its cell, so rounding the
    coordinates for GeoJSON never moves a point across a cell edge. Returns (u, v, cell)."""
    u, v = np.asarray(u, dtype="float64").copy(), np.asarray(v, dtype="float64").copy()
    cell = cells.locate(u, v)
    out = np.flatnonzero(cell < 0)
    if len(out):
        du = np.maximum(cells.u0[None, :] - u[out, None], 0) + np.maximum(u[out, None] - cells.u1[None, :], 0)
        dv = np.maximum(cells.v0[None, :] - v[out, None], 0) + np.maximum(v[out, None] - cells.v1[None, :], 0)
        cell[out] = np.argmin(du * du + dv * dv, axis=1)
    u, v = clamp_into(cells, cell, u, v)
    return u, v, cell


def clamp_into(cells: Rects, cell: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points moved (by at most the margin, for points already inside) to lie at least
    _INSIDE_MARGIN_M inside rectangle `cell[i]`."""
    inner = cells.inset(_INSIDE_MARGIN_M)
    return (np.clip(u, inner.u0[cell], inner.u1[cell]), np.clip(v, inner.v0[cell], inner.v1[cell]))
