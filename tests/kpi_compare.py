"""The KPI contract check shared by the SQLite and PostgreSQL tests: a store's tables read whole
with pandas (small demo parks only), and every KPI of the catalogue (plus one of each measure
the catalogue lacks) computed by the store compared with the pandas reference."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from domain import kpi_frames
from domain.kpis import parse_specs
from security.scope import Scope
from services.kpis import load_specs
from store import kpi_sql
from store.models import CONTRACT_TABLES
from store.types import UtcDateTime

EXTRA = parse_specs({"kpis": [
    {"id": "x_p50_sat", "contract": "cases", "measure": "percentile", "q": 0.5, "field": "satisfaction",
     "window": {"field": "closed_at", "days": 90}, "drill": ["department", "channel"]},
    {"id": "x_distinct_cells", "contract": "cases", "measure": "distinct", "field": "grid_cell",
     "window": {"field": "reported_at", "days": 60}, "drill": ["department"]},
    {"id": "x_weekly", "contract": "cases", "measure": "rate", "per": "week",
     "window": {"field": "reported_at", "days": 60}, "where": {"closed_at": {"gt_field": "sla_deadline"}}},
    # a total filtered by each kind of condition, over a numerator that is never 0 (a rate of
    # 0 would agree whatever the denominator): cases per sensor expected to report
    {"id": "x_cases_per_reporting_kind", "contract": "cases", "measure": "count",
     "window": {"field": "reported_at", "days": 60}, "total": "sensors",
     "total_where": {"kind": {"not_in": ["camera", "eagle_eye"]}, "grid_cell": {"is_null": False}}},
    {"id": "x_cases_per_camera", "contract": "cases", "measure": "count", "total": "sensors",
     "total_where": {"kind": {"in": ["camera", "eagle_eye"]}}},
]})  # fmt: skip


def specs():
    return [*load_specs(), *EXTRA]


def read_tables(engine: Engine):
    """Every contract table as a frame (times as UTC timestamps), and a `now` just after the
    newest case, so that windows hold rows however long ago the park was seeded."""
    frames = {}
    with engine.connect() as connection:
        for name, table in CONTRACT_TABLES.items():
            if name == "features":
                continue
            frame = pd.read_sql(select(table), connection)
            for column in table.c:
                if isinstance(column.type, UtcDateTime):
                    frame[column.name] = pd.to_datetime(frame[column.name], utc=True, format="mixed")
            frames[name] = frame
    now = frames["cases"]["reported_at"].max().to_pydatetime() + timedelta(minutes=5)
    return frames, now


def scoped(frames, contract, scope: Scope):
    frame = frames[contract]
    if scope.whole_park or contract in kpi_sql.PARK_WIDE:
        return frame
    if contract in kpi_sql.OWN_DEPARTMENT:
        return frame[frame["department"] == scope.department]
    column, parent = kpi_sql.VIA[contract]
    owners = frames[parent.name]
    return frame[frame[column].isin(owners.loc[owners["department"] == scope.department, "id"])]


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-6, abs=1e-6)


def compare_every_kpi(engine: Engine, zone, frames, now, scope: Scope) -> int:
    """Assert the store's value, breakdowns and one drill-down level equal pandas'; the number
    of KPIs checked."""
    checked = 0
    with engine.connect() as connection:
        for spec in specs():
            frame = scoped(frames, spec.contract, scope)
            total = scoped(frames, spec.total, scope) if spec.total else None
            ask = kpi_sql.Ask(spec, scope, now)
            expected = kpi_frames.evaluate(spec, frame, now, zone, total=total)
            assert close(kpi_sql.value(connection, ask, zone), expected), spec.id
            for by in spec.drill:
                got = kpi_sql.breakdown(connection, ask, zone, by)
                want = kpi_frames.breakdown(spec, frame, by, now, zone)
                assert set(got) == set(want), (spec.id, by)
                assert all(close(got[k], want[k]) for k in want), (spec.id, by)
                if want:  # one level down: the largest group as a filter
                    first = max(want, key=lambda k: want[k] or 0)
                    narrowed = kpi_sql.Ask(spec, scope, now, filters={by: first})
                    expected = kpi_frames.evaluate(spec, frame, now, zone, filters={by: first})
                    assert close(kpi_sql.value(connection, narrowed, zone), expected), (spec.id, by, first)
            checked += 1
    return checked
