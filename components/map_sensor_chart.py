"""A sensor's last day in the map's side panel: one small line per quantity it has thresholds for,
with its warning and critical levels dashed, so the officer sees at once whether it is rising."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _style
from locales import t
from services.context import get_services
from services.data import snapshot
from services.map_layers import sensor_history

HOURS = 24
LEVELS = {"warning": "#f5b942", "critical": "#ef6b73"}


def _figure(points: list, limits: dict, quantity: str, unit: str) -> go.Figure:
    zone = get_services().settings.zone
    fig = go.Figure(
        go.Scatter(
            x=[at.astimezone(zone) for at, _v in points],
            y=[v for _a, v in points],
            mode="lines",
            line={"width": 2, "color": "#36a3ff"},
            name=quantity,
        )  # fmt: skip
    )
    for level, colour in LEVELS.items():
        if isinstance(limits.get(level), int | float):
            fig.add_hline(y=limits[level], line={"dash": "dash", "color": colour, "width": 1})
    _style(fig)
    fig.update_layout(height=150, showlegend=False, margin={"l": 40, "r": 8, "t": 24, "b": 24},
                      title={"text": f"{quantity} ({unit})" if unit else quantity, "font": {"size": 12}})  # fmt: skip
    return fig


def sensor_chart(sensor_id: str, lang: str) -> html.Div:
    history = sensor_history(sensor_id, HOURS)
    frame = snapshot("sensors").frame
    rows = frame[frame["id"] == sensor_id]
    limits = (rows.iloc[0].get("thresholds") or {}) if not rows.empty else {}
    charts: list = [
        html.Div(t("map.sensor_history", lang, hours=HOURS), className="small text-body-secondary mt-2")
    ]
    config = {"displaylogo": False, "displayModeBar": False, "responsive": True}
    for quantity, points in history.items():
        if points:
            q = limits.get(quantity) or {}
            charts.append(
                dcc.Graph(figure=_figure(points, q, quantity, str(q.get("unit") or "")), config=config)
            )
    if len(charts) == 1:
        charts.append(
            html.P(t("map.sensor_silent", lang, hours=HOURS), className="text-body-secondary small")
        )
    return html.Div(charts, className="os-map-sensor-history")
