"""City parts (部件) of the base survey, by the classes and subclasses of GB/T 30428.2 / CJ/T 214."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from demo.files import DATA_DIR
from demo.grid import Grid
from demo.placement import along_streets, at_crossings, in_blocks, keep_inside
from demo.spec import ParkSpec, apportion
from demo.streets import StreetNet

# Class codes as in the standard; its class 05 (houses and land) is not part of this survey.
PART_CLASSES = {
    "01": ("公用设施", "Public utilities"),
    "02": ("道路交通", "Roads and traffic"),
    "03": ("市容环境", "City appearance and environment"),
    "04": ("园林绿化", "Landscaping"),
    "06": ("其他设施", "Other facilities"),
}
# Condition found in the survey: almost all parts are in order; the rest feed the case loop.
STATUS_SHARES = {"normal": 0.955, "damaged": 0.025, "occupied": 0.008, "abandoned": 0.008, "missing": 0.004}
_MAJOR = ("trunk", "main", "secondary")
_LINE_LENGTH_M = (60.0, 400.0)
_SIDE_PROBE_M = 1.0


@functools.cache
def part_subclasses() -> pd.DataFrame:
    """The subclass table of demo/data/part_subclasses.csv (read once, on first use)."""
    return pd.read_csv(DATA_DIR / "part_subclasses.csv", dtype={"code": str, "class_code": str})


def build_parts(spec: ParkSpec, net: StreetNet, grid: Grid, rng: np.random.Generator) -> pd.DataFrame:
    """Exactly `spec.point_parts` point parts and `spec.line_parts` line parts over the
    subclasses, each placed where its kind stands (sidewalks, corners, inside blocks).

    One row per part: id (the standard's code: division + subclass + serial), subclass code,
    geometry kind, plan coordinates (u0, v0, and u1, v1 for lines), grid cell, status.
    Raises ValueError when the subclass table does not match the spec's class counts."""
    table = part_subclasses()
    if len(table) != spec.part_subclasses or table["class_code"].nunique() != spec.part_classes:
        raise ValueError(
            f"the parts table has {len(table)} subclasses in {table['class_code'].nunique()} classes, "
            f"not {spec.part_subclasses} in {spec.part_classes}"
        )
    frames = []
    for geometry, total in (("point", spec.point_parts), ("line", spec.line_parts)):
        rows = table[table["geometry"] == geometry]
        counts = apportion(rows["weight"].to_numpy(dtype="float64"), total)
        for (_, sub), n in zip(rows.iterrows(), counts, strict=True):
            frames.append(_place(sub, int(n), net, grid, rng))
    parts = pd.concat(frames, ignore_index=True)
    serial = parts.groupby("subclass").cumcount() + 1
    parts["id"] = spec.division_code + parts["subclass"] + serial.map("{:06d}".format)
    shares = np.array(list(STATUS_SHARES.values()))
    parts["status"] = np.array(list(STATUS_SHARES), dtype=object)[
        rng.choice(len(shares), len(parts), p=shares)
    ]
    return parts


def _place(sub: pd.Series, n: int, net: StreetNet, grid: Grid, rng: np.random.Generator) -> pd.DataFrame:
    kind = sub["placement"]
    if sub["geometry"] == "line":
        return _place_lines(sub, n, net, grid, rng)
    if kind == "regular":
        u, v, _ = along_streets(net, rng, n, offset_m=(1.0, 2.5), regular=True)
    elif kind == "street":
        u, v, _ = along_streets(net, rng, n, offset_m=(0.5, 5.0))
    elif kind in ("corner", "major_corner"):
        major = _major_crossings(net) if kind == "major_corner" else None
        u, v, _ = at_crossings(net, rng, n, setback_m=(1.0, 5.0), crossings=major)
    else:
        u, v, _ = in_blocks(net.blocks, rng, n)
    u, v, cell = keep_inside(grid.cells, u, v)
    return pd.DataFrame(
        {
            "subclass": sub["code"],
            "geometry": "point",
            "u0": u,
            "v0": v,
            "u1": np.nan,
            "v1": np.nan,
            "grid_cell": grid.unit_ids[cell],
        }
    )


def _place_lines(
    sub: pd.Series, n: int, net: StreetNet, grid: Grid, rng: np.random.Generator
) -> pd.DataFrame:
    """Guardrails, green belts and cables run along a stretch of one street side; central
    medians along the centre of main roads, where the park lies on both sides. Both ends stay
    inside the park (its rows and columns of cells are unbroken, so the whole line does)."""
    seg = net.segments
    rank = net.streets["rank"].to_numpy()[seg["street"].to_numpy()]
    pool = np.flatnonzero(np.isin(rank, _MAJOR)) if sub["placement"] == "median" else np.arange(len(seg))
    length = (seg["hi"] - seg["lo"]).to_numpy()[pool]
    rows: list[tuple] = []
    while len(rows) < n:
        k = pool[rng.choice(len(pool), p=length / length.sum())]
        s = seg.iloc[k]
        run = min(rng.uniform(*_LINE_LENGTH_M), s["hi"] - s["lo"])
        a = rng.uniform(s["lo"], s["hi"] - run)
        off = (
            0.0
            if sub["placement"] == "median"
            else rng.choice([-1, 1]) * (s["width_m"] / 2 + rng.uniform(0.5, 3))
        )
        if s["orient"] == "ns":
            ends = (s["at"] + off, a, s["at"] + off, a + run)
        else:
            ends = (a, s["at"] + off, a + run, s["at"] + off)
        cells = grid.cells.locate(np.array([ends[0], ends[2]]), np.array([ends[1], ends[3]]))
        if (cells < 0).any():
            continue  # the outer side of a boundary street: draw again
        if sub["placement"] == "median" and not _both_sides_inside(grid, s["orient"], ends):
            continue  # the centre line of a boundary street is the boundary itself: draw again
        mid = grid.cells.locate(np.array([(ends[0] + ends[2]) / 2]), np.array([(ends[1] + ends[3]) / 2]))[0]
        rows.append((*ends, grid.unit_ids[mid if mid >= 0 else cells[0]]))
    arr = pd.DataFrame(rows, columns=["u0", "v0", "u1", "v1", "grid_cell"])
    arr.insert(0, "geometry", "line")
    arr.insert(0, "subclass", sub["code"])
    return arr


def _both_sides_inside(grid: Grid, orient: str, ends: tuple[float, float, float, float]) -> bool:
    """Whether both ends of a centre line have the park on either side (a metre across)."""
    du, dv = (_SIDE_PROBE_M, 0.0) if orient == "ns" else (0.0, _SIDE_PROBE_M)
    u = np.array([ends[0], ends[2]])
    v = np.array([ends[1], ends[3]])
    found = grid.cells.locate(np.concatenate([u - du, u + du]), np.concatenate([v - dv, v + dv]))
    return bool((found >= 0).all())


def _major_crossings(net: StreetNet) -> np.ndarray:
    rank = net.streets["rank"].to_numpy()
    cr = net.crossings
    both = np.isin(rank[cr["ns_street"].to_numpy()], _MAJOR) & np.isin(
        rank[cr["ew_street"].to_numpy()], _MAJOR
    )
    return np.flatnonzero(both)


def part_properties(parts: pd.DataFrame, departments: pd.DataFrame) -> list[dict]:
    """The map properties of every part: class and subclass (code, zh, en), owner, status."""
    dept_zh = departments.set_index("id")["name"]
    base = {}
    for row in part_subclasses().itertuples():
        cls = PART_CLASSES[row.class_code]
        base[row.code] = {
            "name": row.zh,
            "name_en": row.en,
            "category": "part",
            "class_code": row.class_code,
            "class": cls[0],
            "class_en": cls[1],
            "subclass_code": row.code,
            "subclass": row.zh,
            "subclass_en": row.en,
            "department": row.department,
            "department_name": dept_zh[row.department],
        }
    return [
        {**base[code], "code": pid, "grid_cell": cell, "status": status}
        for pid, code, cell, status in zip(
            parts["id"].tolist(),
            parts["subclass"].tolist(),
            parts["grid_cell"].tolist(),
            parts["status"].tolist(),
            strict=True,
        )
    ]
