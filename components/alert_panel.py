"""One alert as the Alerts page's side panel shows it: its title and message in the viewer's
language, its facts, a button for exactly each step the signed-in principal may take (each
confirmed in a dialog; the keys A, S and E press the first three), the linked case, the
sensor's readings around the alert with the rule's threshold, its place on a small map with
the nearest camera point, and its timeline with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _style
from components.place_map import place_map
from components.timefmt import format_time
from locales import t
from services.alert_desk import History
from services.alert_detail import AlertView
from services.reference import department_name
from services.surroundings import surroundings

ACTION_BUTTON = "alerts-action"  # pattern-matching id: {"type": ACTION_BUTTON, "action": ...}
PLACE_MAP = "alerts-place-map"
SEVERITY_COLOUR = {"critical": "danger", "warning": "warning", "info": "info"}
STATE_COLOUR = {"raised": "danger", "escalated": "danger", "acknowledged": "primary", "assigned": "primary",
                "resolved": "success", "closed": "secondary"}  # fmt: skip
KEYS = {"acknowledge": "A", "assign": "S", "escalate": "E"}  # the page's shortcuts (assets/50-alerts.js)


def _safe(key: str, lang: str, values: dict[str, Any]) -> str:
    try:
        return t(key, lang, **values)
    except (KeyError, IndexError, ValueError):  # a message whose values lack a placeholder
        return t(key, lang)


def alert_title(alert: dict[str, Any], lang: str) -> str:
    """The alert's title in `lang`: its rule's name."""
    detail = alert.get("detail") if isinstance(alert.get("detail"), dict) else {}
    key = str(detail.get("title") or f"alert_rule.{alert.get('rule')}")
    return t(key, lang)


def alert_message(alert: dict[str, Any], lang: str) -> str:
    """What the condition is, in `lang` (empty when the alert carries no message)."""
    detail = alert.get("detail") if isinstance(alert.get("detail"), dict) else {}
    key, values = detail.get("message"), detail.get("values")
    if not isinstance(key, str):
        return ""
    return _safe(key, lang, values if isinstance(values, dict) else {})


def severity_badge(severity: str, lang: str) -> dbc.Badge:
    return dbc.Badge(
        t(f"alert_severity.{severity}", lang) if severity in SEVERITY_COLOUR else severity,
        color=SEVERITY_COLOUR.get(severity, "secondary"),
        className="os-alert-severity",
    )


def state_badge(state: str, lang: str) -> dbc.Badge:
    return dbc.Badge(
        t(f"alert_state.{state}", lang) if state in STATE_COLOUR else state,
        color=STATE_COLOUR.get(state, "secondary"),
        className="os-alert-state",
    )


def _fact(label: str, value: Any) -> html.Div:
    return html.Div([html.Dt(label), html.Dd(value if value not in (None, "") else "—")], className="os-fact")


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _event(event: dict[str, Any], zone: ZoneInfo, lang: str) -> html.Li:
    action = str(event.get("action") or "")
    label = t(f"alerts.event.{action}", lang) if action in EVENT_NAMES else action
    to_state = event.get("to_state")
    extra = (
        f" → {t(f'alert_state.{to_state}', lang)}" if to_state in STATE_COLOUR and action != "update" else ""
    )
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    if detail.get("case_id"):
        extra += " · " + t("alerts.case_link", lang, case=detail["case_id"])
    note = event.get("note")
    return html.Li(
        [
            html.Div([html.Strong(label), html.Span(extra)]),
            html.Div(
                [format_time(event.get("at"), zone), " · ", str(event.get("actor") or "—")],
                className="text-body-secondary small",
            ),
            html.Div(str(note), className="os-case-note") if note else None,
        ],
        className="os-alert-event",
    )


EVENT_NAMES = (
    "raise",
    "update",
    "acknowledge",
    "assign",
    "escalate",
    "resolve",
    "close",
    "open_case",
    "clear",
)


def history_figure(history: History, zone: ZoneInfo, lang: str, raised_at: datetime) -> go.Figure:
    """The readings as a line (SVG), the threshold as a dashed line, the raising as a marker."""
    xs = [at.astimezone(zone) for at, _value, _hourly in history.points]
    ys = [value for _at, value, _hourly in history.points]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", name=t("alerts.chart.readings", lang),
                               line={"width": 2, "color": "#36a3ff"}))  # fmt: skip
    if history.threshold is not None:
        fig.add_hline(y=history.threshold, line={"dash": "dash", "color": "#ef6b73", "width": 2})
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=t("alerts.chart.threshold", lang),
                                 line={"dash": "dash", "color": "#ef6b73"}))  # fmt: skip
    fig.add_vline(x=raised_at.astimezone(zone), line={"dash": "dot", "color": "#f5b942", "width": 1})
    _style(fig)
    fig.update_layout(height=220, showlegend=True)
    return fig


def _history(history: History | None, zone: ZoneInfo, lang: str, alert: dict[str, Any]) -> Any:
    if history is None or not history.points:
        return html.P(t("alerts.chart.none", lang), className="text-body-secondary small")
    config = {"displaylogo": False, "displayModeBar": False, "responsive": True}
    figure = history_figure(history, zone, lang, alert["raised_at"])
    hourly = any(h for _a, _v, h in history.points)
    note = html.P(t("alerts.chart.hourly", lang), className="text-body-secondary small") if hourly else None
    return html.Div([dcc.Graph(figure=figure, config=config, className="os-alert-chart"), note])


def _where(sensor: dict[str, Any] | None, lang: str) -> Any:
    if sensor is None:
        return html.P(t("cases.map.no_place", lang), className="text-body-secondary small")
    lon, lat = sensor.get("lon"), sensor.get("lat")
    around = surroundings(lon, lat) if lon is not None and lat is not None else None
    if around is None:
        return html.P(t("cases.map.no_place", lang), className="text-body-secondary small")
    return place_map(PLACE_MAP, float(lon), float(lat), around, lang, sensor.get("grid_cell"))  # type: ignore[arg-type]


def alert_panel(
    view: AlertView, sensor: dict[str, Any] | None, history: History | None, zone: ZoneInfo, lang: str
) -> html.Div:
    alert = view.alert
    buttons = [
        html.Button(  # html: the data-key the keyboard shortcuts look for (dbc.Button takes no data-*)
            [t(f"alert_action.{a.value}", lang), html.Kbd(KEYS[a.value], className="ms-2")]
            if a.value in KEYS
            else t(f"alert_action.{a.value}", lang),
            id={"type": ACTION_BUTTON, "action": a.value},
            type="button",
            className="btn btn-sm me-2 mb-2 " + ("btn-primary" if a.value in KEYS else "btn-outline-primary"),
            **{"data-key": KEYS.get(a.value, "")},
        )
        for a in view.actions
    ]
    case_id = alert.get("case_id")
    case = (
        html.A(
            t("alerts.case_link", lang, case=case_id),
            href=f"/cases?case={case_id}",
            className="os-alert-case",
        )
        if case_id
        else t("alerts.no_case", lang)
    )
    name_key = "name" if lang == "zh" else "name_en"
    sensor_name = (sensor or {}).get(name_key) or (sensor or {}).get("name")
    department = alert.get("department")
    facts = html.Dl(
        [
            _fact(t("alerts.col.raised_at", lang), format_time(alert.get("raised_at"), zone)),
            _fact(
                t("alerts.col.sensor", lang),
                f"{sensor_name} ({alert.get('sensor_id')})" if sensor_name else alert.get("sensor_id"),
            ),  # fmt: skip
            _fact(
                t("alerts.col.value", lang),
                f"{_number(alert.get('value'))} / {_number(alert.get('threshold'))}",
            ),
            _fact(
                t("alerts.col.department", lang), department_name(department, lang) if department else None
            ),
            _fact(t("alerts.col.owner", lang), alert.get("owner")),
            _fact(t("alerts.col.case", lang), case),
            _fact(
                t("alerts.col.cleared", lang),
                format_time(alert.get("cleared_at"), zone)
                if alert.get("cleared_at")
                else t("alerts.still_active", lang),
            ),  # fmt: skip
        ],
        className="os-case-facts",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H3(str(alert["id"]), className="os-case-id os-alert-id"),
                    severity_badge(str(alert["severity"]), lang),
                    state_badge(str(alert["state"]), lang),
                ],
                className="os-case-head os-alert-head",
            ),
            html.P(
                [html.Strong(alert_title(alert, lang)), " ", alert_message(alert, lang)],
                className="os-case-text",
            ),  # fmt: skip
            facts,
            html.Div(
                buttons or html.P(t("alerts.no_actions", lang), className="text-body-secondary small"),
                className="os-case-actions os-alert-actions",
            ),
            html.H4(t("alerts.chart.title", lang)),
            _history(history, zone, lang, alert),
            html.H4(t("cases.map.title", lang)),
            _where(sensor, lang),
            html.H4(t("cases.timeline", lang)),
            html.Ol(
                [_event(e, zone, lang) for e in reversed(view.events)],
                className="os-case-timeline os-alert-timeline",
            ),
        ],
        className="os-case-panel os-alert-panel",
    )
