"""An enterprise's figures over the years as small Plotly charts, styled for both themes by
components/charts.py: revenue and tax (10,000 yuan), employees, R&D share of revenue and
patents granted per year. Years are categories, so a firm with five years of figures shows
five ticks, never 2021.5."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from components.charts import PALETTE, _style
from locales import t

GRAPH_CONFIG: Any = {"displaylogo": False, "responsive": True, "displayModeBar": False}
# (chart key, the history's columns it draws, how: bars or a line, the y axis's tick format)
CHARTS = (
    ("money", ("revenue", "tax"), "bar", ",.0f"),
    ("employees", ("employees",), "line", ",d"),
    ("rd_share", ("rd_share",), "line", ".1%"),
    ("patents", ("patents",), "bar", ",d"),
)


def _years(history: Sequence[dict[str, Any]]) -> list[str]:
    return [str(row["year"]) for row in history]


def history_figure(history: Sequence[dict[str, Any]], key: str, lang: str) -> go.Figure:
    """One chart of CHARTS over the firm's years (missing figures leave a gap)."""
    _, columns, kind, tick = next(c for c in CHARTS if c[0] == key)
    years = _years(history)
    fig = go.Figure()
    for i, column in enumerate(columns):
        values = [row.get(column) for row in history]
        name = t(f"enterprise.series.{column}", lang)
        colour = PALETTE[i % len(PALETTE)]
        if kind == "bar":
            fig.add_trace(go.Bar(x=years, y=values, name=name, marker_color=colour))
        else:
            fig.add_trace(
                go.Scatter(
                    x=years, y=values, name=name, mode="lines+markers", line={"color": colour, "width": 2}
                )
            )
    # every other year once there are many: the money chart's wide ticks leave its years little room
    fig.update_xaxes(type="category", tickangle=0, dtick=1 if len(years) <= 5 else 2)
    fig.update_yaxes(tickformat=tick, rangemode="tozero")
    counts = [row.get(c) for row in history for c in columns if tick == ",d"]
    if counts and max((v or 0) for v in counts) <= 5:  # a few people or patents: whole ticks, never 0.5
        fig.update_yaxes(dtick=1)
    fig = _style(fig)
    # a chart of two series names them above the plot, in room of its own
    fig.update_layout(showlegend=len(columns) > 1, barmode="group", hovermode="x unified")
    if len(columns) > 1:
        fig.update_layout(margin={"t": 34})
    return fig


def history_charts(history: Sequence[dict[str, Any]], lang: str) -> html.Div:
    """The four charts in a grid, each under its title; words instead when there are no figures."""
    if not history:
        return html.Div(
            [html.I(className="bi bi-inbox me-2"), t("enterprise.no_history", lang)], className="os-empty"
        )
    return html.Div(
        [
            html.Div(
                [
                    html.H3(t(f"enterprise.chart.{key}", lang), className="os-ent-chart-title"),
                    dcc.Graph(
                        figure=history_figure(history, key, lang),
                        config=GRAPH_CONFIG,
                        className="os-ent-graph",
                    ),
                ],
                className="os-ent-chart",
            )
            for key, *_ in CHARTS
        ],
        className="os-ent-charts",
    )
