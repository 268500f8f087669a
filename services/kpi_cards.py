"""The Overview's KPI cards: the catalogue's overview KPIs (config/kpis.yaml `overview`) over
their own windows within a scope, computed in the store and cached by the data's version
(services/kpi_values.reading), each with its source and whether that source is down. What a
card says besides a number: a park-wide figure on a department's screen (shared reference
data), or that the department has no rows of this kind while the park has (said in words:
"—" alone would read as "not loaded"); with no rows at all a figure is None, never a measured
zero."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlalchemy import Engine, exists, select

from domain.kpis import KpiSpec, overview_ids
from security.scope import WHOLE_PARK, Scope
from services.context import get_services
from services.kpi_values import catalogue, reading
from store import kpi_sql

PARK_WIDE = "park_wide"  # a department's view showing a park-wide figure (shared reference data)
NONE_IN_SCOPE = "none_in_scope"  # the park has rows of this contract, the department none


@dataclass(frozen=True)
class KpiFigure:
    spec: KpiSpec
    value: float | None
    source: str | None
    fetched_at: datetime | None  # when the figure was computed
    stale: bool  # its source is down: the figure is from what the store last received
    note: str | None = None  # PARK_WIDE, NONE_IN_SCOPE or None


@functools.cache
def overview_specs() -> tuple[KpiSpec, ...]:
    from services.kpis import KPI_FILE

    every = catalogue()
    ids = overview_ids(yaml.safe_load(KPI_FILE.read_text(encoding="utf-8")), list(every))
    by_id = {s.id: s for s in every}
    return tuple(by_id[i] for i in ids)


def _has_rows(engine: Engine, contract: str, scope: Scope) -> bool:
    table = kpi_sql.CONTRACT_TABLES[contract]
    query = select(exists().where(*kpi_sql.scope_condition(contract, scope)).select_from(table))
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


def kpi_figures(scope: Scope) -> list[KpiFigure]:
    """Every overview KPI's current figure within `scope`. Never raises for a source that is
    down: the figure is what the store holds, marked stale."""
    services = get_services()
    down = {h.source for h in services.sources.health() if h.status == "down"}
    figures = []
    for spec in overview_specs():
        source = services.sources.source_of(spec.contract)
        if source is None:  # no source serves it: the card says so
            figures.append(KpiFigure(spec, None, None, None, stale=False))
            continue
        note = None
        if not scope.whole_park and spec.contract in kpi_sql.PARK_WIDE:
            note = PARK_WIDE
        elif not scope.whole_park and not _has_rows(services.engine, spec.contract, scope):
            note = NONE_IN_SCOPE if _has_rows(services.engine, spec.contract, WHOLE_PARK) else None
        got = reading(spec, WHOLE_PARK if note == PARK_WIDE else scope, None)
        empty = note == NONE_IN_SCOPE or not _has_rows(services.engine, spec.contract, WHOLE_PARK)
        figures.append(
            KpiFigure(spec, None if empty else got.value, source, got.computed_at, source in down, note)
        )
    return figures
