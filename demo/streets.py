"""The named street network: major streets, branch roads, their crossings and the tiles between."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.geometry import Rects
from demo.layout import Layout
from demo.names import name_book
from demo.spec import ParkSpec

# Red-line widths (m) by road class, as Chinese urban road design codes (CJJ 37) size them.
WIDTH_M = {"trunk": 60.0, "main": 45.0, "secondary": 32.0, "branch": 20.0, "lane": 12.0}
_SUFFIX = {  # (zh, en) generic part of a name, by orientation and class
    ("ew", "trunk"): ("大道", "Avenue"),
    ("ew", "main"): ("道", "Road"),
    ("ew", "secondary"): ("道", "Road"),
    ("ns", "trunk"): ("大街", "Street"),
    ("ns", "main"): ("大街", "Street"),
    ("ns", "secondary"): ("街", "Street"),
}
_ORDINALS = (("一", "1st"), ("二", "2nd"), ("三", "3rd"), ("四", "4th"))
_MIN_SUPERBLOCK_FOR_CUT_M = 220.0
_BLOCK_SETBACK_M = 6.0  # building line behind the road's red line


@dataclass(frozen=True, slots=True)
class StreetNet:
    """streets: one row per named street (id, name, name_en, orient, rank, width_m, length_m).
    segments: straight pieces (street index, orient, at = the fixed coordinate, lo..hi along).
    crossings: where a north-south piece meets an east-west one (u, v, both street indices).
    tiles: the rectangles between street centre lines, with their block (the built-up part
    inside the red lines) and their superblock (i, j)."""

    streets: pd.DataFrame
    segments: pd.DataFrame
    crossings: pd.DataFrame
    tiles: Rects
    blocks: Rects
    tile_superblock: np.ndarray


def build_streets(spec: ParkSpec, layout: Layout, rng: np.random.Generator) -> StreetNet:
    """Name the major lines, add branch roads until there are `spec.streets` streets, and cut
    the superblocks into tiles along them.

    Raises ValueError when the layout has more major lines than `spec.streets`."""
    major = _major_streets(layout, rng)
    n_minor = spec.streets - len(major)
    if n_minor < 0:
        raise ValueError(f"the layout has {len(major)} major streets, more than the {spec.streets} asked")
    minor, cut_u, cut_v = _branch_roads(layout, rng, n_minor)
    rows = major + minor
    _name(rows, rng)
    streets = pd.DataFrame(
        {
            "id": [f"ST{k + 1:03d}" for k in range(len(rows))],
            "name": [r["name"] for r in rows],
            "name_en": [r["name_en"] for r in rows],
            "orient": [r["orient"] for r in rows],
            "rank": [r["rank"] for r in rows],
            "width_m": [WIDTH_M[r["rank"]] for r in rows],
            "length_m": [sum(hi - lo for lo, hi in r["pieces"]) for r in rows],
        }
    )
    segments = pd.DataFrame(
        [
            (k, r["orient"], r["at"], lo, hi, WIDTH_M[r["rank"]])
            for k, r in enumerate(rows)
            for lo, hi in r["pieces"]
        ],
        columns=["street", "orient", "at", "lo", "hi", "width_m"],
    )
    tiles, blocks, tile_sb = _tiles(layout, cut_u, cut_v, segments, streets)
    return StreetNet(streets, segments, _crossings(segments), tiles, blocks, tile_sb)


def _major_streets(layout: Layout, rng: np.random.Generator) -> list[dict]:
    out = []
    for orient, lines, occupied in (("ns", layout.us, layout.mask), ("ew", layout.vs, layout.mask.T)):
        along = layout.vs if orient == "ns" else layout.us
        n = len(lines)
        # Every third line or so is a main road; two near the thirds are the trunk avenues.
        trunk = {round(n / 3), round(2 * n / 3)}
        for k, at in enumerate(lines):
            near = np.zeros(occupied.shape[1], dtype=bool)
            if k > 0:
                near |= occupied[k - 1]
            if k < n - 1:
                near |= occupied[k]
            rank = "trunk" if k in trunk else ("main" if rng.random() < 0.35 else "secondary")
            out.append({"orient": orient, "at": float(at), "rank": rank, "pieces": _runs(near, along)})
    return out


def _runs(flags: np.ndarray, edges: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of true flags as (start, end) positions along `edges`."""
    runs, start = [], None
    for j, f in enumerate([*flags.tolist(), False]):
        if f and start is None:
            start = j
        elif not f and start is not None:
            runs.append((float(edges[start]), float(edges[j])))
            start = None
    return runs


def _branch_roads(layout: Layout, rng: np.random.Generator, n: int):
    """Branch roads, each splitting 1–3 superblocks in a row or column through the middle
    third; at most one per direction per superblock, so the tiles stay rectangles."""
    cut_u: dict[tuple[int, int], float] = {}
    cut_v: dict[tuple[int, int], float] = {}
    out: list[dict] = []
    inside = np.argwhere(layout.mask)
    for _ in range(200 * max(n, 1)):
        if len(out) == n:
            break
        i, j = inside[rng.integers(len(inside))]
        orient = "ns" if rng.random() < 0.5 else "ew"
        span = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        cells = [(i, j + d) for d in range(span)] if orient == "ns" else [(i + d, j) for d in range(span)]
        cuts = cut_u if orient == "ns" else cut_v
        lines, across = (layout.us, layout.vs) if orient == "ns" else (layout.vs, layout.us)
        k = i if orient == "ns" else j
        if (
            not all(
                a < layout.mask.shape[0]
                and b < layout.mask.shape[1]
                and layout.mask[a, b]
                and (a, b) not in cuts
                for a, b in cells
            )
            or lines[k + 1] - lines[k] < _MIN_SUPERBLOCK_FOR_CUT_M
        ):
            continue
        at = float(lines[k] + rng.uniform(0.35, 0.65) * (lines[k + 1] - lines[k]))
        for c in cells:
            cuts[c] = at
        first = j if orient == "ns" else i
        rank = "lane" if span == 1 and rng.random() < 0.3 else "branch"
        out.append(
            {
                "orient": orient,
                "at": at,
                "rank": rank,
                "pieces": [(float(across[first]), float(across[first + span]))],
            }
        )
    if len(out) < n:
        raise ValueError(f"room for only {len(out)} branch roads, {n} needed")
    return out, cut_u, cut_v


