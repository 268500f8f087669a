"""The KPI catalogue (config/kpis.yaml, checked at start-up) and the Overview's figures: its KPI
cards (services/kpi_cards.py) and case charts (services/case_figures.py), all computed in the
store and cached by the data's version for every viewer."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from config.settings import ROOT
from domain.kpis import KpiSpec, KpiSpecError, check_specs, overview_ids, parse_specs
from security.scope import Scope
from services.case_figures import daily_cases, recent_cases_by
from services.config_files import read_config
from services.context import get_services
from services.figure_cache import cached_figure
from services.kpi_cards import KpiFigure, kpi_figures, overview_specs
from services.kpi_periods import park_today
from store.models import CONTRACT_TABLES

KPI_FILE = ROOT / "config" / "kpis.yaml"


def load_specs(path: Path = KPI_FILE) -> tuple[KpiSpec, ...]:
    """Read and check the KPI file; raise KpiSpecError naming the KPI and key (at start-up)."""
    data = read_config(path, KpiSpecError)
    parsed = parse_specs(data)
    overview_ids(data, parsed)  # an overview naming an unknown KPI stops start-up too
    from demo.catalogue import load_departments

    # the KPIs run on the store's tables: their columns (alerts have a department there)
    columns = {name: [c.name for c in table.c] for name, table in CONTRACT_TABLES.items()}
    check_specs(parsed, columns, set(load_departments()["id"]))
    return tuple(parsed)


@functools.cache
def specs(path: Path = KPI_FILE) -> tuple[KpiSpec, ...]:
    return load_specs(path)


def panel_contracts() -> list[str]:
    """The contracts the Overview's figures are computed from (their data versions key the
    cached figures); read in the store, never as whole snapshots."""
    return sorted({spec.contract for spec in overview_specs()} | {"cases"})


def case_trend(scope: Scope, days: int = 30, now: datetime | None = None) -> pd.DataFrame:
    """Cases reported and closed per park-local day over the last `days` days (in the store)."""
    services = get_services()
    return daily_cases(services.engine, scope, services.settings.zone, days, now)


def cases_by(scope: Scope, column: str, days: int = 30, now: datetime | None = None) -> pd.Series:
    """Cases reported in the last `days` days, counted by `column`, largest first (in the store)."""
    services = get_services()
    return recent_cases_by(services.engine, scope, services.settings.zone, column, days, now)


@dataclass(frozen=True)
class OverviewFigures:
    kpis: list[KpiFigure]
    trend: pd.DataFrame
    by_domain: pd.Series
    by_channel: pd.Series
    cases_fetched_at: datetime | None = None  # when the case charts were computed from the store
    by_type: pd.Series | None = None  # a department's own case types, when it works one domain
    computed_at: datetime | None = None  # when these figures were computed (services.figure_cache)


@functools.cache
def _domains_owned() -> dict[str, tuple[str, ...]]:
    """The case domains each department works (config/departments.yaml)."""
    from demo.catalogue import load_departments

    frame = load_departments()
    return {row.id: tuple(d for d in row.domains.split(",") if d) for row in frame.itertuples()}


def _by_domain_or_type(scope: Scope) -> tuple[pd.Series, pd.Series | None]:
    """Cases by domain; for a department that works one domain (config/departments.yaml, or
    whose cases all fall in one), one big bar and a hairline say nothing, so its own case types
    instead (issue 8, defect 8)."""
    by_domain = cases_by(scope, "domain", 30)
    if scope.whole_park:
        return by_domain, None
    owned = _domains_owned().get(scope.department or "")
    if (len(owned) != 1) if owned else (len(by_domain) > 1):
        return by_domain, None
    by_type = cases_by(scope, "case_type", 30)
    return by_domain, by_type if not by_type.empty else None


OVERVIEW_KEY = "overview-figures"


def overview_figures(scope: Scope) -> OverviewFigures:
    """Everything the Overview shows for `scope`, computed once per change of the data it reads
    for all its viewers (services.figure_cache: keyed by the contracts' data versions, and by
    a few seconds' bucket for readings; the shared cache, Redis in production), so a wall of
    screens refreshing together costs one computation, and a write shows at the next read."""
    contracts = panel_contracts()

    def compute() -> OverviewFigures:
        by_domain, by_type = _by_domain_or_type(scope)
        served = get_services().sources.source_of("cases") is not None
        return OverviewFigures(
            kpi_figures(scope),
            case_trend(scope, 30),
            by_domain,
            cases_by(scope, "channel", 30),
            datetime.now(UTC) if served else None,
            by_type,
        )

    # keyed by the park's day too: "today" and the trend's days roll over at its midnight
    day = park_today(get_services().settings.zone).isoformat()
    cached = cached_figure(f"{OVERVIEW_KEY}:{scope.department or '*'}:{day}", contracts, compute)
    figures = replace(cached.value, computed_at=cached.computed_at)
    if not cached.versions:  # the store could not say: the figures are as of their computation
        return figures
    # The versions were read now and match: the figures are the store's as of now (within the
    # cache's timeout, as time windows move), which is what "read HH:MM" on a card says.
    checked = datetime.now(UTC)
    kpis = [replace(f, fetched_at=checked) if f.fetched_at is not None else f for f in figures.kpis]
    fetched = checked if figures.cases_fetched_at is not None else None
    return replace(figures, kpis=kpis, cases_fetched_at=fetched)
