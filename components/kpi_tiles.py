"""The KPI page's cards, grouped by section (cases, alerts, sensors, economy): the value with its
unit, the target, the RAG status as a coloured edge *and* a word, a sparkline over the picked
range, the change against the period before and the same period a year earlier, when the figure
was computed and from which source. Each card is a link: it opens the KPI's drill-down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import dcc, html

from components import kpi_format as fmt
from components.charts import PALETTE
from domain.kpis import GROUPS, KpiSpec
from locales import t
from services.kpi_values import KpiReading

PER_ROW = 9  # cards a row of the 1920-wide stage holds (12.6rem each, assets/60-kpis.css)
SPARK_HEIGHT = "2.2rem"
SPARK_CONFIG: Any = {"displayModeBar": False, "staticPlot": True, "responsive": True}
TONE_CLASS = {"good": "os-kpi-good", "bad": "os-kpi-bad", "flat": "os-kpi-flat"}


def _aria(name: str, value: str) -> dict[str, Any]:
    """An ARIA attribute for a Dash component (its keyword has a hyphen)."""
    return {name: value}


def sparkline(series: Sequence[tuple[datetime, float | None]], zone: ZoneInfo) -> go.Figure:
    """A small line of the range's buckets: no axes, no grid, no hover (static)."""
    xs = [start.astimezone(zone) for start, _ in series]
    ys = [value for _, value in series]
    fig = go.Figure(
        go.Scatter(x=xs, y=ys, mode="lines", line={"width": 2, "color": PALETTE[0]}, connectgaps=False)
    )
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 2, "b": 2},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        autosize=True,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, rangemode="tozero")
    return fig


def _spark(reading: KpiReading, zone: ZoneInfo, lang: str):
    spec = reading.spec
    if len(reading.series) >= 2:
        return dcc.Graph(
            figure=sparkline(reading.series, zone),
            config=SPARK_CONFIG,
            className="os-kpi-spark",
            style={"height": SPARK_HEIGHT},
        )
    # a state now, a fixed window or a yearly figure has no line over the range: say why
    why = "kpis.spark.fixed" if spec.fixed else "kpis.spark.yearly" if spec.yearly else "kpis.spark.now"
    return html.Div(t(why, lang), className="os-kpi-spark os-kpi-spark-none")


def _change(value: float | None, before: float | None, better: str, key: str, lang: str) -> html.Span:
    found = fmt.change(value, before, better)
    words = t(key, lang)
    if found is None:
        return html.Span(
            f"— {words}", className="os-kpi-change os-kpi-flat", title=t("kpis.no_compare", lang)
        )
    text, tone = found
    return html.Span(f"{text} {words}", className=f"os-kpi-change {TONE_CLASS[tone]}")


def _status(reading: KpiReading, lang: str) -> html.Span | None:
    word = fmt.status_word(reading.status, lang)
    if word is None:
        return None
    return html.Span(word, className=f"os-kpi-status os-rag-{reading.status}")


def kpi_tile(reading: KpiReading, href: str, source_title: str, zone: ZoneInfo, lang: str) -> dcc.Link:
    """One card, a link to the KPI's drill-down (`href`)."""
    spec = reading.spec
    name = fmt.label(spec, lang)
    target = fmt.target(spec, lang)
    facts = [
        x
        for x in (_status(reading, lang), html.Span(target, className="os-kpi-target") if target else None)
        if x
    ]
    changes = (
        [
            _change(reading.value, reading.previous, spec.better, "kpis.vs_previous", lang),
            _change(reading.value, reading.last_year, spec.better, "kpis.vs_last_year", lang),
        ]
        if spec.timed and not spec.yearly  # a yearly figure is the latest year whatever the range
        else []
    )
    number = fmt.number(reading.value, spec.format)
    computed = reading.computed_at.astimezone(zone).strftime("%H:%M:%S")
    body = [
        html.Div(name, className="os-kpi-label", title=name),
        html.Div(
            [
                html.Span(number, className="os-kpi-number" + (" os-kpi-long" if len(number) > 8 else "")),
                html.Span(fmt.unit(spec, lang), className="os-kpi-unit"),
            ],
            className="os-kpi-value",
            title=fmt.with_unit(reading.value, spec, lang),
        ),
        html.Div(facts, className="os-kpi-facts"),
        _spark(reading, zone, lang),
        html.Div(changes, className="os-kpi-changes"),
        html.Div(
            t("kpis.computed", lang, time=computed, source=source_title),
            className="os-kpi-meta",
            title=t("kpis.computed", lang, time=computed, source=source_title),
        ),
    ]
    rag = f"os-rag-edge-{reading.status}" if reading.status else "os-rag-edge-none"
    return dcc.Link(
        body,
        href=href,
        className=f"os-kpi-tile {rag}",
        id={"type": "kpis-tile", "kpi": spec.id},
        title=t("kpis.open", lang, name=name),
    )


def pending_tile(spec: KpiSpec, lang: str) -> html.Div:
    """The card's frame while its figure is computed (its own request: the cards fill in as
    their figures arrive instead of the page waiting for the slowest)."""
    name = fmt.label(spec, lang)
    return html.Div(
        [html.Div(name, className="os-kpi-label", title=name), html.Div("…", className="os-kpi-value")],
        className="os-kpi-tile os-rag-edge-none os-kpi-pending",
        **_aria("aria-busy", "true"),
    )


def sections(tiles: dict[str, list], lang: str) -> list[html.Div]:
    """The cards by section, in GROUPS order (an empty section is left out)."""
    return [
        html.Div(
            [
                html.Section(
                    [
                        html.H2(t(f"kpis.group.{group}", lang), className="os-kpi-group-title"),
                        html.Div(
                            tiles[group],
                            className="os-kpi-tiles",
                            style={
                                "gridTemplateColumns": f"repeat({min(len(tiles[group]), PER_ROW)}, 12.6rem)"
                            },
                        ),
                    ],
                    className=f"os-kpi-group os-kpi-group-{group}",
                )  # fmt: skip
                for group in GROUPS
                if tiles.get(group)
            ],
            className="os-kpi-groups",
        )
    ]
