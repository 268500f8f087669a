"""Three years of cases in the closed loop: what, where and when, each stage's time, and ratings.

`sla_deadline` is the time by which a case must be closed (结案时限): its report time plus the
sum of all four stage limits of its type (config/case_types.yaml). A case closed after it was
closed late; an open case past it is overdue.

Case ids (e.g. 2025031500042: the park-local report date and a daily serial) are issued at
generation time and are unique within a park. The store may move a demo park's times forward
by whole days to keep it current; ids are not re-dated then, so an id's date names the day the
case was generated for, not necessarily the day its `reported_at` falls on now."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from demo.addresses import Addresser
from demo.blocks import Blocks
from demo.case_text import case_addresses, describe
from demo.catalogue import CHANNELS, STAGES, CaseCatalogue
from demo.geometry import Projection
from demo.grid import Grid
from demo.placement import clamp_into, keep_inside
from demo.rhythms import draw_report_times
from demo.spec import ParkSpec

# How much more often each domain's cases arise on each land use (per unit of cell area).
_LAND_USES = ("commercial", "residential", "industrial", "public", "green", "vacant")
# fmt: off
_LAND_USE_FACTOR = {  # in _LAND_USES order
    "urban_management":         (2.0, 1.6, 0.9, 1.2, 0.8, 0.7),
    "comprehensive_governance": (1.2, 3.0, 0.5, 0.8, 0.3, 0.3),
    "environmental_protection": (1.0, 1.2, 2.2, 0.5, 0.5, 1.0),
    "work_safety":              (1.3, 1.0, 2.5, 0.6, 0.2, 0.8),
    "market_supervision":       (3.0, 1.5, 0.6, 0.6, 0.2, 0.2),
    "petitions":                (1.0, 2.0, 0.8, 1.0, 0.3, 0.8),
}
# fmt: on
# Recurring hot spots (DOMAIN.md, 未诉先办): a share of types concentrate part of their cases
# in one to three cells.
_HOT_TYPE_SHARE = 0.35
_HOT_CASE_SHARE = (0.15, 0.35)
# Stage durations are lognormal: median = this fraction of the stage's limit, with this sigma.
# Ordinary cases close well inside their deadline (the sum of all four limits); about 1 % of
# them still run over by chance.
_STAGE_MEDIAN = {"accept": 0.15, "dispatch": 0.2, "handle": 0.28, "verify": 0.15}
_STAGE_SIGMA = {"accept": 0.7, "dispatch": 0.7, "handle": 0.75, "verify": 0.8}
# Some cases stall in handling (another department's consent, an owner who cannot be reached, a
# dispute, parts on order): their handling alone takes _STALL_HANDLE times the whole closing
# limit, so most of them close late. _STALL_SHARE is the share of stalled cases by domain, times
# a per-type factor (lognormal, _STALL_TYPE_SIGMA) so some types run late far more often than
# others; emergencies stall half as often. Overall about 6–7 % of cases close late (5 % in urban
# management, 12 % in petitions), so some 93 % of a month's closures are on time.
_STALL_SHARE = {
    "urban_management": 0.025,
    "comprehensive_governance": 0.05,
    "environmental_protection": 0.07,
    "work_safety": 0.04,
    "market_supervision": 0.06,
    "petitions": 0.09,
}
_STALL_TYPE_SIGMA = 0.6
_STALL_HANDLE = (0.75, 2.0)
# Closing follows verification; where a resident reported, the closing waits for the call back.
_CLOSE_MEDIAN_H = {"resident": 2.0, "staff": 0.3}
_STAFF_CHANNELS = ("grid_patrol", "video_ai")
_RATED_SHARE = 0.88  # residents reached by the call back
_SATISFACTION = {"on_time": [0.02, 0.03, 0.07, 0.20, 0.68], "overdue": [0.15, 0.17, 0.23, 0.25, 0.20]}
# A camera sees about 80 m around it; an eagle eye on a tall building about 800 m.
_VIEW_RADIUS_M = {"camera": 80.0, "eagle_eye": 800.0}
_REPEAT_DELAY_DAYS = (5.0, 0.9)  # lognormal median and sigma of the gap before a repeat
# Recent bursts for 未诉先办 (domain/hotspots.py) to find: one fault that many people report in
# the last days, from one spot — (case type, cases, over the last days, spread in metres). A
# burst main draws a dozen calls in two days; a factory running at night, complaints all week;
# a row of dark street lights, a few each evening. Only parks of _BURST_MIN_CASES or more have
# them (a small test park's few recent cases would be all burst); their cases come out of the
# requested count, so a park still has exactly `n` cases.
_BURSTS = (
    ("um.water_main_burst", 12, 2.0, 25.0),
    ("ep.industrial_noise", 9, 6.0, 40.0),
    ("um.street_light_out", 8, 5.0, 60.0),
)
_BURST_MIN_CASES = 20_000
_BURST_CHANNELS = (("hotline_12345", 0.55), ("wechat", 0.25), ("snap_report", 0.2))
_US_PER_HOUR = 3_600_000_000
TIME_COLUMNS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")


def build_cases(
    spec: ParkSpec,
    n: int,
    catalogue: CaseCatalogue,
    proj: Projection,
    grid: Grid,
    blocks: Blocks,
    sensors: pd.DataFrame,
    addresser: Addresser,
    now: datetime,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`n` cases reported in the `spec.case_years` before `now`, sorted by report time.

    Columns: the cases contract plus address_en, description_en, reporter (who reported:
    grid worker, camera or channel) and worker (the cell's grid worker)."""
    types = catalogue.types
    n_repeat = int(round(spec.repeat_share * n))
    n_burst = sum(b[1] for b in _BURSTS) if n >= _BURST_MIN_CASES else 0
    base = _draw_base(spec, n - n_repeat - n_burst, types, catalogue, grid, blocks, sensors, now, rng)
    repeats = _draw_repeats(base, n_repeat, grid, now, rng)
    parts = [base, repeats]
    if n_burst:
        parts.append(_draw_bursts(types, grid, blocks, now, len(base) + len(repeats), rng))
    c = pd.concat(parts, ignore_index=True)
    c = c.sort_values(["reported_at", "type_idx"], kind="stable", ignore_index=True)
    order = np.argsort(c["row"].to_numpy())  # original row → sorted position, for repeat_of
    # A little way inside its cell, so rounding to GeoJSON precision never crosses an edge.
    c["u"], c["v"] = clamp_into(grid.cells, c["cell"].to_numpy(), c["u"].to_numpy(), c["v"].to_numpy())
    c["id"] = _case_ids(c["reported_at"].to_numpy(), spec.utc_offset_h)
    parent = c["parent_row"].to_numpy()
    c["repeat_of"] = np.where(parent >= 0, c["id"].to_numpy()[order[np.maximum(parent, 0)]], None)
    t = types.iloc[c["type_idx"].to_numpy()].reset_index(drop=True)
    _lifecycle(c, t, len(types), now, rng)
    zh, en = case_addresses(
        addresser, blocks, c["u"].to_numpy(), c["v"].to_numpy(), t["domain"].to_numpy(), rng
    )
    c["address"], c["address_en"] = zh, en
    c["description"], c["description_en"] = describe(c, t, rng)
    c["case_type"], c["domain"], c["department"] = t["id"], t["domain"], t["department"]
    c["channel"] = CHANNELS["id"].to_numpy()[c["channel_idx"].to_numpy()]
    c["grid_cell"] = grid.unit_ids[c["cell"].to_numpy()]
    c["worker"] = grid.cell_worker[c["cell"].to_numpy()]
    c["reporter"] = np.where(
        c["channel"] == "grid_patrol",
        c["worker"],
        np.where(c["channel"] == "video_ai", c["device"], c["channel"]),
    )
    c["lon"], c["lat"] = proj.to_lonlat(c["u"].to_numpy(), c["v"].to_numpy())
    for col in TIME_COLUMNS + ("sla_deadline",):
        c[col] = pd.to_datetime(c[col]).dt.tz_localize("UTC")
    return c[
        [
            "id",
            "channel",
            "domain",
            "case_type",
            "grid_cell",
            "department",
            "status",
            *TIME_COLUMNS,
            "sla_deadline",
            "lon",
            "lat",
            "address",
            "description",
            "satisfaction",
            "repeat_of",
            "address_en",
            "description_en",
            "reporter",
            "worker",
        ]
    ]


