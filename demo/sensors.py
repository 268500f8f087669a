"""The sensor registry: IoT sensors with national-standard thresholds, cameras and eagle eyes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.addresses import Addresser
from demo.blocks import Blocks
from demo.grid import Grid
from demo.placement import along_streets, at_crossings, in_blocks, keep_inside
from demo.spec import ParkSpec
from demo.streets import StreetNet


@dataclass(frozen=True, slots=True)
class Quantity:
    """One measured quantity: its SenML name, unit and alert thresholds (value at or above)."""

    name: str
    unit: str
    warning: float
    critical: float
    standard: str


@dataclass(frozen=True, slots=True)
class SensorKind:
    kind: str
    prefix: str  # SenML device name: urn:dev:<prefix>-NNN
    zh: str
    en: str
    count_field: str  # the ParkSpec field giving how many
    department: str
    placement: str  # block, street, crossing, major_crossing
    quantities: tuple[Quantity, ...]


# Ambient air: warning at the GB 3095-2012 grade II limit, critical at the HJ 633-2012 limit of
# IAQI 150 ("moderately polluted") for the same averaging period (24 h for particles, 1 h for
# gases: a 5-minute reading is checked against the nearest).
_AIR = (
    Quantity("pm25", "ug/m3", 75, 115, "GB 3095-2012 grade II 24 h; HJ 633-2012 IAQI 150"),
    Quantity("pm10", "ug/m3", 150, 250, "GB 3095-2012 grade II 24 h; HJ 633-2012 IAQI 150"),
    Quantity("no2", "ug/m3", 200, 700, "GB 3095-2012 grade II 1 h; HJ 633-2012 IAQI 150"),
    Quantity("o3", "ug/m3", 200, 300, "GB 3095-2012 grade II 1 h; HJ 633-2012 IAQI 150"),
    Quantity("so2", "ug/m3", 500, 650, "GB 3095-2012 grade II 1 h; HJ 633-2012 IAQI 150"),
    Quantity("co", "mg/m3", 10, 35, "GB 3095-2012 grade II 1 h; HJ 633-2012 IAQI 150"),
)
SENSOR_KINDS = (
    SensorKind(
        "air_quality",
        "aq",
        "空气质量微站",
        "Air-quality micro-station",
        "air_quality_sensors",
        "ecology_environment",
        "block",
        _AIR,
    ),
    SensorKind(
        "noise",
        "ns",
        "噪声监测点",
        "Noise monitor",
        "noise_sensors",
        "ecology_environment",
        "street",
        (Quantity("laeq", "dB(A)", 70, 80, "GB 3096-2008"),),
    ),
    SensorKind(
        "water_level",
        "wl",
        "道路积水监测点",
        "Road waterlogging gauge",
        "water_level_sensors",
        "water",
        "crossing",
        (Quantity("level", "m", 0.15, 0.30, "ponding depth: 15 cm closes lanes, 30 cm the road"),),
    ),
    SensorKind(
        "gas",
        "gs",
        "可燃气体探测器",
        "Combustible-gas detector",
        "gas_sensors",
        "emergency_management",
        "block",
        (Quantity("ch4", "%LEL", 20, 50, "GB 50493-2019 first and second alarm levels"),),
    ),
    SensorKind(
        "smoke",
        "sm",
        "独立式感烟探测器",
        "Smoke detector",
        "smoke_sensors",
        "fire_rescue",
        "block",
        (Quantity("obscuration", "%/m", 2.0, 4.0, "GB 20517-2006 alarm sensitivity range"),),
    ),
    SensorKind(
        "traffic",
        "tf",
        "交通流量检测器",
        "Traffic counter",
        "traffic_sensors",
        "transport",
        "major_crossing",
        (Quantity("flow", "veh/5min", 0, 0, "85 % / 100 % of lane capacity"),),
    ),
)
# GB 3096-2008 acoustic environment classes by land use: (day limit, night limit) in dB(A).
NOISE_CLASSES = {"1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55)}
_NOISE_CLASS_OF_USE = {
    "residential": "1",
    "public": "1",
    "commercial": "2",
    "green": "2",
    "vacant": "2",
    "industrial": "3",
}
# One lane carries about 1,600 vehicles an hour at capacity (CJJ 37 design values).
LANE_CAPACITY_PER_5MIN = 1600 / 12
LANES_PER_DIRECTION = {"trunk": 4, "main": 3, "secondary": 2, "branch": 1, "lane": 1}
_SENSOR_USES = {
    "air_quality": ("public", "industrial", "residential", "green"),
    "gas": ("commercial", "industrial"),
    "smoke": ("residential", "commercial", "industrial", "public"),
}


def build_sensors(
    spec: ParkSpec,
    net: StreetNet,
    blocks: Blocks,
    grid: Grid,
    addresser: Addresser,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Every IoT sensor and video device with plan position, grid cell, address-based names,
    thresholds (None for video) and owning department."""
    frames = [_iot(spec, k, net, blocks, grid, rng) for k in SENSOR_KINDS]
    frames.append(_video(spec, net, grid, rng))
    sensors = pd.concat(frames, ignore_index=True)
    addr = addresser.addresses(sensors["u"].to_numpy(), sensors["v"].to_numpy())
    sensors["address"], sensors["address_en"] = addr.zh, addr.en
    sensors["name"] = sensors["kind_zh"] + "·" + sensors["address"]
    sensors["name_en"] = (sensors["kind_en"] + ", " + sensors["address_en"]).str.slice(0, 100)
    return sensors.drop(columns=["kind_zh", "kind_en"])


