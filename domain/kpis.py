"""KPI specs (config/kpis.yaml) and their evaluation over contract frames: pure pandas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd

Measure = Literal["count", "share", "mean", "distinct"]
_CONDITIONS = {"in", "not_in", "le_field", "before_now"}
MEASURES = ("count", "share", "mean", "distinct")
FORMATS = ("integer", "percent", "decimal1")


@dataclass(frozen=True)
class Window:
    field: str
    today: bool = False
    days: int | None = None
    minutes: int | None = None

    def bounds(self, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        if self.today:
            local = now.astimezone(zone)
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            return start, now
        return now - timedelta(days=self.days or 0, minutes=self.minutes or 0), now


@dataclass(frozen=True)
class KpiSpec:
    id: str
    contract: str
    measure: Measure
    window: Window | None = None
    where: dict[str, dict[str, Any]] = field(default_factory=dict)
    of: dict[str, dict[str, Any]] = field(default_factory=dict)
    field: str | None = None
    format: str = "integer"
    better: Literal["up", "down"] = "up"


class KpiSpecError(ValueError):
    """A KPI spec is malformed; the message names the KPI and the key."""


def parse_specs(data: Any) -> list[KpiSpec]:
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), list):
        raise KpiSpecError("the KPI file needs a top-level 'kpis' list")
    specs = []
    for i, raw in enumerate(data["kpis"]):
        name = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        try:
            window = Window(**raw["window"]) if raw.get("window") else None
            spec = KpiSpec(**{**raw, "window": window})
        except TypeError as exc:
            raise KpiSpecError(f"kpi {name}: {exc}") from None
        for key, condition in {**spec.where, **spec.of}.items():
            unknown = set(condition) - _CONDITIONS
            if unknown:
                raise KpiSpecError(f"kpi {name}: condition on {key}: unknown {', '.join(sorted(unknown))}")
        if spec.measure not in MEASURES:
            raise KpiSpecError(f"kpi {name}: measure: {spec.measure!r} is not one of {', '.join(MEASURES)}")
        if spec.format not in FORMATS:
            raise KpiSpecError(f"kpi {name}: format: {spec.format!r} is not one of {', '.join(FORMATS)}")
        if spec.better not in ("up", "down"):
            raise KpiSpecError(f"kpi {name}: better: {spec.better!r} is not up or down")
        if (
            spec.window is not None
            and sum(bool(x) for x in (spec.window.today, spec.window.days, spec.window.minutes)) != 1
        ):
            raise KpiSpecError(f"kpi {name}: window: give exactly one of today, days, minutes")
        if spec.measure in ("mean", "distinct") and not spec.field:
            raise KpiSpecError(f"kpi {name}: measure {spec.measure} needs 'field'")
        specs.append(spec)
    return specs


def check_specs(specs: list[KpiSpec], columns: dict[str, list[str]]) -> None:
    """Check that every spec names a known contract and its fields (`columns`: contract →
    field names); raise KpiSpecError naming the KPI and the key."""
    for spec in specs:
        if spec.contract not in columns:
            raise KpiSpecError(f"kpi {spec.id}: contract: unknown {spec.contract!r}")
        named = [spec.field, spec.window.field if spec.window else None, *spec.where, *spec.of]
        named += [c["le_field"] for c in (*spec.where.values(), *spec.of.values()) if "le_field" in c]
        unknown = sorted({n for n in named if n and n not in columns[spec.contract]})
        if unknown:
            raise KpiSpecError(f"kpi {spec.id}: {spec.contract} has no field {', '.join(unknown)}")


def _mask(frame: pd.DataFrame, conditions: dict[str, dict[str, Any]], now: datetime) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, condition in conditions.items():
        column = frame[name]
        if "in" in condition:
            mask &= column.isin(condition["in"])
        if "not_in" in condition:
            mask &= ~column.isin(condition["not_in"])
        if "le_field" in condition:
            mask &= (column <= frame[condition["le_field"]]).fillna(False).astype(bool)
        if condition.get("before_now"):
            mask &= (column < pd.Timestamp(now)).fillna(False).astype(bool)
    return mask


def evaluate(spec: KpiSpec, frame: pd.DataFrame, now: datetime, zone: ZoneInfo) -> float | None:
    """The KPI's value over `frame` as of `now`; None when it is undefined (no rows to average)."""
    rows = frame
    if spec.window is not None:
        start, end = spec.window.bounds(now, zone)
        times = rows[spec.window.field]
        rows = rows[(times >= pd.Timestamp(start)) & (times <= pd.Timestamp(end))]
    if spec.measure == "share":
        base = rows[_mask(rows, spec.of, now)]
        if base.empty:
            return None
        return float(_mask(base, spec.where, now).sum()) / len(base)
    rows = rows[_mask(rows, spec.where, now)]
    if spec.measure == "count":
        return float(len(rows))
    if spec.measure == "distinct":
        return float(rows[spec.field].nunique())
    values = pd.to_numeric(rows[spec.field], errors="coerce").dropna()
    return None if values.empty else float(values.mean())


def daily_counts(frame: pd.DataFrame, column: str, days: int, now: datetime, zone: ZoneInfo) -> pd.Series:
    """Rows per park-local calendar day over the last `days` days (today included), zeros kept."""
    end = pd.Timestamp(now).tz_convert(zone).normalize()
    index = pd.date_range(end=end, periods=days, freq="D")
    times = frame[column].dropna()
    local = times.dt.tz_convert(zone).dt.normalize()
    counts = local[local >= index[0]].value_counts()
    return counts.reindex(index, fill_value=0).astype(int)
