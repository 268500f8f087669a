"""The sensor network's state as a wall panel: for each kind of sensor the park runs, how many
are online, late (a reading missed) or silent (domain/sensor_states.py), a bar of the three
shares and the park's total; its source line names the sensors' source and when it was read."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from dash import html

from components import panel_builders as pb
from components.panel_source import source_line
from domain.sensor_states import STATES
from locales import t
from security.scope import Scope
from services.sensor_states import sensor_states


def _bar(counts: Counter) -> html.Span:
    total = sum(counts.values()) or 1
    return html.Span(
        [
            html.Span(className=f"os-sn-seg os-sn-{s}", style={"width": f"{100 * counts[s] / total:.2f}%"})
            for s in STATES
            if counts[s]
        ],
        className="os-sn-bar",
    )


def _row(name: str, counts: Counter, extra: str = "") -> html.Div:
    numbers = [
        html.Span(f"{counts[s]:,}", className=f"os-num os-sn-{s}-text" + ("" if counts[s] else " os-sn-zero"))
        for s in STATES
    ]
    return html.Div(
        [html.Span(name, className="os-sn-name"), _bar(counts), *numbers], className=f"os-sn-row {extra}"
    )


def _head(lang: str) -> html.Div:
    names = [
        html.Span(
            [html.I(className=f"os-sn-dot os-sn-{s}"), t(f"sensors.state.{s}", lang)], className="os-num"
        )
        for s in STATES
    ]
    return html.Div(
        [html.Span(t("sensors.kind", lang)), html.Span(), *names], className="os-sn-row os-sn-head"
    )


def sensors_panel(lang: str, scope: Scope, late: timedelta) -> html.Section:
    states = sensor_states(scope)
    source = source_line(("sensors", "readings"), states.read_at, states.stale, lang, late)
    if not states.by_kind:
        body: Any = html.Div(
            [html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty"
        )
        return pb.panel(t("sensors.title", lang), body, source, "os-sensors-panel")
    total: Counter = Counter()
    rows = []
    for kind, counts in states.by_kind.items():
        total.update(counts)
        rows.append(_row(t(f"sensor_kind.{kind}", lang), counts))
    rows.append(_row(t("sensors.total", lang), total, "os-sn-total"))
    body = html.Div([_head(lang), *rows], className="os-sn-table")
    return pb.panel(t("sensors.title", lang), body, source, "os-sensors-panel")
