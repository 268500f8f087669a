"""KPI figures for panels: the specs of config/kpis.yaml evaluated over cached snapshots, each
with where it came from and how fresh it is."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from config.settings import ROOT
from data_sources.contracts import CONTRACTS
from domain.kpis import KpiSpec, KpiSpecError, check_specs, daily_counts, evaluate, parse_specs
from security.scope import Scope
from services import scoping
from services.context import get_services
from services.data import snapshot
from services.figure_cache import cached_figure
from services.snapshot_versions import follow

KPI_FILE = ROOT / "config" / "kpis.yaml"


def load_specs(path: Path = KPI_FILE) -> tuple[KpiSpec, ...]:
    """Read and check the KPI file; raise KpiSpecError naming the KPI and key (at start-up)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KpiSpecError(f"{path}: {exc}") from None
    parsed = parse_specs(data)
    check_specs(parsed, {name: contract.columns for name, contract in CONTRACTS.items()})
    return tuple(parsed)


@functools.cache
def specs(path: Path = KPI_FILE) -> tuple[KpiSpec, ...]:
    return load_specs(path)


def panel_contracts() -> list[str]:
    """The contracts the Overview's panels read: the KPIs' and the freshness indicator's."""
    from services.freshness import NEWEST_BY

    return sorted({spec.contract for spec in specs()} | set(NEWEST_BY))


# What a card says about its scope besides its value (components.kpi_card words them):
PARK_WIDE = "park_wide"  # a department's view showing a park-wide figure (shared reference data)
NONE_IN_SCOPE = "none_in_scope"  # the park has rows of this contract, the department none


@dataclass(frozen=True)
class KpiFigure:
    spec: KpiSpec
    value: float | None
    source: str | None
    fetched_at: datetime | None
    stale: bool
    note: str | None = None  # PARK_WIDE, NONE_IN_SCOPE or None


def kpi_figures(scope: Scope, now: datetime | None = None) -> list[KpiFigure]:
    """Every KPI's current figure within `scope`. Never raises for a source that is down: the
    figure is computed from the last good data and marked stale (or None with no data at all)."""
    services = get_services()
    now = now or datetime.now(UTC)
    figures = []
    for spec in specs():
        source = services.sources.source_of(spec.contract)
        if source is None:  # no source serves it: the card says so
            figures.append(KpiFigure(spec, None, None, None, stale=False))
            continue
        snap = snapshot(spec.contract)
        frame = scoping.scope_frame(spec.contract, snap.frame, scope)
        note = None
        if not scope.whole_park and spec.contract in scoping.PARK_WIDE:
            note = PARK_WIDE
        elif not scope.whole_park and frame.empty and not snap.frame.empty:
            note = NONE_IN_SCOPE  # said in words: "—" alone would read as "not loaded"
        if snap.frame.empty or note == NONE_IN_SCOPE:
            value = None  # no rows to judge by (a count of nothing would claim a measured zero)
        else:
            value = evaluate(spec, frame, now, services.settings.zone)
        figures.append(KpiFigure(spec, value, source, snap.fetched_at, snap.stale, note))
    return figures


def case_trend(scope: Scope, days: int = 30, now: datetime | None = None) -> pd.DataFrame:
    """Cases reported and closed per park-local day over the last `days` days."""
    services = get_services()
    now = now or datetime.now(UTC)
    frame = scoping.scoped_snapshot("cases", scope)
    zone = services.settings.zone
    if frame.empty:
        index = pd.date_range(end=pd.Timestamp(now).tz_convert(zone).normalize(), periods=days, freq="D")
        return pd.DataFrame({"reported": 0, "closed": 0}, index=index)
    return pd.DataFrame(
        {
            "reported": daily_counts(frame, "reported_at", days, now, zone),
            "closed": daily_counts(frame, "closed_at", days, now, zone),
        }
    )


def cases_by(scope: Scope, column: str, days: int = 30, now: datetime | None = None) -> pd.Series:
    """Cases reported in the last `days` days, counted by `column` (largest first)."""
    now = now or datetime.now(UTC)
    frame = scoping.scoped_snapshot("cases", scope)
    if frame.empty:
        return pd.Series(dtype=int)
    recent = frame[frame["reported_at"] >= pd.Timestamp(now) - pd.Timedelta(days=days)]
    return recent[column].value_counts()


@dataclass(frozen=True)
class OverviewFigures:
    kpis: list[KpiFigure]
    trend: pd.DataFrame
    by_domain: pd.Series
    by_channel: pd.Series
    cases_fetched_at: datetime | None = None  # the cases snapshot the charts were drawn from
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
        follow(contracts)  # snapshots read before another process's write are read again
        by_domain, by_type = _by_domain_or_type(scope)
        fetched = snapshot("cases").fetched_at if get_services().sources.source_of("cases") else None
        return OverviewFigures(
            kpi_figures(scope),
            case_trend(scope, 30),
            by_domain,
            cases_by(scope, "channel", 30),
            fetched,
            by_type,
        )

    cached = cached_figure(f"{OVERVIEW_KEY}:{scope.department or '*'}", contracts, compute)
    return replace(cached.value, computed_at=cached.computed_at)