def _draw_base(spec, n, types, catalogue, grid, blocks, sensors, now, rng) -> pd.DataFrame:
    domain_of = types["domain"].to_numpy()
    weight = types["weight"].to_numpy() / types.groupby("domain")["weight"].transform("sum").to_numpy()
    p_type = weight * catalogue.domain_share.reindex(domain_of).to_numpy()
    type_idx = rng.choice(len(types), size=n, p=p_type / p_type.sum())
    mix = catalogue.channel_mix.reindex(domain_of).to_numpy().copy()
    video_col = list(CHANNELS["id"]).index("video_ai")
    mix[~types["video_ai"].to_numpy(), video_col] = 0.0
    cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    channel_idx = np.minimum((rng.random(n)[:, None] > cum[type_idx]).sum(axis=1), len(CHANNELS) - 1)
    season = types["season"].to_numpy()[type_idx]
    channel = CHANNELS["id"].to_numpy()[channel_idx]
    reported = draw_report_times(
        rng, now, spec.case_years, spec.case_growth_per_year, spec.utc_offset_h, season, channel
    )
    cell = _draw_cells(types, type_idx, grid, blocks, rng)
    u, v = grid.cells.sample(rng, cell)
    device = np.full(n, None, dtype=object)
    video = np.flatnonzero(channel_idx == video_col)
    if len(video):
        u[video], v[video], cell[video], device[video] = _near_cameras(sensors, grid, len(video), rng)
    return pd.DataFrame(
        {
            "row": np.arange(n),
            "type_idx": type_idx,
            "channel_idx": channel_idx,
            "reported_at": reported,
            "cell": cell,
            "u": u,
            "v": v,
            "device": device,
            "parent_row": -1,
        }
    )