def _name(rows: list[dict], rng: np.random.Generator) -> None:
    """Major streets after mountains (north-south) and rivers (east-west); branch roads after
    theme words, some as numbered series (创业一路, 创业二路…) as development zones do."""
    book = name_book()
    pools = {"ns": list(rng.permutation(len(book.mountains))), "ew": list(rng.permutation(len(book.rivers)))}
    words = {"ns": book.mountains, "ew": book.rivers}
    themes = [book.themes[i] for i in rng.permutation(len(book.themes))]
    branch = [r for r in rows if r["rank"] in ("branch", "lane")]
    names: list[tuple[str, str]] = []
    t = 0
    while len(names) < len(branch):
        zh, en = themes[t % len(themes)]
        t += 1
        if t <= 8:
            for o_zh, o_en in _ORDINALS[: int(rng.integers(2, 5))]:
                names.append((f"{zh}{o_zh}路", f"{en} {o_en} Road"))
        else:
            suffix = ("路", "Road") if t <= len(themes) else ("街", "Street")
            names.append((zh + suffix[0], f"{en} {suffix[1]}"))
    names = [names[i] for i in rng.permutation(len(names))]
    for r in rows:
        if r["rank"] in ("branch", "lane"):
            zh, en = names.pop()
            if r["rank"] == "lane":
                zh, en = zh[:-1] + "巷", en.rsplit(" ", 1)[0] + " Lane"
        else:
            word = words[r["orient"]][pools[r["orient"]].pop()]
            s_zh, s_en = _SUFFIX[(r["orient"], r["rank"])]
            zh, en = word[0] + s_zh, f"{word[1]} {s_en}"
        r["name"], r["name_en"] = zh, en
    seen: set[str] = set()
    for r in rows:  # a lane and a road may have drawn the same theme: number the later one
        while r["name"] in seen:
            r["name"], r["name_en"] = r["name"][:-1] + "二" + r["name"][-1], r["name_en"] + " II"
        seen.add(r["name"])


def _crossings(seg: pd.DataFrame) -> pd.DataFrame:
    ns, ew = seg[seg["orient"] == "ns"], seg[seg["orient"] == "ew"]
    u, v = ns["at"].to_numpy()[:, None], ew["at"].to_numpy()[None, :]
    eps = 1e-6
    hit = (
        (ns["lo"].to_numpy()[:, None] - eps <= v)
        & (v <= ns["hi"].to_numpy()[:, None] + eps)
        & (ew["lo"].to_numpy()[None, :] - eps <= u)
        & (u <= ew["hi"].to_numpy()[None, :] + eps)
    )
    a, b = np.nonzero(hit)
    return (
        pd.DataFrame(
            {
                "u": ns["at"].to_numpy()[a],
                "v": ew["at"].to_numpy()[b],
                "ns_street": ns["street"].to_numpy()[a],
                "ew_street": ew["street"].to_numpy()[b],
            }
        )
        .drop_duplicates(["u", "v"])
        .reset_index(drop=True)
    )


def _tiles(layout: Layout, cut_u: dict, cut_v: dict, segments: pd.DataFrame, streets: pd.DataFrame):
    """Split each superblock at its branch roads; inset each tile by half the width of the
    street on each side plus a setback to get its block."""
    ranks = streets["rank"].to_numpy()[segments["street"].to_numpy()]
    major = segments[~np.isin(ranks, ("branch", "lane"))]
    half = {
        (o, round(a, 3)): w / 2
        for o, a, w in zip(major["orient"], major["at"], major["width_m"], strict=True)
    }
    branch_half = WIDTH_M["branch"] / 2
    rows = []
    for i, j in np.argwhere(layout.mask):
        us = [layout.us[i], *([cut_u[(i, j)]] if (i, j) in cut_u else []), layout.us[i + 1]]
        vs = [layout.vs[j], *([cut_v[(i, j)]] if (i, j) in cut_v else []), layout.vs[j + 1]]
        for a in range(len(us) - 1):
            for b in range(len(vs) - 1):
                w = half.get(("ns", round(float(us[a]), 3)), branch_half)
                e = half.get(("ns", round(float(us[a + 1]), 3)), branch_half)
                s = half.get(("ew", round(float(vs[b]), 3)), branch_half)
                n = half.get(("ew", round(float(vs[b + 1]), 3)), branch_half)
                rows.append((us[a], vs[b], us[a + 1], vs[b + 1], w, s, e, n, i, j))
    t = np.array(rows, dtype="float64")
    tiles = Rects(t[:, 0], t[:, 1], t[:, 2], t[:, 3])
    g = _BLOCK_SETBACK_M
    blocks = Rects(t[:, 0] + t[:, 4] + g, t[:, 1] + t[:, 5] + g, t[:, 2] - t[:, 6] - g, t[:, 3] - t[:, 7] - g)
    return tiles, blocks, t[:, 8:10].astype("int64")
