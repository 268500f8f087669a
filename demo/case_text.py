"""The words of a case: its address (street, corner or estate building) and a short description."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.addresses import Addresser
from demo.blocks import Blocks
from demo.catalogue import CHANNELS

# Residents describe trouble at home by estate and building, not by street number.
_BUILDING_DOMAINS = ("comprehensive_governance", "petitions", "market_supervision")
# Opening and closing words by channel, in CHANNELS order.
_OPENING = {
    "hotline_12345": ("市民来电反映：", "Resident called the 12345 hotline: "),
    "video_ai": ("视频智能分析发现：", "Detected by video AI: "),
    "grid_patrol": ("网格员巡查发现：", "Found on grid patrol: "),
    "wechat": ("网友通过微信公众号反映：", "Reported on the WeChat account: "),
    "snap_report": ("市民随手拍上报：", "Snap-and-report: "),
    "portal": ("网站留言反映：", "Message on the portal: "),
}
# Grid workers also collect residents' requests on household visits (入户走访).
_VISIT_DOMAINS = ("comprehensive_governance", "petitions", "market_supervision")
_VISIT = ("网格员入户走访收集：", "Collected on a grid worker's household visit: ")
_RESIDENT_ASKS = ("，请尽快处理。", "，希望相关部门尽快解决。", "，请相关部门核实处理。", "，盼尽快答复。")


def case_addresses(
    addresser: Addresser,
    blocks: Blocks,
    u: np.ndarray,
    v: np.ndarray,
    domain: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Address of each case: 'near' a house number, a street corner, or for household matters
    in a residential estate the building (恒山花园12号楼)."""
    addr = addresser.addresses(u, v)
    numbered = addr.number > 0
    zh = np.where(numbered, addr.zh + "附近", addr.zh).astype(object)
    en = np.where(numbered, "near " + addr.en, addr.en).astype(object)
    homes = blocks.areas["kind"].isin(["residential", "village"]).to_numpy()
    area = blocks.area_rects.locate(u, v)
    at_home = (area >= 0) & homes[np.maximum(area, 0)] & np.isin(domain, _BUILDING_DOMAINS)
    if at_home.any():
        counts = (
            blocks.buildings.groupby("area").size().reindex(range(len(blocks.areas)), fill_value=1).to_numpy()
        )
        a = area[at_home]
        building = (rng.random(len(a)) * np.maximum(counts[a], 1)).astype("int64") + 1
        b = pd.Series(building).astype(str).to_numpy(dtype=object)
        zh[at_home] = blocks.areas["name"].to_numpy(dtype=object)[a] + b + "号楼"
        en[at_home] = "Building " + b + ", " + blocks.areas["name_en"].to_numpy(dtype=object)[a]
    return zh, en


def describe(c: pd.DataFrame, types: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A one-sentence description per case from its channel, place and type; repeats say so."""
    n = len(c)
    ch = c["channel_idx"].to_numpy()
    keys = CHANNELS["id"].to_numpy()
    open_zh = np.array([_OPENING[k][0] for k in keys], dtype=object)[ch]
    open_en = np.array([_OPENING[k][1] for k in keys], dtype=object)[ch]
    visit = (keys[ch] == "grid_patrol") & np.isin(types["domain"].to_numpy(), _VISIT_DOMAINS)
    open_zh[visit], open_en[visit] = _VISIT
    asks = np.array(_RESIDENT_ASKS, dtype=object)[rng.integers(len(_RESIDENT_ASKS), size=n)]
    confidence = pd.Series(rng.uniform(0.80, 0.99, n).round(2)).map("{:.2f}".format).to_numpy(dtype=object)
    close = np.where(
        visit,
        "，已登记上报。",
        np.where(
            keys[ch] == "grid_patrol",
            "，已拍照上报。",
            np.where(keys[ch] == "video_ai", "，识别置信度" + confidence + "，待人工核实。", asks),
        ),
    ).astype(object)
    repeat = c["repeat_of"].notna().to_numpy()
    zh = (
        np.where(repeat, "重复反映。", "").astype(object)
        + open_zh
        + c["address"].to_numpy(dtype=object)
        + "，"
        + types["note"].to_numpy(dtype=object)
        + close
    )
    en = (
        np.where(repeat, "Repeat report. ", "").astype(object)
        + open_en
        + types["name_en"].to_numpy(dtype=object)
        + ", "
        + c["address_en"].to_numpy(dtype=object)
        + "."
    )
    return zh, en
