"""The KPI catalogue's vocabulary (config/kpis.yaml): what a KPI measures over which contract,
its window, filters, unit, target, direction, owner and red/amber/green bands; parsed and checked
here, computed in the store by store/kpi_sql.py and, as the reference the store is tested
against, over frames by domain/kpi_frames.py. Pure Python.

A KPI's window is the time field its rows are counted by: the Overview uses the spec's own
window (today, the last N days or minutes, the latest year), the KPI page a range the viewer
picks. A KPI without a window is a state now (open cases, active alerts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

Measure = Literal["count", "share", "mean", "percentile", "sum", "rate", "distinct"]
MEASURES = ("count", "share", "mean", "percentile", "sum", "rate", "distinct")
CONDITIONS = frozenset({"in", "not_in", "le_field", "gt_field", "before_now", "is_null"})
FORMATS = ("integer", "percent", "decimal1", "hours", "minutes")
PERIODS = {"day": 1, "week": 7, "month": 30}
STATUSES = ("green", "amber", "red")
GROUPS = ("cases", "alerts", "sensors", "economy")  # the KPI page's sections, in its order
LISTED = frozenset({"in", "not_in"})  # conditions whose value is a list of values
KEYS = frozenset({"id", "contract", "measure", "window", "where", "of", "field", "duration", "q", "per",
                  "unit", "format", "better", "target", "bands", "owner", "drill", "group", "total", "total_where", "fixed",
                  "page"})  # fmt: skip
NOW = "now"  # a duration's end that is the moment of asking (a backlog's age)


class KpiSpecError(ValueError):
    """A KPI spec is malformed; the message names the KPI and the key."""


@dataclass(frozen=True)
class Window:
    """The spec's own window over `field`: exactly one of today (the park's calendar day), the
    last `days` or `minutes`, or `years` (the latest N years of a yearly figure, by `field`)."""

    field: str
    today: bool = False
    days: int | None = None
    minutes: int | None = None
    years: int | None = None

    def bounds(self, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        if self.today:
            local = now.astimezone(zone)
            return local.replace(hour=0, minute=0, second=0, microsecond=0), now
        return now - timedelta(days=self.days or 0, minutes=self.minutes or 0), now


@dataclass(frozen=True)
class Duration:
    """Hours from one time field of a row to another (a case's handling time)."""

    start: str
    end: str


@dataclass(frozen=True)
class Bands:
    """Where the colour changes: in the `better` direction, `green` and beyond is green, `amber`
    and beyond amber, the rest red."""

    green: float
    amber: float


@dataclass(frozen=True)
class KpiSpec:
    id: str
    contract: str
    measure: Measure
    window: Window | None = None
    where: dict[str, dict[str, Any]] = field(default_factory=dict)
    of: dict[str, dict[str, Any]] = field(default_factory=dict)
    # filters on the `total` contract's rows: only those expected to count (sensors that send
    # readings); here, above the `field` attribute that hides dataclasses' field() below it
    total_where: dict[str, dict[str, Any]] = field(default_factory=dict)
    field: str | None = None
    duration: Duration | None = None
    q: float | None = None
    per: str | None = None
    unit: str = "count"
    format: str = "integer"
    better: Literal["up", "down"] = "up"
    target: float | None = None
    bands: Bands | None = None
    owner: str | None = None
    drill: tuple[str, ...] = ()
    group: str = "cases"  # the KPI page's section
    total: str | None = None  # a contract whose rows in scope divide the figure
    fixed: bool = False  # the window is part of the definition (reporting in the last 30 minutes)
    page: bool = True  # listed on the KPI page (false: the Overview's twin of a listed KPI)

    @property
    def timed(self) -> bool:
        """Whether a picked range applies (not to a state now, nor to a fixed window)."""
        return self.window is not None and not self.fixed

    @property
    def yearly(self) -> bool:
        return self.window is not None and self.window.years is not None

    def status(self, value: float | None) -> str | None:
        """green / amber / red for `value` by the bands; None without bands or a value."""
        if value is None or self.bands is None:
            return None
        sign = 1 if self.better == "up" else -1
        if sign * value >= sign * self.bands.green:
            return "green"
        return "amber" if sign * value >= sign * self.bands.amber else "red"


def _number(name: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KpiSpecError(f"kpi {name}: {key}: {value!r} is not a number")
    return float(value)


def _flag(name: str, key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise KpiSpecError(f"kpi {name}: {key}: {value!r} is not true or false")


def _window(name: str, raw: Any) -> Window | None:
    """The window, its lengths whole and positive: YAML reads `days: "30"` as text, which would
    reach the store's interval arithmetic, and `days: -5` would count a window in the future."""
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise KpiSpecError(f"kpi {name}: window: give a mapping such as {{field: reported_at, days: 30}}")
    _flag(name, "window.today", raw.get("today", False))
    for key in ("days", "minutes", "years"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise KpiSpecError(f"kpi {name}: window.{key}: {value!r} is not a whole number of at least 1")
    return Window(**raw)


def _check_conditions(name: str, key: str, conditions: Any) -> None:
    """`where`, `of` or `total_where`: field → a mapping of known conditions, lists where a
    condition takes values; the message names the KPI, the key and the field."""
    if not isinstance(conditions, dict):
        raise KpiSpecError(f"kpi {name}: {key}: give a mapping such as {{status: {{in: [...]}}}}")
    for field_name, condition in conditions.items():
        where = f"kpi {name}: {key}: condition on {field_name}"
        if not isinstance(condition, dict):
            raise KpiSpecError(f"{where}: give a mapping such as {{in: [...]}}")
        strange = set(condition) - CONDITIONS
        if strange:
            raise KpiSpecError(f"{where}: unknown {', '.join(sorted(strange))}")
        for listed in LISTED & set(condition):
            if not isinstance(condition[listed], list):  # a string would be iterated as its letters
                raise KpiSpecError(f"{where}: {listed}: give a list such as [closed]")


def _compared_fields(conditions: dict[str, dict[str, Any]]) -> list[str]:
    """The fields a condition names besides its own (le_field, gt_field)."""
    return [c[k] for c in conditions.values() for k in ("le_field", "gt_field") if k in c]


def _one(name: str, raw: dict[str, Any]) -> KpiSpec:
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise KpiSpecError(f"kpi {name}: unknown key {', '.join(unknown)}")
    try:
        window = _window(name, raw.get("window"))
        duration = raw.get("duration")
        duration = Duration(start=duration["from"], end=duration["to"]) if duration else None
        bands = raw.get("bands")
        bands = Bands(green=_number(name, "bands.green", bands["green"]) or 0.0,
                      amber=_number(name, "bands.amber", bands["amber"]) or 0.0) if bands else None  # fmt: skip
        spec = KpiSpec(**{**raw, "window": window, "duration": duration, "bands": bands,
                          "target": _number(name, "target", raw.get("target")),
                          "q": _number(name, "q", raw.get("q")), "drill": tuple(raw.get("drill") or ())})  # fmt: skip
    except (TypeError, KeyError) as exc:
        raise KpiSpecError(f"kpi {name}: {exc}") from None
    for key in ("where", "of", "total_where"):
        _check_conditions(name, key, getattr(spec, key))
    if spec.total_where and spec.total is None:
        raise KpiSpecError(f"kpi {name}: total_where: needs a total (the contract whose rows it filters)")
    if spec.measure not in MEASURES:
        raise KpiSpecError(f"kpi {name}: measure: {spec.measure!r} is not one of {', '.join(MEASURES)}")
    if spec.format not in FORMATS:
        raise KpiSpecError(f"kpi {name}: format: {spec.format!r} is not one of {', '.join(FORMATS)}")
    if spec.better not in ("up", "down"):
        raise KpiSpecError(f"kpi {name}: better: {spec.better!r} is not up or down")
    if spec.group not in GROUPS:  # a card in no section is never shown
        raise KpiSpecError(f"kpi {name}: group: {spec.group!r} is not one of {', '.join(GROUPS)}")
    _flag(name, "page", spec.page)
    _flag(name, "fixed", spec.fixed)
    b = spec.bands
    if b is not None and (b.green < b.amber if spec.better == "up" else b.green > b.amber):
        side = "at least" if spec.better == "up" else "at most"
        raise KpiSpecError(f"kpi {name}: bands: with better {spec.better}, green {b.green:g} must be {side} "
                           f"amber {b.amber:g}")  # fmt: skip
    w = spec.window
    if w is not None and sum(bool(x) for x in (w.today, w.days, w.minutes, w.years)) != 1:
        raise KpiSpecError(f"kpi {name}: window: give exactly one of today, days, minutes, years")
    if spec.measure in ("mean", "percentile") and not (spec.field or spec.duration):
        raise KpiSpecError(f"kpi {name}: measure {spec.measure} needs 'field' or 'duration'")
    if spec.measure in ("sum", "distinct") and not spec.field:
        raise KpiSpecError(f"kpi {name}: measure {spec.measure} needs 'field'")
    if spec.measure == "percentile" and not (spec.q is not None and 0 < spec.q < 1):
        raise KpiSpecError(f"kpi {name}: measure percentile needs 'q' between 0 and 1")
    if spec.fixed and w is None:
        raise KpiSpecError(f"kpi {name}: fixed: needs a window")
    if spec.total is not None and spec.drill:
        raise KpiSpecError(f"kpi {name}: a KPI with a total has no drill-down (its groups have no total)")
    if spec.measure == "rate" and (spec.per not in PERIODS or w is None):
        raise KpiSpecError(f"kpi {name}: measure rate needs a window and 'per' of {', '.join(PERIODS)}")
    return spec


def parse_specs(data: Any) -> list[KpiSpec]:
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), list):
        raise KpiSpecError("the KPI file needs a top-level 'kpis' list")
    specs: list[KpiSpec] = []
    for i, raw in enumerate(data["kpis"]):
        name = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        if not isinstance(raw, dict):
            raise KpiSpecError(f"kpi {name}: give a mapping of keys")
        spec = _one(str(name), raw)
        if any(s.id == spec.id for s in specs):
            raise KpiSpecError(f"kpi {spec.id}: id: given twice")
        specs.append(spec)
    return specs


def overview_ids(data: Any, specs: list[KpiSpec]) -> tuple[str, ...]:
    """The KPIs the Overview shows (the file's `overview` list; every KPI when it has none)."""
    raw = data.get("overview") if isinstance(data, dict) else None
    if raw is None:
        return tuple(s.id for s in specs)
    if not isinstance(raw, list):
        raise KpiSpecError("overview: give a list of KPI ids")
    known = {s.id for s in specs}
    unknown = [str(i) for i in raw if i not in known]
    if unknown:
        raise KpiSpecError(f"overview: unknown kpi {', '.join(unknown)}")
    return tuple(str(i) for i in raw)


def check_specs(
    specs: list[KpiSpec], columns: dict[str, list[str]], departments: set[str] | None = None
) -> None:
    """Check that every spec names a known contract and its fields (`columns`: contract →
    field names), and a known owner; raise KpiSpecError naming the KPI and the key."""
    for spec in specs:
        if spec.contract not in columns:
            raise KpiSpecError(f"kpi {spec.id}: contract: unknown {spec.contract!r}")
        named = [spec.field, spec.window.field if spec.window else None, *spec.where, *spec.of, *spec.drill]
        named += _compared_fields({**spec.where, **spec.of})
        named += [spec.duration.start, spec.duration.end] if spec.duration else []
        named = [n for n in named if n != NOW]
        if spec.total is not None and spec.total not in columns:
            raise KpiSpecError(f"kpi {spec.id}: total: unknown contract {spec.total!r}")
        if spec.total is not None:  # total_where's fields are the total contract's
            missing = sorted({n for n in [*spec.total_where, *_compared_fields(spec.total_where)]
                              if n not in columns[spec.total]})  # fmt: skip
            if missing:
                raise KpiSpecError(
                    f"kpi {spec.id}: total_where: {spec.total} has no field {', '.join(missing)}"
                )
        unknown = sorted({n for n in named if n and n not in columns[spec.contract]})
        if unknown:
            raise KpiSpecError(f"kpi {spec.id}: {spec.contract} has no field {', '.join(unknown)}")
        if departments is not None and spec.owner is not None and spec.owner not in departments:
            raise KpiSpecError(f"kpi {spec.id}: owner: unknown department {spec.owner!r}")


def periods_in(spec: KpiSpec, start: datetime, end: datetime) -> float:
    """How many of the spec's `per` periods the range holds (a rate's denominator)."""
    return max((end - start).total_seconds() / 86400 / PERIODS[spec.per or "day"], 1e-9)