def _draw_cells(types, type_idx, grid: Grid, blocks: Blocks, rng) -> np.ndarray:
    use = blocks.land_use[grid.cell_tile]
    area = grid.cells.area
    cell = np.empty(len(type_idx), dtype="int64")
    for t in np.unique(type_idx):
        idx = np.flatnonzero(type_idx == t)
        factor = dict(zip(_LAND_USES, _LAND_USE_FACTOR[types["domain"].iat[t]], strict=True))
        w = area * np.array([factor[x] for x in use])
        w = w / w.sum()
        if rng.random() < _HOT_TYPE_SHARE:
            hot = rng.choice(len(w), size=int(rng.integers(1, 4)), replace=False, p=w)
            share = rng.uniform(*_HOT_CASE_SHARE)
            w = (1 - share) * w
            w[hot] += share / len(hot)
        cell[idx] = rng.choice(len(w), size=len(idx), p=w)
    return cell


def _near_cameras(sensors: pd.DataFrame, grid: Grid, n: int, rng):
    """Video-AI finds things in view of a camera or an eagle eye."""
    cams = sensors[sensors["kind"].isin(list(_VIEW_RADIUS_M))].reset_index(drop=True)
    pick = rng.integers(len(cams), size=n)
    radius = cams["kind"].map(_VIEW_RADIUS_M).to_numpy()[pick] * np.sqrt(rng.random(n))
    angle = rng.uniform(0, 2 * np.pi, n)
    u = cams["u"].to_numpy()[pick] + radius * np.cos(angle)
    v = cams["v"].to_numpy()[pick] + radius * np.sin(angle)
    u, v, cell = keep_inside(grid.cells, u, v)
    return u, v, cell, cams["id"].to_numpy()[pick]


