"""The map's layer catalogue (config/map_layers.yaml), read and checked once at start-up: a
malformed entry, or one naming a source that sources.yaml lacks, stops the app with a message
naming the layer. Also the map's time ranges (the last day, week, month, quarter, or custom days)."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from config.settings import ROOT
from domain.map_layers import LayerSpec, LayerSpecError, check_sources, parse_layers
from security.principal import Principal
from security.roles import Permission
from services.config_files import read_config
from services.context import get_services
from services.kpi_periods import Period, PeriodError, period

LAYERS_FILE = ROOT / "config" / "map_layers.yaml"
# The map's ranges: the last so many days up to now (a map of "this week" is empty on Monday)
RANGE_DAYS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90, "365d": 365}
RANGES = (*RANGE_DAYS, "custom")
DEFAULT_RANGE = "7d"


def load_layers(path: Path = LAYERS_FILE, sources: set[str] | None = None) -> tuple[LayerSpec, ...]:
    """Read and check the layer file; LayerSpecError naming the layer and key at fault."""
    data = read_config(path, LayerSpecError)
    specs = parse_layers(data)
    if sources is not None:
        check_sources(specs, sources)
    return specs


def layers() -> tuple[LayerSpec, ...]:
    """The current app's layers (settings.map_layers_file, checked at start-up)."""
    return _layers(get_services().settings.map_layers_file)


@functools.cache
def _layers(path: Path) -> tuple[LayerSpec, ...]:
    return load_layers(path)


def spec_of(layer_id: str) -> LayerSpec | None:
    return next((s for s in layers() if s.id == layer_id), None)


def readable(spec: LayerSpec, principal: Principal) -> bool:
    """Whether `principal` may read the layer: layers of single records need read_records."""
    return not spec.single_records or principal.can(Permission.READ_RECORDS)


def map_period(
    name: str | None, now: datetime, zone: ZoneInfo, since: date | None = None, until: date | None = None
) -> Period:
    """The range `name` as of `now`; PeriodError (with the reason) for one that cannot be read."""
    name = name or DEFAULT_RANGE
    if name in RANGE_DAYS:
        return Period(name, now - timedelta(days=RANGE_DAYS[name]), now)
    if name != "custom":
        raise PeriodError(f"unknown range {name[:20]!r}: one of {', '.join(RANGES)}")
    return period("custom", now, zone, since, until)
