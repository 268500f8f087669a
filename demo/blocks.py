"""Land use of the blocks, the named areas (estates, industrial parks, villages) and buildings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.geometry import Rects
from demo.layout import Layout
from demo.names import join_pinyin, name_book, theme_names
from demo.spec import ParkSpec, apportion
from demo.streets import StreetNet

LAND_USES = ("industrial", "residential", "commercial", "public", "green", "vacant")
# An economic and technological development zone is mostly industrial land, with housing for
# its workforce and a commercial centre (shares of the zone centres that seed land use);
# schools, clinics and parks are scattered block by block.
_ZONE_MIX = {"industrial": 0.55, "residential": 0.33, "commercial": 0.12}
_ZONES = 14
_GREEN_SHARE, _PUBLIC_SHARE = 0.06, 0.06
_AREA_MIX = (
    ("residential", 14),
    ("industrial", 9),
    ("village", 3),
    ("commercial", 1),
    ("park", 1),
    ("campus", 1),
)
_AREA_LAND_USE = {
    "residential": "residential",
    "village": "residential",
    "industrial": "industrial",
    "commercial": "commercial",
    "park": "green",
    "campus": "public",
}
_ESTATE_SUFFIXES = (
    ("花园", "Garden"),
    ("家园", "Homes"),
    ("小区", "Estate"),
    ("公寓", "Apartments"),
    ("新城", "New Town"),
    ("雅苑", "Court"),
)
_INDUSTRIAL_PARKS = (
    ("生物医药产业园", "Biomedical Industrial Park"),
    ("电子信息产业园", "Electronic Information Industrial Park"),
    ("新材料产业园", "New Materials Industrial Park"),
    ("智能装备产业园", "Intelligent Equipment Industrial Park"),
    ("食品产业园", "Food Industrial Park"),
    ("现代物流园", "Modern Logistics Park"),
    ("科技企业孵化器", "Technology Business Incubator"),
    ("留学人员创业园", "Returned Scholars' Start-up Park"),
    ("医疗器械产业园", "Medical Device Industrial Park"),
    ("数字经济产业园", "Digital Economy Industrial Park"),
    ("中试基地", "Pilot Production Base"),
    ("总部基地", "Headquarters Base"),
)
_VILLAGE_PARTS = (("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"), ("大", "da"), ("小", "xiao"))
_VILLAGE_KINDS = (("庄", "zhuang"), ("营", "ying"), ("屯", "tun"), ("寨", "zhai"))
_OTHER_AREAS = {
    "commercial": ("中央商务区", "Central Business District"),
    "campus": ("职教园区", "Vocational Education Park"),
}


@dataclass(frozen=True, slots=True)
class Blocks:
    """Per tile: land use and named area (-1 if none). The areas frame and the buildings frame
    (plan rectangles u0, v0, u1, v1 with name, use, floors, height)."""

    land_use: np.ndarray
    tile_area: np.ndarray
    areas: pd.DataFrame
    area_rects: Rects
    buildings: pd.DataFrame


def build_blocks(spec: ParkSpec, layout: Layout, net: StreetNet, rng: np.random.Generator) -> Blocks:
    """Give every block a land use, name `spec.areas` areas and put about `spec.buildings`
    buildings on the blocks (blocks left empty are vacant lots awaiting development)."""
    land_use = _land_use(layout, net, rng)
    areas, area_rects, tile_area = _areas(spec, net, land_use, rng)
    buildings = _buildings(spec, net, land_use, tile_area, areas, rng)
    undeveloped = ~np.isin(np.arange(len(net.tiles)), buildings["tile"].unique()) & (tile_area < 0)
    land_use[undeveloped & np.isin(land_use, ("industrial", "residential", "commercial"))] = "vacant"
    return Blocks(land_use, tile_area, areas, area_rects, buildings)


def _land_use(layout: Layout, net: StreetNet, rng: np.random.Generator) -> np.ndarray:
    kinds = list(_ZONE_MIX)
    zone_kind = rng.permutation(
        np.repeat(np.arange(len(kinds)), apportion(np.array(list(_ZONE_MIX.values())), _ZONES))
    )
    zu = rng.uniform(layout.us[0], layout.us[-1], _ZONES)
    zv = rng.uniform(layout.vs[0], layout.vs[-1], _ZONES)
    sb_u = (layout.us[net.tile_superblock[:, 0]] + layout.us[net.tile_superblock[:, 0] + 1]) / 2
    sb_v = (layout.vs[net.tile_superblock[:, 1]] + layout.vs[net.tile_superblock[:, 1] + 1]) / 2
    nearest = np.argmin((sb_u[:, None] - zu) ** 2 + (sb_v[:, None] - zv) ** 2, axis=1)
    use = np.array(kinds, dtype=object)[zone_kind[nearest]]
    r = rng.random(len(use))
    use[r < _GREEN_SHARE] = "green"
    use[(r >= _GREEN_SHARE) & (r < _GREEN_SHARE + _PUBLIC_SHARE)] = "public"
    return use


def _areas(spec: ParkSpec, net: StreetNet, land_use: np.ndarray, rng: np.random.Generator):
    kinds = [k for k, _ in _AREA_MIX]
    counts = apportion(np.array([c for _, c in _AREA_MIX]), spec.areas)
    sbs = sorted({tuple(x) for x in net.tile_superblock})
    sb_tiles = {sb: np.flatnonzero((net.tile_superblock == sb).all(axis=1)) for sb in sbs}
    free = list(rng.permutation(len(sbs)))
    themes = iter(theme_names(rng, len(name_book().themes)))
    book = name_book()
    rows: list[tuple[str, str, str, str]] = []
    rects: list[tuple[float, float, float, float]] = []
    tile_area = np.full(len(net.tiles), -1, dtype="int64")
    for kind, n in zip(kinds, counts, strict=True):
        want = _AREA_LAND_USE[kind]
        for k in range(int(n)):
            # Prefer a superblock whose blocks already have the area's land use.
            pick = next((s for s in free if (land_use[sb_tiles[sbs[s]]] == want).mean() >= 0.5), free[0])
            free.remove(pick)
            tiles = sb_tiles[sbs[pick]]
            land_use[tiles] = want
            a = len(rows)
            tile_area[tiles] = a
            zh, en = _area_name(kind, k, themes, book, rng)
            b = net.blocks.take(tiles)
            rects.append((b.u0.min(), b.v0.min(), b.u1.max(), b.v1.max()))
            rows.append((f"AR{a + 1:02d}", zh, en, kind))
    arr = np.array(rects)
    areas = pd.DataFrame(rows, columns=["id", "name", "name_en", "kind"])
    return areas, Rects(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]), tile_area


def _area_name(kind: str, k: int, themes, book, rng: np.random.Generator) -> tuple[str, str]:
    if kind == "residential":
        zh, en = next(themes)
        s_zh, s_en = _ESTATE_SUFFIXES[rng.integers(len(_ESTATE_SUFFIXES))]
        return zh + s_zh, f"{en} {s_en}"
    if kind == "industrial":
        return _INDUSTRIAL_PARKS[k % len(_INDUSTRIAL_PARKS)]
    if kind == "village":
        d = _VILLAGE_PARTS[k % len(_VILLAGE_PARTS)]
        s = book.surnames[rng.integers(len(book.surnames))]
        v = _VILLAGE_KINDS[rng.integers(len(_VILLAGE_KINDS))]
        return f"{d[0]}{s[0]}{v[0]}村", f"{join_pinyin([d[1], s[1], v[1]])} Village"
    if kind == "park":
        zh, en = next(themes)
        return f"{zh}公园", f"{en} Park"
    return _OTHER_AREAS[kind]


def _buildings(spec, net: StreetNet, land_use, tile_area, areas, rng: np.random.Generator) -> pd.DataFrame:
    cand = []
    for t in range(len(net.tiles)):
        for u0, v0, u1, v1, floors, storey in _layout_block(
            net.blocks, t, land_use[t], tile_area[t], areas, rng
        ):
            cand.append((t, u0, v0, u1, v1, floors, floors * storey))
    frame = pd.DataFrame(cand, columns=["tile", "u0", "v0", "u1", "v1", "floors", "height_m"])
    # Too many: leave whole blocks outside the named areas undeveloped, so gaps look like plots.
    per_tile = frame.groupby("tile").size()
    optional = [t for t in rng.permutation(per_tile.index.to_numpy()) if tile_area[t] < 0]
    excess = len(frame) - spec.buildings
    drop = []
    for t in optional:
        if excess <= 0:
            break
        drop.append(t)
        excess -= per_tile[t]
    frame = frame[~frame["tile"].isin(drop)].reset_index(drop=True)
    frame["use"] = land_use[frame["tile"].to_numpy()]
    frame["area"] = tile_area[frame["tile"].to_numpy()]
    seq = frame.groupby("tile").cumcount() + 1
    area_zh = np.where(frame["area"] >= 0, areas["name"].reindex(frame["area"]).to_numpy(), None)
    area_en = np.where(frame["area"] >= 0, areas["name_en"].reindex(frame["area"]).to_numpy(), None)
    plots = plot_codes(net)
    plot = plots[frame["tile"].to_numpy()]
    plant = frame["use"].eq("industrial").to_numpy()
    frame["name"] = [
        f"{a}{s}号{'厂房' if p else '楼'}" if a else f"{pl}地块{s}号{'厂房' if p else '楼'}"
        for a, s, p, pl in zip(area_zh, seq, plant, plot, strict=True)
    ]
    frame["name_en"] = [
        f"{'Plant' if p else 'Building'} {s}, {a}" if a else f"{'Plant' if p else 'Building'} {s}, Plot {pl}"
        for a, s, p, pl in zip(area_en, seq, plant, plot, strict=True)
    ]
    frame["id"] = [f"BD{k + 1:05d}" for k in range(len(frame))]
    return frame


def plot_codes(net: StreetNet) -> np.ndarray:
    """Planning plot codes (地块编号) of the blocks: superblock column, row and a letter for
    the block within it, e.g. KF-12-08B."""
    sb = net.tile_superblock
    sub = pd.DataFrame(sb).groupby([0, 1]).cumcount().to_numpy()
    return np.array([f"KF-{i + 1:02d}-{j + 1:02d}{'ABCD'[k]}" for (i, j), k in zip(sb, sub, strict=True)])


def _layout_block(blocks: Rects, t: int, use: str, area: int, areas: pd.DataFrame, rng: np.random.Generator):
    """Building footprints for one block: rows of slab blocks spaced for winter sun in
    housing, a few large sheds in industry, towers in commerce."""
    u0, v0, u1, v1 = blocks.u0[t], blocks.v0[t], blocks.u1[t], blocks.v1[t]
    w, h = u1 - u0, v1 - v0
    village = area >= 0 and areas["kind"].iat[area] == "village"
    if use == "residential" and village:
        return _rows(
            u0, v0, w, h, (14, 18), (12, 14), (8, 10), (6, 8), lambda: int(rng.integers(2, 4)), 3.0, rng
        )
    if use == "residential":
        return _rows(
            u0,
            v0,
            w,
            h,
            (40, 64),
            (12, 15),
            (16, 22),
            (30, 40),
            lambda: int(rng.choice([6, 11, 18, 26, 33], p=[0.15, 0.2, 0.3, 0.2, 0.15])),
            3.0,
            rng,
        )
    if use == "industrial":
        return _rows(
            u0, v0, w, h, (40, 100), (30, 60), (15, 25), (15, 25), lambda: int(rng.integers(1, 4)), 6.0, rng
        )
    if use == "commercial":
        return _rows(
            u0, v0, w, h, (30, 55), (25, 40), (20, 30), (20, 30), lambda: int(rng.integers(5, 29)), 4.0, rng
        )
    if use == "public":
        return _rows(
            u0, v0, w, h, (40, 80), (18, 30), (30, 50), (30, 50), lambda: int(rng.integers(3, 7)), 4.0, rng
        )
    return []


def _rows(u0, v0, w, h, length, depth, gap_u, gap_v, floors, storey_m, rng):
    """Fill a block with a regular pattern of rectangles, each row slightly varied."""
    out = []
    v = v0 + rng.uniform(4, 10)
    while True:
        d = rng.uniform(*depth)
        if v + d > v0 + h - 4:
            break
        u = u0 + rng.uniform(4, 10)
        while True:
            ln = rng.uniform(*length)
            if u + ln > u0 + w - 4:
                break
            out.append((u, v, u + ln, v + d, floors(), storey_m))
            u += ln + rng.uniform(*gap_u)
        v += d + rng.uniform(*gap_v)
    return out
