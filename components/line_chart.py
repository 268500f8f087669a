"""Daily lines drawn as inline SVG with HTML labels, for the wall's case trend (reported and
closed, the last 30 days). On a wall nobody hovers or zooms a chart, and the one Plotly chart
left on the leaders' screen cost its first render ~0.5 s of a wall computer's main thread
(evaluating plotly.js, then laying out and drawing its SVG, bench/bench_wall_render.py): these
lines are drawn with the layout, in the theme's colours, with labels at the wall's 18 px.

The plot is an SVG stretched to its box (viewBox 0..1000 both ways, preserveAspectRatio none):
strokes keep their width (non-scaling-stroke) and a point is a zero-length stroke with a round
cap, so it stays round however the box is shaped. Axis labels and the legend are HTML, laid
out by the browser in the page's font. As on the desk's Plotly chart (components/charts.py),
the last day is still running: its segment is dotted and its point hollow, never drawn as a
fall that has not happened."""

from __future__ import annotations

import math
from typing import Any

import dash_svg as svg
import pandas as pd
from dash import html

from components.charts import GRID, PALETTE

SIZE = 1000  # the viewBox's width and height
X_LABELS = 6  # day labels under the plot at most (at 18 px a 30-day axis has room for six)
Y_TICKS = 4  # grid lines above zero, at most


def nice_step(top: float, ticks: int = Y_TICKS) -> int:
    """The step of at most `ticks` grid lines reaching `top`: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def _y(value: float, top: float) -> float:
    return SIZE - SIZE * value / top


def _x(index: int, count: int) -> float:
    return SIZE * index / (count - 1) if count > 1 else SIZE / 2


def _points(values: list[int], start: int, count: int, top: float) -> str:
    return " ".join(f"{_x(start + i, count):.1f},{_y(v, top):.1f}" for i, v in enumerate(values))


def _dots(values: list[int], count: int, top: float) -> str:
    """Zero-length path segments, one per value: drawn as round points by a round line cap."""
    return " ".join(f"M{_x(i, count):.1f} {_y(v, top):.1f}h0" for i, v in enumerate(values))


def _series(values: list[int], colour: str, top: float) -> list:
    count = len(values)
    stroke = {"vectorEffect": "non-scaling-stroke", "fill": "none", "stroke": colour}
    dot = {**stroke, "strokeLinecap": "round"}
    last = f"M{_x(count - 1, count):.1f} {_y(values[-1], top):.1f}h0"
    return [
        svg.Polyline(points=_points(values[:-1], 0, count, top), strokeWidth="2.5", **stroke),
        svg.Polyline(
            points=_points(values[-2:], count - 2, count, top),
            strokeWidth="2.5",
            strokeDasharray="4 5",
            **stroke,
        ),
        svg.Path(d=_dots(values[:-1], count, top), strokeWidth="7", **dot),
        # the running day: a ring (a wide point with the page's background inside)
        svg.Path(d=last, strokeWidth="11", **dot),
        svg.Path(d=last, strokeWidth="5", **{**dot, "stroke": "var(--os-bg)"}),
    ]


def _x_labels(days: list[pd.Timestamp]) -> list[html.Span]:
    count = len(days)
    every = max(1, math.ceil((count - 1) / (X_LABELS - 1)))
    shown = sorted({*range(count - 1, -1, -every)})  # counted back from today, which is always named
    labels = []
    for i in shown:
        shift = "0" if i == 0 else "-100%" if i == count - 1 else "-50%"
        labels.append(
            html.Span(
                days[i].strftime("%m-%d"),
                className="os-lc-x-label",
                style={"left": f"{100 * _x(i, count) / SIZE:.2f}%", "transform": f"translateX({shift})"},
            )
        )
    return labels


def line_chart(trend: pd.DataFrame, names: dict[str, str], partial_name: str) -> html.Div:
    """The columns of `trend` (one row a day, the last one running) as lines, each named by
    `names`; `partial_name` says what the dotted last segment is ("today so far")."""
    count = len(trend.index)
    peak = float(trend.to_numpy().max()) if count else 0.0
    step = nice_step(peak)
    top = float(max(step, math.ceil(peak / step) * step))
    grid = [
        svg.Line(
            x1="0",
            x2=str(SIZE),
            y1=f"{_y(v, top):.1f}",
            y2=f"{_y(v, top):.1f}",
            stroke=GRID,
            strokeWidth="1",
            vectorEffect="non-scaling-stroke",
        )
        for v in range(0, int(top) + 1, step)
    ]
    lines: list = []
    legend: list = []
    summary = []
    for i, column in enumerate(trend.columns):
        colour = PALETTE[i % len(PALETTE)]
        values = [int(v) for v in trend[column].tolist()]
        if count >= 2:
            lines += _series(values, colour, top)
        legend.append(
            html.Span(
                [html.I(className="os-lc-swatch", style={"background": colour}), names[column]],
                className="os-lc-key",
            )
        )
        summary.append(f"{names[column]} {values[-1]:,}" if values else names[column])
    legend.append(
        html.Span([html.I(className="os-lc-swatch os-lc-dotted"), partial_name], className="os-lc-key")
    )
    y_labels = [
        html.Span(f"{v:,}", className="os-lc-y-label", style={"top": f"{100 * _y(v, top) / SIZE:.2f}%"})
        for v in range(0, int(top) + 1, step)
    ]
    plot = svg.Svg(
        [*grid, *lines],
        viewBox=f"0 0 {SIZE} {SIZE}",
        preserveAspectRatio="none",
        className="os-lc-svg",
    )
    days = list(trend.index)
    described: dict[str, Any] = {"role": "img", "aria-label": f"{partial_name}: " + ", ".join(summary)}
    return html.Div(
        [
            html.Div(legend, className="os-lc-legend"),
            html.Div(y_labels, className="os-lc-y"),
            html.Div(plot, className="os-lc-plot", **described),
            html.Div(_x_labels(days) if count else [], className="os-lc-x"),
        ],
        className="os-line-chart",
        # the days drawn, in full (the axis names a few as month-day): for tools and tests
        **({"data-from": days[0].date().isoformat(), "data-to": days[-1].date().isoformat()} if days else {}),
        **{"data-days": str(count)},
    )
