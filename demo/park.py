"""generate_park: the whole deterministic demo park, one frame per data contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime

import pandas as pd

from demo.addresses import Addresser
from demo.alerts import build_alerts
from demo.blocks import build_blocks
from demo.case_events import build_case_events
from demo.cases import build_cases
from demo.catalogue import CHANNELS, load_case_types, load_departments
from demo.chains import chain_links
from demo.credit_codes import credit_codes
from demo.enterprises import build_enterprises
from demo.features import build_features
from demo.grid import build_grid
from demo.layout import build_layout
from demo.parts import build_parts
from demo.places import build_house_numbers, build_pois
from demo.readings import build_readings
from demo.sensors import build_sensors
from demo.spec import ParkSpec, step_rng
from demo.streets import build_streets

Progress = Callable[[str, float], None]

# Steps in order with their rough share of the run time at the default size (for progress).
_STEPS = (
    ("layout", 1),
    ("streets", 1),
    ("grid", 1),
    ("blocks", 1),
    ("places", 2),
    ("parts", 14),
    ("sensors", 1),
    ("readings", 2),
    ("alerts", 2),
    ("cases", 57),
    ("case_events", 8),
    ("enterprises", 2),
    ("features", 10),
)
_CHAINS_COLUMNS = ["chain", "link", "stage", "parent_link", "name", "name_en", "chain_name", "chain_name_en"]


@dataclass(frozen=True, slots=True)
class DemoPark:
    """The generated park. Contract frames (cases … chains) satisfy `data_sources.contracts`;
    extra columns beyond a contract (English addresses, owners, …) are kept for the demo and
    dropped by validation. Reference frames: departments, grid_workers, grid_cells,
    case_types, channels."""

    seed: int
    now: datetime
    spec: ParkSpec = field(repr=False)
    cases: pd.DataFrame = field(repr=False)
    case_events: pd.DataFrame = field(repr=False)
    sensors: pd.DataFrame = field(repr=False)
    readings: pd.DataFrame = field(repr=False)
    alerts: pd.DataFrame = field(repr=False)
    features: pd.DataFrame = field(repr=False)
    enterprises: pd.DataFrame = field(repr=False)
    enterprise_figures: pd.DataFrame = field(repr=False)
    chains: pd.DataFrame = field(repr=False)
    departments: pd.DataFrame = field(repr=False)
    grid_workers: pd.DataFrame = field(repr=False)
    grid_cells: pd.DataFrame = field(repr=False)
    case_types: pd.DataFrame = field(repr=False)
    channels: pd.DataFrame = field(repr=False)

    def contract_frames(self) -> dict[str, pd.DataFrame]:
        """The frames to store, keyed by contract name (data_sources.contracts.CONTRACTS)."""
        names = (
            "cases",
            "case_events",
            "readings",
            "sensors",
            "alerts",
            "features",
            "enterprises",
            "enterprise_figures",
            "chains",
        )
        return {n: getattr(self, n) for n in names}

    def frame_sizes(self) -> dict[str, int]:
        return {
            f.name: len(getattr(self, f.name)) for f in fields(self) if f.name not in ("seed", "now", "spec")
        }


def generate_park(
    seed: int = 20261124,
    cases: int = 300_000,
    *,
    now: datetime,
    spec: ParkSpec | None = None,
    progress: Progress | None = None,
) -> DemoPark:
    """Generate the demo park. Pure and deterministic: the same seed, case count, `now` and
    spec give identical frames; no I/O besides reading the repository's own data files.

    Readings cover the `spec.reading_days` before `now`, cases the `spec.case_years` before it.
    `progress(step, fraction)` is called after each step, fraction rising to 1.0.
    Raises ValueError for a naive `now` or a negative case count."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if cases < 0:
        raise ValueError("cases must not be negative")
    spec = spec or ParkSpec()
    total = sum(w for _, w in _STEPS)
    done = 0.0

    def step(name: str):
        nonlocal done
        done += dict(_STEPS)[name]
        if progress is not None:
            progress(name, min(done / total, 1.0))

    def rng(name: str):
        return step_rng(seed, name)

    departments = load_departments()
    catalogue = load_case_types(departments)
    layout = build_layout(spec, rng("layout"))
    step("layout")
    net = build_streets(spec, layout, rng("streets"))
    step("streets")
    grid = build_grid(spec, layout, net, rng("grid"))
    step("grid")
    blocks = build_blocks(spec, layout, net, rng("blocks"))
    step("blocks")
    addresser = Addresser(net)
    pois = build_pois(spec, net, blocks, grid, addresser, rng("pois"))
    house_numbers = build_house_numbers(spec, net, grid, addresser, rng("house_numbers"))
    step("places")
    parts = build_parts(spec, net, grid, rng("parts"))
    step("parts")
    sensors = build_sensors(spec, net, blocks, grid, addresser, rng("sensors"))
    sensors["lon"], sensors["lat"] = layout.proj.to_lonlat(sensors["u"].to_numpy(), sensors["v"].to_numpy())
    step("sensors")
    readings = build_readings(spec, sensors, now, rng("readings"))
    step("readings")
    alerts = build_alerts(spec, readings, sensors, now, rng("alerts"))
    step("alerts")
    case_frame = build_cases(
        spec, cases, catalogue, layout.proj, grid, blocks, sensors, addresser, now, rng("cases")
    )
    step("cases")
    events = build_case_events(case_frame, departments)
    step("case_events")
    enterprises, figures = build_enterprises(spec, net, blocks, layout.proj, now, rng("enterprises"))
    enterprises.insert(3, "credit_code", credit_codes(len(enterprises), rng("credit_codes")))
    step("enterprises")
    features = build_features(layout, net, grid, blocks, pois, house_numbers, parts, sensors, departments)
    step("features")
    return DemoPark(
        seed=seed,
        now=now,
        spec=spec,
        cases=case_frame,
        case_events=events,
        sensors=sensors[
            [
                "id",
                "kind",
                "name",
                "name_en",
                "lon",
                "lat",
                "grid_cell",
                "thresholds",
                "department",
                "point_id",
                "address",
                "address_en",
            ]
        ],
        readings=readings,
        alerts=alerts,
        features=features,
        enterprises=enterprises,
        enterprise_figures=figures,
        chains=chain_links()[_CHAINS_COLUMNS],
        departments=departments,
        grid_workers=grid.workers,
        grid_cells=grid.frame,
        case_types=catalogue.types,
        channels=CHANNELS.copy(),
    )
