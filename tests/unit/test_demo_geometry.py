"""The demo park's geometry: the boundary, the cell tiling, and things standing where they say."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from demo import DemoPark, ParkSpec, generate_park
from demo.geometry import ring_area
from demo.grid import build_grid
from demo.layout import build_layout
from demo.spec import step_rng
from demo.streets import build_streets

SEEDS = (20261124, 1, 2)


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return generate_park(seed=20261124, cases=3_000, now=datetime(2026, 11, 24, 3, 7, tzinfo=UTC))


def _grid(seed: int):
    spec = ParkSpec()
    layout = build_layout(spec, step_rng(seed, "layout"))
    net = build_streets(spec, layout, step_rng(seed, "streets"))
    return spec, layout, net, build_grid(spec, layout, net, step_rng(seed, "grid"))


@pytest.mark.parametrize("seed", SEEDS)
def test_park_is_about_21_square_km_and_about_5_6_by_3_8_km(seed: int) -> None:
    spec, layout, _, _ = _grid(seed)
    assert abs(layout.area_m2 / 1e6 - spec.area_km2) < 0.5
    u = np.array([p[0] for p in layout.boundary])
    v = np.array([p[1] for p in layout.boundary])
    assert 5000 < u.max() - u.min() < 7500 and 3300 < v.max() - v.min() < 5000


@pytest.mark.parametrize("seed", SEEDS)
def test_cells_cover_the_boundary(seed: int) -> None:
    _, layout, _, grid = _grid(seed)
    cells = grid.cells
    assert len(cells) == 636
    assert cells.area.sum() == pytest.approx(layout.area_m2, rel=1e-9)
    # No two cells overlap: random points of the park's bounding box fall in at most one cell,
    # and exactly one when inside the boundary (the cells' area equals the boundary's).
    rng = np.random.default_rng(0)
    u = rng.uniform(layout.us[0], layout.us[-1], 20_000)
    v = rng.uniform(layout.vs[0], layout.vs[-1], 20_000)
    inside = (
        (u[:, None] >= cells.u0)
        & (u[:, None] < cells.u1)
        & (v[:, None] >= cells.v0)
        & (v[:, None] < cells.v1)
    )
    assert inside.sum(axis=1).max() == 1
    i = np.clip(np.searchsorted(layout.us, u, side="right") - 1, 0, layout.mask.shape[0] - 1)
    j = np.clip(np.searchsorted(layout.vs, v, side="right") - 1, 0, layout.mask.shape[1] - 1)
    assert np.array_equal(inside.any(axis=1), layout.mask[i, j])


@pytest.mark.parametrize("seed", SEEDS)
def test_community_and_responsibility_grids_group_whole_cells(seed: int) -> None:
    _, _, _, grid = _grid(seed)
    f = grid.frame
    units = f[f["level"] == "unit"]
    comms = f[f["level"] == "community"].set_index("id")
    assert set(units["parent"]) == set(comms.index)
    summed = units.groupby("parent")["area_m2"].sum()
    assert np.allclose(summed.reindex(comms.index), comms["area_m2"])
    resp = f[f["level"] == "responsibility"].set_index("id")
    assert np.allclose(comms.groupby("parent")["area_m2"].sum().reindex(resp.index), resp["area_m2"])
    assert abs(ring_area(grid.community_rings[0])) == pytest.approx(comms["area_m2"].iloc[0])


def test_cells_vary_in_size_around_the_nominal_hectares(park: DemoPark) -> None:
    area = park.grid_cells.loc[park.grid_cells["level"] == "unit", "area_m2"]
    assert area.min() > 5_000 and area.max() < 120_000 and area.max() / area.min() > 2


def test_things_lie_in_the_grid_cell_they_name(park: DemoPark) -> None:
    """Cases, parts, POIs and sensors: back-projected, each falls in its own unit cell."""
    spec, layout, _, grid = _grid(park.seed)
    ids = grid.unit_ids
    parts = park.features[park.features["layer"] == "part"]
    points = parts[parts["geometry"].map(lambda g: g["type"] == "Point")]
    poi = park.features[park.features["layer"] == "poi"]
    sets = {
        "cases": (park.cases["lon"], park.cases["lat"], park.cases["grid_cell"]),
        "sensors": (park.sensors["lon"], park.sensors["lat"], park.sensors["grid_cell"]),
        "parts": _lonlat(points) + (points["properties"].map(lambda p: p["grid_cell"]),),
        "pois": _lonlat(poi) + (poi["properties"].map(lambda p: p["grid_cell"]),),
    }
    for name, (lon, lat, cell) in sets.items():
        u, v = layout.proj.to_plan(lon.to_numpy(), lat.to_numpy())
        found = grid.cells.locate(u, v)
        assert (found >= 0).all(), f"{name} outside the park"
        assert (ids[found] == cell.to_numpy()).all(), f"{name} in another cell than they name"


def _lonlat(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    coords = frame["geometry"].map(lambda g: g["coordinates"])
    return coords.map(lambda c: c[0]), coords.map(lambda c: c[1])


def test_parts_stand_along_streets_not_uniformly(park: DemoPark) -> None:
    """Most parts stand on sidewalks: far more of them lie close to a street than a uniform
    scatter would put there."""
    _, layout, net, grid = _grid(park.seed)
    parts = park.features[park.features["layer"] == "part"]
    points = parts[parts["geometry"].map(lambda g: g["type"] == "Point")].sample(5000, random_state=0)
    lon, lat = _lonlat(points)
    u, v = layout.proj.to_plan(lon.to_numpy(), lat.to_numpy())
    near = _within_of_a_street(net, u, v, 40.0).mean()
    rng = np.random.default_rng(1)
    k = rng.integers(len(grid.cells), size=5000)
    uu, vv = grid.cells.sample(rng, k)
    assert near > 1.5 * _within_of_a_street(net, uu, vv, 40.0).mean()


def _within_of_a_street(net, u, v, metres: float) -> np.ndarray:
    seg = net.segments
    ns = (seg["orient"] == "ns").to_numpy()
    across = np.where(
        ns, np.abs(u[:, None] - seg["at"].to_numpy()), np.abs(v[:, None] - seg["at"].to_numpy())
    )
    along = np.where(ns, v[:, None], u[:, None])
    inside = (along >= seg["lo"].to_numpy()) & (along <= seg["hi"].to_numpy())
    return (inside & (across < metres)).any(axis=1)


def test_geocoded_names_read_as_chinese_and_english_addresses(park: DemoPark) -> None:
    f = park.features
    streets = pd.DataFrame(f.loc[f["layer"] == "street", "properties"].tolist())
    assert streets["name"].is_unique
    assert streets["name"].str.match(r"^[\u4e00-\u9fff]+(大道|道|大街|街|路|巷)$").all()
    assert (
        streets["name_en"]
        .str.match(r"^[A-Z][a-z']+( \d(st|nd|rd|th))? (Avenue|Road|Street|Lane)( II)?$")
        .all()
    )
    doors = pd.DataFrame(f.loc[f["layer"] == "house_number", "properties"].tolist())
    assert doors["name"].str.match(r"^[\u4e00-\u9fff]+\d+号$").all()
    assert doors["name_en"].str.match(r"^\d+ [A-Z]").all()
    assert doors["name"].is_unique


# Street centre lines and grid cells share the boundary's edges: rounding coordinates to
# 6 decimals (~0.1 m) may put their vertices a few centimetres either side of it.
_ON_BOUNDARY_LAYERS = {"street", "grid_unit", "grid_community", "grid_responsibility"}
_ON_BOUNDARY_TOLERANCE_M = 0.5


def test_every_feature_lies_within_the_boundary(park: DemoPark) -> None:
    f = park.features
    ring = np.array(f.loc[f["layer"] == "boundary", "geometry"].iloc[0]["coordinates"][0])
    lat0 = float(ring[:, 1].mean())
    boundary = _metres(ring, lat0)
    for layer, group in f[f["layer"] != "boundary"].groupby("layer"):
        points = _metres(np.array([c for g in group["geometry"] for c in _vertices(g)]), lat0)
        inside = _inside(points, boundary)
        if layer in _ON_BOUNDARY_LAYERS:
            inside |= _distance(points, boundary) <= _ON_BOUNDARY_TOLERANCE_M
        assert inside.all(), f"{(~inside).sum()} vertices of layer {layer} outside the boundary"
    for name in ("cases", "sensors", "enterprises"):
        frame = getattr(park, name)
        assert _inside(_metres(frame[["lon", "lat"]].to_numpy(), lat0), boundary).all(), name


def _vertices(geometry: dict) -> list:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [coords]
    if kind == "LineString":
        return coords
    if kind in ("MultiLineString", "Polygon"):
        return [c for part in coords for c in part]
    raise AssertionError(f"unexpected geometry {kind}")


def _metres(lonlat: np.ndarray, lat0: float) -> np.ndarray:
    """Local equirectangular metres: exact enough over 6 km to judge centimetres."""
    scale = 6_371_008.8 * np.pi / 180
    return np.c_[lonlat[:, 0] * scale * np.cos(np.radians(lat0)), lonlat[:, 1] * scale]


def _inside(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd ray casting against the closed ring."""
    x, y = points[:, :1], points[:, 1:]
    x1, y1, x2, y2 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
    spans = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = x < (x2 - x1) * (y - y1) / (y2 - y1) + x1
    return (spans & cross).sum(axis=1) % 2 == 1


def _distance(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    a, d = ring[:-1][None], np.diff(ring, axis=0)[None]
    q = points[:, None, :] - a
    t = np.clip((q * d).sum(-1) / (d * d).sum(-1), 0, 1)
    return np.sqrt(((q - t[..., None] * d) ** 2).sum(-1)).min(axis=1)