def _draw_repeats(base: pd.DataFrame, n: int, grid: Grid, now: datetime, rng) -> pd.DataFrame:
    """Repeats (~3 %): the same type in the same cell a few days after an earlier case, most
    often by a resident calling the hotline again."""
    if n == 0 or base.empty:
        return base.iloc[0:0].copy()
    parents = base.iloc[rng.integers(len(base), size=n)].reset_index(drop=True)
    now64 = np.datetime64(pd.Timestamp(now).tz_convert("UTC").tz_localize(None), "us")
    gap_h = rng.lognormal(np.log(_REPEAT_DELAY_DAYS[0] * 24), _REPEAT_DELAY_DAYS[1], n)
    room_h = (now64 - parents["reported_at"].to_numpy()) / np.timedelta64(1, "h")
    gap_h = np.where(gap_h < room_h, gap_h, rng.random(n) * room_h)
    c = parents.copy()
    c["reported_at"] = parents["reported_at"].to_numpy() + (gap_h * _US_PER_HOUR).astype("int64").astype(
        "timedelta64[us]"
    )
    cells = grid.cells
    k = c["cell"].to_numpy()
    c["u"] = np.clip(c["u"] + rng.normal(0, 15, n), cells.u0[k], cells.u1[k] - 1e-6)
    c["v"] = np.clip(c["v"] + rng.normal(0, 15, n), cells.v0[k], cells.v1[k] - 1e-6)
    hotline = list(CHANNELS["id"]).index("hotline_12345")
    c["channel_idx"] = np.where(rng.random(n) < 0.6, hotline, c["channel_idx"])
    c["device"] = np.where(c["channel_idx"] == list(CHANNELS["id"]).index("video_ai"), c["device"], None)
    c["parent_row"] = parents["row"].to_numpy()
    c["row"] = len(base) + np.arange(n)
    return c


