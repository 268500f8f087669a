"""A KPI card: the figure, its label, where it came from and how fresh it is."""

from __future__ import annotations

from dash import html

from components.timefmt import format_time
from locales import t
from services.kpis import KpiFigure


def format_value(value: float | None, fmt: str, lang: str) -> str:
    if value is None:
        return "—"
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "decimal1":
        return f"{value:.1f}"
    if lang == "zh" and value >= 100_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,.0f}"


def make_kpi_card(figure: KpiFigure, lang: str, zone, source_title: str) -> html.Div:
    spec = figure.spec
    state = "stale" if figure.stale else "live"
    return html.Div(
        [
            html.Div(t(f"kpi.{spec.id}", lang), className="os-kpi-label"),
            html.Div(format_value(figure.value, spec.format, lang), className="os-kpi-value"),
            html.Div(
                [
                    html.I(className="bi bi-database me-1"),
                    source_title,
                    html.Span(" · "),
                    t(f"panel.{state}", lang, time=format_time(figure.fetched_at, zone, "%H:%M")),
                ],
                className=f"os-kpi-meta os-{state}",
            ),
        ],
        className="os-kpi-card",
        id={"type": "kpi-card", "kpi": spec.id},
    )
