"""Plotly figures styled for both themes: transparent backgrounds, neutral text, SVG traces
only (WebGL traces need 'unsafe-eval' in the CSP, FIELD_NOTES.md)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go

FONT = "Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
TEXT = "#8b97ab"
# 18 px: the wall's smallest text at 1920x1080 (assets/15-wall.css), ticks and legends included
SIZE = 18
GRID = "rgba(139,151,171,0.18)"
PALETTE = ["#36a3ff", "#2fd0a7", "#f5b942", "#ef6b73", "#9b7bff", "#5ad1e6", "#c3cf4a"]


def _style(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "color": TEXT, "size": SIZE},
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        colorway=PALETTE,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        autosize=True,
        hoverlabel={"font": {"family": FONT, "size": SIZE}},
    )
    fig.update_xaxes(gridcolor=GRID, zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor=GRID, zeroline=False, automargin=True)
    return fig


def trend_figure(trend: pd.DataFrame, names: dict[str, str], partial_name: str) -> go.Figure:
    """Daily lines; the last day is still running, so its segment is dotted with a hollow
    marker rather than drawn as a fall that has not happened."""
    fig = go.Figure()
    for i, column in enumerate(trend.columns):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=trend.index[:-1],
                y=trend[column].iloc[:-1],
                name=names[column],
                mode="lines+markers",
                line={"width": 2, "color": colour},
                legendgroup=column,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=trend.index[-2:],
                y=trend[column].iloc[-2:],
                name=f"{names[column]} · {partial_name}",
                mode="lines+markers",
                line={"width": 2, "color": colour, "dash": "dot"},
                marker={"symbol": ["circle", "circle-open"], "size": [6, 9]},
                legendgroup=column,
                showlegend=False,
            )
        )
    # Numeric dates read the same in both languages (plotly's month names are English only).
    fig.update_layout(hovermode="x unified")
    fig.update_xaxes(tickformat="%m-%d", hoverformat="%Y-%m-%d")
    fig.update_yaxes(rangemode="tozero")  # counts from zero: an axis from 200 inflates swings
    return _style(fig)


def shared_trend_figure(trend: pd.DataFrame, names: dict[str, str], partial_name: str) -> dict[str, Any]:
    """trend_figure as a plain figure dict, built once for the same days and figures: building
    a figure through plotly's validators took 50-200 ms, on every redraw of every screen showing
    the trend (the leaders' screen waited on it at its first render). Read-only: callers pass it
    to dcc.Graph as it is."""
    values = tuple(tuple(row) for row in trend.to_numpy().tolist())
    return _trend_dict(
        tuple(trend.index), tuple(trend.columns), values, tuple(sorted(names.items())), partial_name
    )


@lru_cache(maxsize=64)  # a few scopes x two languages x the day's versions
def _trend_dict(
    index: tuple, columns: tuple, values: tuple, names: tuple, partial_name: str
) -> dict[str, Any]:
    trend = pd.DataFrame(list(values), index=pd.Index(index), columns=list(columns))
    return trend_figure(trend, dict(names), partial_name).to_plotly_json()


def bar_figure(counts: pd.Series, labels: dict[str, str], sort: bool = True) -> go.Figure:
    """Horizontal bars, the largest on top (plotly draws the first bar at the bottom); with
    sort=False in the order given, bottom first."""
    counts = counts.sort_values() if sort else counts
    fig = go.Figure(
        go.Bar(
            x=counts.values,
            y=[labels.get(k, k) for k in counts.index],
            orientation="h",
            marker_color=PALETTE[0],
        )
    )
    fig.update_xaxes(rangemode="tozero")
    return _style(fig)


def donut_figure(counts: pd.Series, labels: dict[str, str]) -> go.Figure:
    fig = go.Figure(
        go.Pie(
            labels=[labels.get(k, k) for k in counts.index],
            values=counts.values,
            hole=0.55,
            sort=False,
            textinfo="percent",
        )
    )
    fig.update_layout(legend={"orientation": "v", "y": 0.5, "yanchor": "middle", "x": 1.0})
    return _style(fig)
