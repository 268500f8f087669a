"""Ranked horizontal bars drawn in HTML, for the wall's counts by channel and by domain (or a
department's case types): each row names its kind, draws its share of the largest as a bar and
prints its figure. On a wall nobody hovers or zooms a chart, and the two Plotly bar charts cost
the leaders' screen ~300 ms of its first render on a wall's computer (plotly.js laying out and
drawing their SVG, bench/bench_wall_render.py); these rows are drawn with the layout, follow the
theme's colours (CSS variables, the night theme included) and read at the wall's 18 px."""

from __future__ import annotations

import pandas as pd
from dash import html

from components.charts import PALETTE


def bar_list(counts: pd.Series, labels: dict[str, str], sort: bool = True) -> html.Ul:
    """The largest on top (sort=False: in the order given, first on top); every bar is its
    count's share of the largest, so the longest bar spans the row."""
    counts = counts.sort_values(ascending=False, kind="stable") if sort else counts
    largest = float(counts.max()) if len(counts) else 0.0
    rows = []
    for key, value in counts.items():
        label = labels.get(key, str(key))
        share = 100.0 * float(value) / largest if largest > 0 else 0.0
        figure = f"{int(value):,}"
        rows.append(
            html.Li(
                [
                    html.Span(label, className="os-bar-label", title=label),
                    html.Span(
                        html.Span(
                            className="os-bar-fill",
                            style={"width": f"{share:.1f}%", "background": PALETTE[0]},
                        ),
                        className="os-bar-track",
                    ),
                    html.Span(figure, className="os-bar-value"),
                ],
                className="os-bar-row",
                **{"aria-label": f"{label}: {figure}"},
            )
        )
    return html.Ul(rows, className="os-bar-list")
