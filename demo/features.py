"""The map: every layer of the demo park as rows of the features contract (GeoJSON in WGS-84)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.blocks import Blocks, plot_codes
from demo.geometry import (
    Projection,
    Rects,
    lines_geometry,
    point_geometries,
    polygon_geometry,
    rect_geometries,
)
from demo.grid import Grid
from demo.layout import Layout
from demo.parts import part_properties
from demo.streets import StreetNet

PARK_NAME = ("石家庄经济技术开发区", "Shijiazhuang Economic and Technological Development Zone")
_LAND_USE_NAMES = {
    "industrial": ("工业用地", "Industrial"),
    "residential": ("居住用地", "Residential"),
    "commercial": ("商业用地", "Commercial"),
    "public": ("公共服务用地", "Public services"),
    "green": ("绿地", "Green space"),
    "vacant": ("待开发用地", "Awaiting development"),
}
_AREA_KINDS = {
    "residential": ("住宅小区", "Residential estate"),
    "industrial": ("产业园区", "Industrial park"),
    "village": ("村庄", "Village"),
    "commercial": ("商务区", "Business district"),
    "park": ("公园", "Park"),
    "campus": ("园区", "Campus"),
}


def build_features(
    layout: Layout,
    net: StreetNet,
    grid: Grid,
    blocks: Blocks,
    pois: pd.DataFrame,
    house_numbers: pd.DataFrame,
    parts: pd.DataFrame,
    sensors: pd.DataFrame,
    departments: pd.DataFrame,
) -> pd.DataFrame:
    """All layers in one frame: layer, id, geometry, properties. Every feature's properties
    carry name, name_en and category (for search)."""
    proj = layout.proj
    frames = [
        _frame(
            "boundary",
            ["boundary"],
            [polygon_geometry(proj, layout.boundary)],
            [
                {
                    "name": PARK_NAME[0],
                    "name_en": PARK_NAME[1],
                    "category": "boundary",
                    "area_km2": round(layout.area_m2 / 1e6, 2),
                }
            ],
        ),
        _streets(proj, net),
        _blocks(proj, net, blocks),
        _frame(
            "building",
            blocks.buildings["id"],
            _building_geometries(proj, blocks.buildings),
            _records(blocks.buildings, ["name", "name_en", "use", "floors", "height_m"], category="building"),
        ),
        _areas(proj, blocks),
        _frame(
            "poi",
            pois["id"],
            point_geometries(proj, pois["u"].to_numpy(), pois["v"].to_numpy()),
            _records(
                pois,
                [
                    "name",
                    "name_en",
                    "category",
                    "category_name",
                    "category_name_en",
                    "address",
                    "address_en",
                    "grid_cell",
                ],
            ),
        ),
        _frame(
            "house_number",
            house_numbers["id"],
            point_geometries(proj, house_numbers["u"].to_numpy(), house_numbers["v"].to_numpy()),
            _records(
                house_numbers, ["name", "name_en", "street", "number", "grid_cell"], category="house_number"
            ),
        ),
        *_grids(proj, grid, blocks),
        _parts(proj, parts, departments),
        _camera_points(proj, sensors),
    ]
    return pd.concat(frames, ignore_index=True)


def _frame(layer: str, ids, geometries: list[dict], properties: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({"layer": layer, "id": list(ids), "geometry": geometries, "properties": properties})


def _records(frame: pd.DataFrame, columns: list[str], **constant) -> list[dict]:
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    return [{**r, **constant} for r in rows]


def _streets(proj: Projection, net: StreetNet) -> pd.DataFrame:
    geoms = []
    for k in range(len(net.streets)):
        pieces = net.segments[net.segments["street"] == k]
        parts = []
        for _, p in pieces.iterrows():
            along = np.array([p["lo"], p["hi"]])
            at = np.full(2, p["at"])
            parts.append((at, along) if p["orient"] == "ns" else (along, at))
        geoms.append(lines_geometry(proj, parts))
    props = _records(
        net.streets.assign(length_m=net.streets["length_m"].round(1)),
        ["name", "name_en", "rank", "width_m", "length_m"],
        category="street",
    )
    return _frame("street", net.streets["id"], geoms, props)


def _blocks(proj: Projection, net: StreetNet, blocks: Blocks) -> pd.DataFrame:
    codes = plot_codes(net)
    props = [
        {
            "name": f"{c}地块",
            "name_en": f"Plot {c}",
            "category": "block",
            "land_use": u,
            "land_use_name": _LAND_USE_NAMES[u][0],
            "land_use_name_en": _LAND_USE_NAMES[u][1],
            "area_m2": round(float(a), 1),
        }
        for c, u, a in zip(codes, blocks.land_use, net.blocks.area, strict=True)
    ]
    return _frame(
        "block", [f"BK{k + 1:03d}" for k in range(len(net.blocks))], rect_geometries(proj, net.blocks), props
    )


def _building_geometries(proj: Projection, b: pd.DataFrame) -> list[dict]:
    return rect_geometries(
        proj, Rects(b["u0"].to_numpy(), b["v0"].to_numpy(), b["u1"].to_numpy(), b["v1"].to_numpy())
    )


def _areas(proj: Projection, blocks: Blocks) -> pd.DataFrame:
    a = blocks.areas
    props = [
        {
            "name": n,
            "name_en": e,
            "category": k,
            "category_name": _AREA_KINDS[k][0],
            "category_name_en": _AREA_KINDS[k][1],
        }
        for n, e, k in zip(a["name"], a["name_en"], a["kind"], strict=True)
    ]
    return _frame("area", a["id"], rect_geometries(proj, blocks.area_rects), props)


def _grids(proj: Projection, grid: Grid, blocks: Blocks) -> list[pd.DataFrame]:
    f = grid.frame
    units = f[f["level"] == "unit"].reset_index(drop=True)
    unit_props = _records(units, ["name", "name_en", "parent", "area_m2", "worker"], category="grid_unit")
    for p, use in zip(unit_props, blocks.land_use[grid.cell_tile], strict=True):
        p["land_use"] = use
    out = [_frame("grid_unit", units["id"], rect_geometries(proj, grid.cells), unit_props)]
    for level, layer, rings in (
        ("community", "grid_community", grid.community_rings),
        ("responsibility", "grid_responsibility", grid.responsibility_rings),
    ):
        rows = f[f["level"] == level].reset_index(drop=True)
        out.append(
            _frame(
                layer,
                rows["id"],
                [polygon_geometry(proj, r) for r in rings],
                _records(rows, ["name", "name_en", "parent", "area_m2"], category=layer),
            )
        )
    return out


def _parts(proj: Projection, parts: pd.DataFrame, departments: pd.DataFrame) -> pd.DataFrame:
    point = (parts["geometry"] == "point").to_numpy()
    geoms: list = [None] * len(parts)
    idx = np.flatnonzero(point)
    for k, g in zip(
        idx, point_geometries(proj, parts["u0"].to_numpy()[idx], parts["v0"].to_numpy()[idx]), strict=True
    ):
        geoms[k] = g
    for k in np.flatnonzero(~point):
        r = parts.iloc[k]
        geoms[k] = lines_geometry(proj, [(np.array([r["u0"], r["u1"]]), np.array([r["v0"], r["v1"]]))])
    return _frame("part", parts["id"], geoms, part_properties(parts, departments))


def _camera_points(proj: Projection, sensors: pd.DataFrame) -> pd.DataFrame:
    video = sensors[sensors["point_id"].notna()]
    groups = list(video.groupby("point_id", sort=True))
    first = pd.DataFrame([g.iloc[0] for _, g in groups])
    props = [
        {
            "name": f"视频监控点·{g['address'].iat[0]}",
            "name_en": f"Video point, {g['address_en'].iat[0]}",
            "category": "camera_point",
            "devices": g["id"].tolist(),
            "kinds": g["kind"].tolist(),
            "grid_cell": g["grid_cell"].iat[0],
        }
        for _, g in groups
    ]
    return _frame(
        "camera_point",
        [p for p, _ in groups],
        point_geometries(proj, first["u"].to_numpy(dtype="float64"), first["v"].to_numpy(dtype="float64")),
        props,
    )