def _iot(spec: ParkSpec, k: SensorKind, net: StreetNet, blocks: Blocks, grid: Grid, rng) -> pd.DataFrame:
    n = getattr(spec, k.count_field)
    street = np.full(n, -1)
    if k.placement == "block":
        w = np.where(np.isin(blocks.land_use, _SENSOR_USES[k.kind]), net.blocks.area, 0.0)
        u, v, _ = in_blocks(net.blocks, rng, n, w)
    elif k.placement == "street":
        u, v, piece = along_streets(net, rng, n, offset_m=(2.0, 6.0))
        street = net.segments["street"].to_numpy()[piece]
    else:
        pool = _major_crossings(net) if k.placement == "major_crossing" else None
        u, v, cross = at_crossings(net, rng, n, setback_m=(3.0, 10.0), crossings=pool)
        street = net.crossings["ns_street"].to_numpy()[cross]
    u, v, cell = keep_inside(grid.cells, u, v)
    uses = blocks.land_use[grid.cell_tile[cell]]
    ranks = np.where(street >= 0, net.streets["rank"].to_numpy()[np.maximum(street, 0)], None)
    thresholds = [
        _thresholds(k, use, None if rank is None else str(rank))
        for use, rank in zip(uses, ranks, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": [f"urn:dev:{k.prefix}-{i + 1:03d}" for i in range(n)],
            "kind": k.kind,
            "kind_zh": k.zh,
            "kind_en": k.en,
            "u": u,
            "v": v,
            "grid_cell": grid.unit_ids[cell],
            "thresholds": thresholds,
            "department": k.department,
            "point_id": None,
        }
    )


def _thresholds(k: SensorKind, use: str, rank: str | None) -> dict:
    """Thresholds by quantity; noise limits follow the acoustic class of the site (roadside
    monitors are class 4a), traffic limits the lanes of the road counted."""
    out = {}
    for q in k.quantities:
        t = {"unit": q.unit, "warning": q.warning, "critical": q.critical, "standard": q.standard}
        if k.kind == "noise":
            cls = "4a" if rank is not None else _NOISE_CLASS_OF_USE[use]
            day, night = NOISE_CLASSES[cls]
            # Over the daytime limit warns; 10 dB(A) over it (ten times the sound power) is critical.
            t.update(
                warning=day, critical=day + 10, night_warning=night, standard=f"GB 3096-2008 class {cls}"
            )
        if k.kind == "traffic":
            lanes = LANES_PER_DIRECTION[rank or "main"]
            cap = LANE_CAPACITY_PER_5MIN * lanes
            t.update(warning=round(0.85 * cap), critical=round(cap), lanes=lanes)
        out[q.name] = t
    return out


def _major_crossings(net: StreetNet) -> np.ndarray:
    rank = net.streets["rank"].to_numpy()
    cr = net.crossings
    major = ("trunk", "main", "secondary")
    return np.flatnonzero(
        np.isin(rank[cr["ns_street"].to_numpy()], major) & np.isin(rank[cr["ew_street"].to_numpy()], major)
    )


def _video(spec: ParkSpec, net: StreetNet, grid: Grid, rng: np.random.Generator) -> pd.DataFrame:
    """Camera points at major crossings: one camera on each of the first `cameras` points; the
    eagle eyes on the last points, so all but one of them share a point with a camera."""
    pool = _major_crossings(net)
    picks = rng.choice(pool, size=spec.camera_points, replace=False)
    cr = net.crossings
    u = cr["u"].to_numpy()[picks] + rng.uniform(-25, 25, spec.camera_points)
    v = cr["v"].to_numpy()[picks] + rng.uniform(-25, 25, spec.camera_points)
    u, v, cell = keep_inside(grid.cells, u, v)
    points = [f"CP{i + 1:02d}" for i in range(spec.camera_points)]
    rows = []
    for i in range(spec.cameras):
        rows.append((f"urn:dev:cam-{i + 1:03d}", "camera", "高清视频监控", "HD video camera", i))
    for e in range(spec.eagle_eyes):
        p = spec.camera_points - spec.eagle_eyes + e
        rows.append(
            (f"urn:dev:eagle-{e + 1:02d}", "eagle_eye", "高空瞭望鹰眼", "Eagle-eye high-altitude camera", p)
        )
    frame = pd.DataFrame(rows, columns=["id", "kind", "kind_zh", "kind_en", "point"])
    idx = frame["point"].to_numpy()
    frame["u"], frame["v"], frame["grid_cell"] = u[idx], v[idx], grid.unit_ids[cell[idx]]
    frame["thresholds"] = None
    frame["department"] = "public_security"
    frame["point_id"] = np.array(points, dtype=object)[idx]
    return frame.drop(columns=["point"])
