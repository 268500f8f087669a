"""The demo park's headline figures (DOMAIN.md) and the per-step random generators."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class ParkSpec:
    """What the generated park must contain. Defaults are Shijiazhuang ETDZ's surveyed figures
    as DOMAIN.md gives them; the shape parameters below them are the generator's own choices."""

    # Where: WGS-84 centre of the local equirectangular projection, and the surveyed core.
    centre_lon: float = 114.70
    centre_lat: float = 38.00
    area_km2: float = 21.0
    width_m: float = 5600.0
    height_m: float = 3800.0

    # The grid and the people who walk it.
    unit_cells: int = 636
    community_grids: int = 16
    responsibility_grids: int = 4
    grid_workers: int = 120

    # The 1,997 geocoded records.
    streets: int = 145
    areas: int = 29
    pois: int = 1580
    house_numbers: int = 243

    # City parts (部件): 5 classes, 121 subclasses.
    point_parts: int = 56_550
    line_parts: int = 251
    part_classes: int = 5
    part_subclasses: int = 121
    # Administrative division code (GB/T 2260; 130100 is Shijiazhuang) that prefixes part codes.
    division_code: str = "130100"

    # Video: 29 camera points carrying 28 cameras and 4 eagle eyes.
    camera_points: int = 29
    cameras: int = 28
    eagle_eyes: int = 4

    # IoT sensors by kind (the generator's choice; DOMAIN.md gives no count).
    air_quality_sensors: int = 12
    noise_sensors: int = 10
    water_level_sensors: int = 8
    gas_sensors: int = 16
    smoke_sensors: int = 20
    traffic_sensors: int = 14
    reading_interval_min: int = 5
    reading_days: int = 7

    # Cases: three years of history, a slow growth trend, ~3 % repeats.
    case_years: int = 3
    case_growth_per_year: float = 0.12
    repeat_share: float = 0.03

    # Buildings are "a few thousand"; the generator aims near this.
    buildings: int = 3000

    # Enterprises and their yearly figures (first year; the last is the year before `now`).
    enterprises: int = 2000
    figures_first_year: int = 2019

    # Park time zone: diurnal rhythms are local; everything stored is UTC.
    utc_offset_h: int = 8


def step_rng(seed: int, step: str) -> np.random.Generator:
    """A generator for one named step, independent of every other step's draws.

    The step name (not its position) picks the child seed, so adding, removing or changing one
    step never shifts the random stream of another."""
    key = zlib.crc32(step.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key,)))


def apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (largest remainder), summing exactly."""
    w = np.asarray(weights, dtype="float64")
    exact = w / w.sum() * total
    counts = np.floor(exact).astype("int64")
    short = total - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts
