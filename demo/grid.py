"""The management grid: unit cells (万米单元网格), community and responsibility grids, grid workers."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.geometry import Rects, outline, ring_area
from demo.layout import Layout
from demo.names import person_names, theme_names
from demo.spec import ParkSpec, apportion
from demo.streets import StreetNet

_DIRECTIONS = {
    (1, 1): ("东北", "North-East"),
    (0, 1): ("西北", "North-West"),
    (1, 0): ("东南", "South-East"),
    (0, 0): ("西南", "South-West"),
}


@dataclass(frozen=True, slots=True)
class Grid:
    """Unit cells (rectangles in the plan, each inside one tile) with their community and
    responsibility indices, the outlines of those groups, and the reference frames."""

    cells: Rects
    cell_tile: np.ndarray
    cell_community: np.ndarray
    community_rings: list[list[tuple[float, float]]]
    responsibility_rings: list[list[tuple[float, float]]]
    frame: pd.DataFrame  # grid_cells: every level, one row per grid
    workers: pd.DataFrame  # grid_workers

    @property
    def unit_ids(self) -> np.ndarray:
        return self.frame.loc[self.frame["level"] == "unit", "id"].to_numpy()

    @property
    def cell_worker(self) -> np.ndarray:
        return self.frame.loc[self.frame["level"] == "unit", "worker"].to_numpy()


def build_grid(spec: ParkSpec, layout: Layout, net: StreetNet, rng: np.random.Generator) -> Grid:
    """Split superblocks into responsibility and community grids along major streets, and
    street-bounded tiles into exactly `spec.unit_cells` unit cells.

    Raises ValueError when the tiles already outnumber the unit cells asked for."""
    sb = [tuple(x) for x in np.argwhere(layout.mask)]
    n_resp, n_comm = spec.responsibility_grids, spec.community_grids
    regions = _split(layout, [sb], n_resp)
    communities = []
    per_region = apportion(np.ones(n_resp), n_comm)
    for region, k in zip(regions, per_region, strict=True):
        communities.append(_split(layout, [region], int(k)))
    comm_of_sb = {c: q for q, group in enumerate(g for rs in communities for g in rs) for c in group}
    resp_of_comm = np.repeat(np.arange(n_resp), per_region)
    cells, cell_tile = _cells(net.tiles, spec.unit_cells, rng)
    tile_comm = np.array([comm_of_sb[tuple(x)] for x in net.tile_superblock])
    cell_comm = tile_comm[cell_tile]
    # Number cells community by community, each in reading order (north to south, west to east).
    order = np.lexsort((cells.cu, -np.round(cells.cv / 50), cell_comm))
    cells, cell_tile, cell_comm = cells.take(order), cell_tile[order], cell_comm[order]
    comm_rings = [outline(_sub_mask(layout, g), layout.us, layout.vs) for rs in communities for g in rs]
    resp_rings = [outline(_sub_mask(layout, g), layout.us, layout.vs) for g in regions]
    frame, workers = _frames(spec, layout, cells, cell_comm, comm_rings, resp_rings, resp_of_comm, rng)
    return Grid(cells, cell_tile, cell_comm, comm_rings, resp_rings, frame, workers)


def _split(layout: Layout, groups: list[list[tuple]], parts: int) -> list[list[tuple]]:
    """Cut groups of superblocks in two along a major line (the longer side, as near the
    middle of their area as keeps both halves in one piece) until there are `parts` groups."""
    while len(groups) < parts:
        groups.sort(key=lambda g: -_area(layout, g))
        group = groups.pop(0)
        groups.extend(_halve(layout, group))
    return groups


def _halve(layout: Layout, group: list[tuple]) -> list[list[tuple]]:
    idx = np.array(group)
    extent_u = layout.us[idx[:, 0].max() + 1] - layout.us[idx[:, 0].min()]
    extent_v = layout.vs[idx[:, 1].max() + 1] - layout.vs[idx[:, 1].min()]
    axes = (0, 1) if extent_u >= extent_v else (1, 0)
    total = _area(layout, group)
    for axis in axes:
        cuts = sorted(set(idx[:, axis].tolist()))[1:]
        cuts.sort(key=lambda c: abs(_area(layout, [g for g in group if g[axis] < c]) - total / 2))
        for c in cuts:
            halves = [[g for g in group if g[axis] < c], [g for g in group if g[axis] >= c]]
            try:
                for h in halves:
                    outline(_sub_mask(layout, h), layout.us, layout.vs)
            except ValueError:
                continue
            return halves
    raise ValueError("a grid region cannot be halved into two connected pieces")


def _area(layout: Layout, group: list[tuple]) -> float:
    idx = np.array(group)
    return float(np.sum(np.diff(layout.us)[idx[:, 0]] * np.diff(layout.vs)[idx[:, 1]]))


def _sub_mask(layout: Layout, group: list[tuple]) -> np.ndarray:
    m = np.zeros_like(layout.mask)
    for i, j in group:
        m[i, j] = True
    return m


def _cells(tiles: Rects, n: int, rng: np.random.Generator) -> tuple[Rects, np.ndarray]:
    """Halve the largest cell across its longer side (off-centre a little, so sizes vary)
    until there are `n`."""
    if len(tiles) > n:
        raise ValueError(f"the streets leave {len(tiles)} tiles, more than the {n} unit cells asked")
    rects = [(tiles.u0[k], tiles.v0[k], tiles.u1[k], tiles.v1[k], k) for k in range(len(tiles))]
    heap = [(-(r[2] - r[0]) * (r[3] - r[1]), k) for k, r in enumerate(rects)]
    heapq.heapify(heap)
    alive = set(range(len(rects)))
    while len(alive) < n:
        _, k = heapq.heappop(heap)
        u0, v0, u1, v1, tile = rects[k]
        f = rng.uniform(0.4, 0.6)
        if u1 - u0 >= v1 - v0:
            m = u0 + f * (u1 - u0)
            halves = [(u0, v0, m, v1, tile), (m, v0, u1, v1, tile)]
        else:
            m = v0 + f * (v1 - v0)
            halves = [(u0, v0, u1, m, tile), (u0, m, u1, v1, tile)]
        alive.discard(k)
        for h in halves:
            rects.append(h)
            alive.add(len(rects) - 1)
            heapq.heappush(heap, (-(h[2] - h[0]) * (h[3] - h[1]), len(rects) - 1))
    keep = np.array(sorted(alive))
    arr = np.array([rects[k] for k in keep], dtype="float64")
    return Rects(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]), arr[:, 4].astype("int64")


def _frames(spec, layout, cells, cell_comm, comm_rings, resp_rings, resp_of_comm, rng):
    proj = layout.proj
    centre_u = float(np.average(cells.cu, weights=cells.area))
    centre_v = float(np.average(cells.cv, weights=cells.area))
    centroids = [_centroid(ring) for ring in resp_rings]
    names = [_DIRECTIONS[(int(cu >= centre_u), int(cv >= centre_v))] for cu, cv in centroids]
    if len(set(names)) < len(names):  # not four quadrants: number them instead
        names = [(f"第{r + 1}", f"No. {r + 1}") for r in range(len(resp_rings))]
    rows = []
    for r, ring in enumerate(resp_rings):
        (cu, cv), (zh, en) = centroids[r], names[r]
        rows.append(
            (
                f"R{r + 1}",
                "responsibility",
                f"{zh}片区责任网格",
                f"{en} Responsibility Grid",
                None,
                abs(ring_area(ring)),
                cu,
                cv,
            )
        )
    themes = theme_names(rng, len(comm_rings))
    for c, ring in enumerate(comm_rings):
        cu, cv = _centroid(ring)
        rows.append(
            (
                f"C{c + 1:02d}",
                "community",
                f"{themes[c][0]}社区网格",
                f"{themes[c][1]} Community Grid",
                f"R{resp_of_comm[c] + 1}",
                abs(ring_area(ring)),
                cu,
                cv,
            )
        )
    unit_ids = [f"U{k + 1:03d}" for k in range(len(cells))]
    seq = pd.Series(cell_comm).groupby(cell_comm).cumcount().to_numpy() + 1
    for k in range(len(cells)):
        c = cell_comm[k]
        rows.append(
            (
                unit_ids[k],
                "unit",
                f"{themes[c][0]}社区第{seq[k]:02d}单元网格",
                f"{themes[c][1]} Community, Unit Cell {seq[k]:02d}",
                f"C{c + 1:02d}",
                float(cells.area[k]),
                float(cells.cu[k]),
                float(cells.cv[k]),
            )
        )
    frame = pd.DataFrame(rows, columns=["id", "level", "name", "name_en", "parent", "area_m2", "u", "v"])
    frame["lon"], frame["lat"] = proj.to_lonlat(frame["u"].to_numpy(), frame["v"].to_numpy())
    # Each worker walks a run of neighbouring cells in one community.
    per_comm = apportion(np.bincount(cell_comm, minlength=len(comm_rings)), spec.grid_workers)
    people = person_names(rng, spec.grid_workers)
    worker_of_cell = np.empty(len(cells), dtype=object)
    workers, w = [], 0
    for c in range(len(comm_rings)):
        members = np.flatnonzero(cell_comm == c)
        for chunk in np.array_split(members, per_comm[c]):
            wid = f"GW{w + 1:03d}"
            worker_of_cell[chunk] = wid
            workers.append(
                (
                    wid,
                    people[w][0],
                    people[w][1],
                    unit_ids[chunk[0]],
                    f"C{c + 1:02d}",
                    "command_center",
                    len(chunk),
                )
            )
            w += 1
    frame["worker"] = None
    frame.loc[frame["level"] == "unit", "worker"] = worker_of_cell
    worker_frame = pd.DataFrame(
        workers, columns=["id", "name", "name_en", "grid_cell", "community", "department", "cells"]
    )
    return frame.drop(columns=["u", "v"]), worker_frame


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    x = np.array([p[0] for p in ring])
    y = np.array([p[1] for p in ring])
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    a = cross.sum() / 2
    return float(((x[:-1] + x[1:]) * cross).sum() / (6 * a)), float(
        ((y[:-1] + y[1:]) * cross).sum() / (6 * a)
    )
