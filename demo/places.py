"""The geocoded places besides streets and areas: points of interest and house numbers (门牌)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from demo.addresses import Addresser
from demo.blocks import Blocks
from demo.files import DATA_DIR, read_yaml
from demo.grid import Grid
from demo.names import name_book, trade_names
from demo.placement import along_streets, at_crossings, in_blocks, keep_inside
from demo.spec import ParkSpec, apportion
from demo.streets import StreetNet

_FRONTAGE_M = 25.0  # shops and gates stand within this depth of the street side of a block
_DOORPLATE_SETBACK_M = (8.0, 15.0)


@functools.cache
def poi_catalogue() -> dict:
    """The POI categories of demo/data/pois.yaml (read once, on first use)."""
    return read_yaml(DATA_DIR / "pois.yaml")


def build_pois(
    spec: ParkSpec,
    net: StreetNet,
    blocks: Blocks,
    grid: Grid,
    addresser: Addresser,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`spec.pois` points of interest, each in a block whose land use suits its category (bus
    stops at crossings), named from its category's templates, with address and grid cell."""
    cat = poi_catalogue()
    keys = list(cat["categories"])
    counts = apportion(np.array([cat["categories"][k]["weight"] for k in keys], dtype="float64"), spec.pois)
    parts = []
    for key, n in zip(keys, counts, strict=True):
        c = cat["categories"][key]
        if c["land_use"] == ["crossing"]:
            u, v, cross = at_crossings(net, rng, int(n), setback_m=(20.0, 45.0))
        else:
            weights = np.where(np.isin(blocks.land_use, c["land_use"]), np.sqrt(net.blocks.area), 0.0)
            if weights.sum() == 0:  # no block of that use in this park: any block will do
                weights = np.sqrt(net.blocks.area)
            u, v, _ = in_blocks(net.blocks, rng, int(n), weights, edge_m=_FRONTAGE_M)
            cross = np.full(int(n), -1)
        parts.append(pd.DataFrame({"category": key, "u": u, "v": v, "cross": cross}))
    frame = pd.concat(parts, ignore_index=True)
    u, v, cell = keep_inside(grid.cells, frame["u"].to_numpy(), frame["v"].to_numpy())
    frame["u"], frame["v"] = u, v
    frame["grid_cell"] = grid.unit_ids[cell]
    addr = addresser.addresses(u, v)
    frame["address"], frame["address_en"] = addr.zh, addr.en
    frame["name"], frame["name_en"] = _names(frame, net, addr.street, addresser, rng)
    labels = cat["categories"]
    frame["category_name"] = [labels[k]["zh"] for k in frame["category"]]
    frame["category_name_en"] = [labels[k]["en"] for k in frame["category"]]
    frame["id"] = [f"POI{k + 1:04d}" for k in range(len(frame))]
    return frame.drop(columns=["cross"])


def _names(
    frame: pd.DataFrame, net: StreetNet, street: np.ndarray, addresser: Addresser, rng: np.random.Generator
):
    cat = poi_catalogue()
    book = name_book()
    brands = trade_names(rng, len(frame))
    streets_zh, streets_en = net.streets["name"].to_numpy(), net.streets["name_en"].to_numpy()
    cross = frame["cross"].to_numpy()
    cross_zh, cross_en = addresser.crossing_names(np.maximum(cross, 0))
    zh_out, en_out = [], []
    for k, key in enumerate(frame["category"]):
        tpl = cat["categories"][key]["templates"]
        t_zh, t_en = tpl[rng.integers(len(tpl))]
        theme = book.themes[rng.integers(len(book.themes))]
        surname = book.surnames[rng.integers(len(book.surnames))]
        dish = cat["dishes"][rng.integers(len(cat["dishes"]))]
        bank = cat["banks"][rng.integers(len(cat["banks"]))]
        if cross[k] >= 0:  # a bus stop is named after its crossing
            zh_out.append(str(cross_zh[k]))
            en_out.append(str(cross_en[k]))
            continue
        values = {
            "brand": brands[k][0],
            "Brand": brands[k][1],
            "street": streets_zh[street[k]],
            "Street": streets_en[street[k]],
            "theme": theme[0],
            "Theme": theme[1],
            "surname": surname[0],
            "Surname": surname[1],
            "dish": dish[0],
            "Dish": dish[1],
            "bank": bank[0],
            "Bank": bank[1],
        }
        zh_out.append(t_zh.format(**values))
        en_out.append(t_en.format(**values))
    return zh_out, en_out


def build_house_numbers(
    spec: ParkSpec,
    net: StreetNet,
    grid: Grid,
    addresser: Addresser,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`spec.house_numbers` distinct doorplates along the streets, each where its number says."""
    n = spec.house_numbers
    u, v, _ = along_streets(net, rng, 3 * n, offset_m=_DOORPLATE_SETBACK_M)
    u, v, cell = keep_inside(grid.cells, u, v)
    addr = addresser.addresses(u, v, corners=False)
    first = ~pd.Series(addr.zh).duplicated().to_numpy()
    keep = np.flatnonzero(first)[:n]
    if len(keep) < n:
        raise ValueError(f"only {len(keep)} distinct house numbers could be placed, {n} asked")
    return pd.DataFrame(
        {
            "id": [f"HN{k + 1:03d}" for k in range(n)],
            "u": u[keep],
            "v": v[keep],
            "name": addr.zh[keep],
            "name_en": addr.en[keep],
            "street": net.streets["id"].to_numpy()[addr.street[keep]],
            "number": addr.number[keep],
            "grid_cell": grid.unit_ids[cell[keep]],
        }
    )
