"""The Overview's case charts as queries that run in the store (store/kpi_sql.py), not over a
frame of every case: cases reported and closed per park-local day, and cases of the last days
counted by a field. The same answers as the pandas versions they replace (domain/kpi_frames'
daily_counts, value_counts), which tests/unit/test_case_figures.py checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from domain.kpis import KpiSpec, Window
from security.scope import Scope
from store import kpi_sql

_REPORTED = KpiSpec(
    id="_reported", contract="cases", measure="count", window=Window(field="reported_at", days=30)
)
_CLOSED = KpiSpec(id="_closed", contract="cases", measure="count", window=Window(field="closed_at", days=30))


def daily_cases(
    engine: Engine, scope: Scope, zone: ZoneInfo, days: int = 30, now: datetime | None = None
) -> pd.DataFrame:
    """Cases reported and closed per park-local day over the last `days` days (today so far
    included), indexed by the days' local midnights; days with none are kept as zeros."""
    now = now or datetime.now(UTC)
    index = pd.date_range(end=pd.Timestamp(now).tz_convert(zone).normalize(), periods=days, freq="D")
    edges = [day.to_pydatetime() for day in index] + [now]
    out = {}
    with engine.connect() as connection:
        for name, spec in (("reported", _REPORTED), ("closed", _CLOSED)):
            ask = kpi_sql.Ask(spec, scope, now, edges[0], edges[-1])
            out[name] = [int(v or 0) for v in kpi_sql.series(connection, ask, zone, edges)]
    return pd.DataFrame(out, index=index)


def recent_cases_by(
    engine: Engine, scope: Scope, zone: ZoneInfo, column: str, days: int = 30, now: datetime | None = None
) -> pd.Series:
    """Cases reported in the last `days` days counted by `column`, largest first (ties by name)."""
    now = now or datetime.now(UTC)
    with engine.connect() as connection:
        ask = kpi_sql.Ask(_REPORTED, scope, now, now - timedelta(days=days), now + timedelta(microseconds=1))
        found = kpi_sql.breakdown(connection, ask, zone, column)
    series = pd.Series({k: int(v or 0) for k, v in found.items()}, dtype=int, name="count")
    return series.sort_index().sort_values(ascending=False, kind="stable")