def _draw_bursts(types, grid: Grid, blocks: Blocks, now: datetime, first_row: int, rng) -> pd.DataFrame:
    """The _BURSTS: each in one cell drawn as its type's cases are (land use), its cases spread
    around one spot (normal, `spread` metres) and reported at random over its last days."""
    columns = ["row", "type_idx", "channel_idx", "reported_at", "cell", "u", "v", "device", "parent_row"]
    now64 = np.datetime64(pd.Timestamp(now).tz_convert("UTC").tz_localize(None), "us")
    channel_ids = list(CHANNELS["id"])
    names, shares = zip(*_BURST_CHANNELS, strict=True)
    parts = []
    for case_type, count, days, spread in _BURSTS:
        t = int(np.flatnonzero(types["id"].to_numpy() == case_type)[0])
        cell = int(_draw_cells(types, np.array([t]), grid, blocks, rng)[0])
        cu, cv = grid.cells.sample(rng, np.array([cell]))
        k = np.full(count, cell)
        u = np.clip(cu[0] + rng.normal(0, spread, count), grid.cells.u0[k], grid.cells.u1[k] - 1e-6)
        v = np.clip(cv[0] + rng.normal(0, spread, count), grid.cells.v0[k], grid.cells.v1[k] - 1e-6)
        ago_us = (rng.random(count) * days * 24 * _US_PER_HOUR).astype("int64")
        parts.append(
            pd.DataFrame(
                {
                    "type_idx": t,
                    "channel_idx": [channel_ids.index(c) for c in rng.choice(names, size=count, p=shares)],
                    "reported_at": now64 - ago_us.astype("timedelta64[us]"),
                    "cell": k,
                    "u": u,
                    "v": v,
                    "device": None,
                    "parent_row": -1,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["row"] = first_row + np.arange(len(out))
    return out[columns]


def _lifecycle(c: pd.DataFrame, t: pd.DataFrame, n_types: int, now: datetime, rng) -> None:
    """Stage times (each after the one before), SLA deadline, status at `now`, satisfaction.

    The deadline is the time by which the case must be closed: its report time plus the sum of
    its type's four stage limits. A case is late when it closes after it; an open case past it
    is overdue."""
    n = len(c)
    now64 = np.datetime64(pd.Timestamp(now).tz_convert("UTC").tz_localize(None), "us")
    limits = t[[f"sla_{s}_h" for s in STAGES]].to_numpy(dtype="float64")
    closing_limit_h = limits.sum(axis=1)
    type_factor = rng.lognormal(0.0, _STALL_TYPE_SIGMA, n_types)[c["type_idx"].to_numpy()]
    stall_share = t["domain"].map(_STALL_SHARE).to_numpy() * type_factor
    stall_share = np.where(t["urgent"].to_numpy(), 0.5, 1.0) * stall_share
    stalled = rng.random(n) < stall_share
    stalled_h = closing_limit_h * rng.uniform(*_STALL_HANDLE, n)
    time = c["reported_at"].to_numpy().astype("datetime64[us]")
    times = [time]
    for k, (stage, column) in enumerate(zip(STAGES, TIME_COLUMNS[1:5], strict=True)):
        limit = limits[:, k]
        hours = rng.lognormal(np.log(_STAGE_MEDIAN[stage] * limit), _STAGE_SIGMA[stage], n)
        if stage == "handle":
            hours = np.where(stalled, stalled_h, hours)
        # Each step is logged at least a minute after the one before (no two steps share a time).
        time = time + _hours(hours) + np.timedelta64(60_000_000, "us")
        times.append(time)
        c[column] = time
    staff = np.isin(CHANNELS["id"].to_numpy()[c["channel_idx"].to_numpy()], _STAFF_CHANNELS)
    close_h = rng.lognormal(
        np.log(np.where(staff, _CLOSE_MEDIAN_H["staff"], _CLOSE_MEDIAN_H["resident"])), 0.8, n
    )
    closed = time + _hours(close_h)
    c["closed_at"] = closed
    times.append(closed)
    deadline = c["reported_at"].to_numpy() + _hours(closing_limit_h)
    c["sla_deadline"] = deadline
    reached = np.stack([x <= now64 for x in times], axis=1)
    reached = np.cumprod(reached, axis=1).astype(bool)
    statuses = np.array(["reported", "accepted", "dispatched", "handled", "verified", "closed"], dtype=object)
    c["status"] = statuses[reached.sum(axis=1) - 1]
    for k, column in enumerate(TIME_COLUMNS):
        c[column] = np.where(reached[:, k], c[column].to_numpy(), np.datetime64("NaT", "us"))
    late = closed > deadline
    rated = reached[:, -1] & ~staff & (rng.random(n) < _RATED_SHARE)
    score = (
        np.where(
            late,
            rng.choice(5, n, p=_SATISFACTION["overdue"]),
            rng.choice(5, n, p=_SATISFACTION["on_time"]),
        )
        + 1
    )
    c["satisfaction"] = pd.Series(score, index=c.index, dtype="Int64").where(rated)


def _hours(hours: np.ndarray) -> np.ndarray:
    return (np.asarray(hours) * _US_PER_HOUR).astype("int64").astype("timedelta64[us]")


def _case_ids(reported: np.ndarray, utc_offset_h: int) -> np.ndarray:
    """Case numbers as the command centre issues them: local date and a daily serial of five
    digits (more only past 99,999 cases a day, so ids stay unique), e.g. 2025031500042."""
    local = pd.DatetimeIndex(reported) + pd.Timedelta(hours=utc_offset_h)
    date = np.asarray(local.year * 10000 + local.month * 100 + local.day, dtype="int64")
    serial = pd.Series(date).groupby(date).cumcount().to_numpy() + 1
    digits = max(5, len(str(int(serial.max())))) if len(serial) else 5
    return (date * 10**digits + serial).astype(str).astype(object)
