"""How the KPI page writes a figure and names things: a value by its spec's format, its unit and
target, the change against another period, the RAG status in words, and the display name of a
drill-down value (a department, grid cell, case type, severity, rule or chain link). Pure
presentation over the catalogue and the reference data; no Dash component here."""

from __future__ import annotations

from collections.abc import Callable

from domain.kpis import KpiSpec
from locales import catalogue, t

ARROWS = {1: "▲", -1: "▼", 0: "■"}  # a word-free sign that still reads in greyscale


SCALE = {"percent": 100.0, "minutes": 60.0}  # a share is shown ×100, a duration in hours ×60


def scaled(value: float, fmt: str) -> float:
    """`value` in the unit it is shown in: 0.125 as 12.5 for percent, 0.25 h as 15 for minutes."""
    return value * SCALE.get(fmt, 1.0)


def number(value: float | None, fmt: str) -> str:
    """`value` by the spec's format: percent (a share as 12.3%), hours (one decimal), minutes
    (a duration computed in hours, shown ×60), decimal1, integer with thousands separators.
    The one formatter of a KPI's figure: the Overview's cards, the KPI page and its exports."""
    if value is None:
        return "—"
    shown = scaled(value, fmt)
    if fmt == "percent":
        return f"{shown:.1f}%"
    if fmt in ("minutes", "hours", "decimal1"):
        return f"{shown:,.1f}"
    return f"{shown:,.0f}"


def unit(spec: KpiSpec, lang: str) -> str:
    """The unit's words; none for a percentage (the value carries its % sign)."""
    if spec.format == "percent":
        return ""
    key = f"unit.{spec.unit}"
    return t(key, lang) if key in catalogue(lang) else ""


def label(spec: KpiSpec, lang: str) -> str:
    """What the KPI measures, without the Overview's window (the page's range replaces it)."""
    key = f"kpi_measure.{spec.id}"
    return t(key if key in catalogue(lang) else f"kpi.{spec.id}", lang)


def with_unit(value: float | None, spec: KpiSpec, lang: str) -> str:
    words = unit(spec, lang) if value is not None else ""
    return f"{number(value, spec.format)} {words}".strip()


def target(spec: KpiSpec, lang: str) -> str | None:
    """ "Target ≥ 95.0%" (or ≤, by the direction that is better); None without a target."""
    if spec.target is None:
        return None
    sign = "≥" if spec.better == "up" else "≤"
    return t("kpis.target", lang, sign=sign, value=with_unit(spec.target, spec, lang))


def status_word(status: str | None, lang: str) -> str | None:
    return t(f"kpis.status.{status}", lang) if status else None


def change(value: float | None, before: float | None, better: str) -> tuple[str, str] | None:
    """(text, tone) of the relative change from `before` to `value`: "▲ 12.5%" and good / bad /
    flat by the direction that is better; None when there is nothing to compare with (no
    figure, or a figure of zero before, where a percentage means nothing)."""
    if value is None or before is None or before == 0:
        return None
    ratio = (value - before) / abs(before)
    sign = 0 if abs(ratio) < 0.0005 else (1 if ratio > 0 else -1)
    if sign == 0:
        return f"{ARROWS[0]} 0.0%", "flat"
    good = (sign > 0) == (better == "up")
    return f"{ARROWS[sign]} {abs(ratio) * 100:,.1f}%", "good" if good else "bad"


def _chain_links() -> dict[str, tuple[str, str]]:
    """chain_link id ("bio.api") → (zh, en) names from the chains table, cached."""
    from sqlalchemy import select

    from services.cache import cache
    from services.context import get_services
    from store.models import ChainLink as Chain

    cached = cache.get("kpis:chain_links")
    if cached is None:
        with get_services().engine.connect() as connection:
            rows = connection.execute(select(Chain.chain, Chain.link, Chain.name, Chain.name_en))
            cached = {f"{c}.{k}": (str(n or k), str(e or n or k)) for c, k, n, e in rows}
        cache.set("kpis:chain_links", cached, timeout=300)
    return cached


def _cell(value: str, lang: str) -> str:
    from services.hotspots import cell_names

    names = cell_names().get(value)
    if not names:
        return value
    return f"{value} {names[0] if lang == 'zh' else names[1]}"


def _keyed(prefix: str) -> Callable[[str, str], str]:
    def name(value: str, lang: str) -> str:
        key = f"{prefix}.{value}"
        return t(key, lang) if key in catalogue(lang) else value

    return name


def _department(value: str, lang: str) -> str:
    from services.reference import department_name

    return department_name(value, lang)


def _case_type(value: str, lang: str) -> str:
    from services.case_types import type_name

    return type_name(value, lang)


def _chain_link(value: str, lang: str) -> str:
    names = _chain_links().get(value)
    return (names[0] if lang == "zh" else names[1]) if names else value


NAMERS: dict[str, Callable[[str, str], str]] = {
    "department": _department,
    "grid_cell": _cell,
    "case_type": _case_type,
    "severity": _keyed("alert_severity"),
    "rule": _keyed("alert_rule"),
    "chain_link": _chain_link,
}


def value_name(field: str, value: str, lang: str) -> str:
    """A drill-down value as a person reads it (the raw value when nothing names it)."""
    namer = NAMERS.get(field)
    return namer(value, lang) if namer else value


def field_name(field: str, lang: str) -> str:
    key = f"kpis.field.{field}"
    return t(key, lang) if key in catalogue(lang) else field
