"""KPIs over contract frames with pandas: the reference the store's queries (store/kpi_sql.py)
are tested against row for row, and the evaluator for small frames in tests. Serving processes
never hold a large contract to run these (issue 11: the store answers).

The same rules as the SQL: a window is half-open [start, end); `not_in` keeps missing values
(NULL is in no list); comparisons with a missing value are false; a percentile is the
inverted-CDF one (the smallest value with at least q of the values at or below it, PostgreSQL's
percentile_disc); a mean, share or percentile of nothing is None, a count or sum of nothing 0."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from domain.kpis import NOW, KpiSpec, periods_in


def _mask(frame: pd.DataFrame, conditions: Mapping[str, Mapping[str, Any]], now: datetime) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, condition in conditions.items():
        column = frame[name]
        if "in" in condition:
            mask &= column.isin(condition["in"])
        if "not_in" in condition:
            mask &= ~column.isin(condition["not_in"])
        if "le_field" in condition:
            mask &= (column <= frame[condition["le_field"]]).fillna(False).astype(bool)
        if "gt_field" in condition:
            mask &= (column > frame[condition["gt_field"]]).fillna(False).astype(bool)
        if condition.get("before_now"):
            mask &= (column < pd.Timestamp(now)).fillna(False).astype(bool)
        if "is_null" in condition:
            mask &= column.isna() if condition["is_null"] else column.notna()
    return mask


def in_window(
    spec: KpiSpec, frame: pd.DataFrame, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    """The rows of the spec's window: [start, end) by its time field, or for a yearly figure
    the latest `years` years with data up to end's year (end in the park's zone, given)."""
    if spec.window is None or start is None or end is None:
        return frame
    values = frame[spec.window.field]
    if spec.yearly:
        held = values[values <= end.year]
        if held.empty:
            return frame.iloc[0:0]
        latest = int(held.max())
        return frame[(values <= latest) & (values > latest - (spec.window.years or 1))]
    return frame[(values >= pd.Timestamp(start)) & (values < pd.Timestamp(end))]


def measured(spec: KpiSpec, frame: pd.DataFrame, now: datetime) -> pd.Series:
    """The numbers a mean, percentile or sum is taken over (hours for a duration)."""
    if spec.duration is not None:
        end = pd.Timestamp(now) if spec.duration.end == NOW else frame[spec.duration.end]
        hours = (end - frame[spec.duration.start]).dt.total_seconds() / 3600
        return hours.dropna()
    return pd.to_numeric(frame[spec.field], errors="coerce").dropna()


def percentile(values: pd.Series, q: float) -> float | None:
    if values.empty:
        return None
    ordered = values.sort_values().to_numpy()
    return float(ordered[max(math.ceil(q * len(ordered)) - 1, 0)])


def value_of(spec: KpiSpec, rows: pd.DataFrame, now: datetime, start: datetime | None,
             end: datetime | None) -> float | None:  # fmt: skip
    """The measure over `rows` (already in the window and scope)."""
    if spec.measure == "share":
        base = rows[_mask(rows, spec.of, now)]
        return None if base.empty else float(_mask(base, spec.where, now).sum()) / len(base)
    rows = rows[_mask(rows, spec.where, now)]
    if spec.measure == "count":
        return float(len(rows))
    if spec.measure == "rate":
        assert start is not None and end is not None
        return float(len(rows)) / periods_in(spec, start, end)
    if spec.measure == "distinct":
        return float(rows[spec.field].nunique())
    values = measured(spec, rows, now)
    if spec.measure == "sum":
        return float(values.sum())
    if spec.measure == "percentile":
        return percentile(values, spec.q or 0.5)
    return None if values.empty else float(values.mean())


def evaluate(
    spec: KpiSpec,
    frame: pd.DataFrame,
    now: datetime,
    zone: ZoneInfo,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: Mapping[str, str] | None = None,
    total: pd.DataFrame | None = None,
) -> float | None:
    """The KPI's value over `frame` as of `now`, over [start, end) when given (else the spec's
    own window), with `filters` (field → value) as extra conditions; a KPI with a `total` is
    divided by the rows of `total` (its contract's frame in scope) that meet `total_where`
    (None when there are none)."""
    if spec.window is not None and start is None:
        start, end = spec.window.bounds(now, zone)
    if spec.yearly and end is not None:
        end = end.astimezone(zone)
    rows = in_window(spec, frame, start, end)
    for name, wanted in (filters or {}).items():
        rows = rows[rows[name] == wanted]
    value = value_of(spec, rows, now, start, end)
    if spec.total is None or value is None:
        return value
    counted = total_count(spec, total, now)
    return value / counted if counted else None


def total_count(spec: KpiSpec, total: pd.DataFrame | None, now: datetime) -> int:
    """How many rows of the total's frame a `total` KPI divides by: those `total_where` keeps
    (the sensors expected to send readings, not the cameras)."""
    if total is None:
        return 0
    return int(_mask(total, spec.total_where, now).sum())


def breakdown(
    spec: KpiSpec,
    frame: pd.DataFrame,
    by: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: Mapping[str, str] | None = None,
) -> dict[str, float | None]:
    """The KPI's value per value of `by` (rows where `by` is missing are left out)."""
    if spec.window is not None and start is None:
        start, end = spec.window.bounds(now, zone)
    rows = in_window(spec, frame, start, end.astimezone(zone) if spec.yearly and end else end)
    for name, wanted in (filters or {}).items():
        rows = rows[rows[name] == wanted]
    # a group is listed when it has a counted row: the denominator's for a share, else a match
    rows = rows[_mask(rows, spec.of if spec.measure == "share" else spec.where, now)]
    out = {str(key): value_of(spec, group, now, start, end) for key, group in rows.groupby(by, dropna=True)}
    # a percentile's groups are those with a value (the store ranks values, not rows)
    return {k: v for k, v in out.items() if v is not None} if spec.measure == "percentile" else out


def daily_counts(frame: pd.DataFrame, column: str, days: int, now: datetime, zone: ZoneInfo) -> pd.Series:
    """Rows per park-local calendar day over the last `days` days (today included), zeros kept."""
    end = pd.Timestamp(now).tz_convert(zone).normalize()
    index = pd.date_range(end=end, periods=days, freq="D")
    times = frame[column].dropna()
    local = times.dt.tz_convert(zone).dt.normalize()
    counts = local[local >= index[0]].value_counts()
    return counts.reindex(index, fill_value=0).astype(int)
