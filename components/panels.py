"""The panel registry: every panel a screen layout (config/screens.yaml, pages/wall.py) or an
embed may place, by id. A panel draws itself from its parameters, the language and the scope the
principal may see (`build`); `refresh_inputs` names the dcc.Interval ids (REFRESH_INTERVALS) whose
ticks redraw it, so a page placing panels includes those intervals (`refresh_intervals()`) and
rebuilds a panel when one of its intervals ticks. Parameters are checked when the layout file is
read (domain/screens.py), against `params` here: a panel takes no other keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dash_cytoscape as cyto
from dash import dcc, html

from components import panel_builders as pb
from components.chain_graph import COMPACT, elements, legend, stylesheet
from components.chain_words import name_of
from components.panel_decisions import decisions_panel
from components.panel_map import map_panel
from components.panel_sensors import sensors_panel
from locales import t
from security.scope import Scope
from services.chains import chain_view
from services.context import get_services
from services.freshness import late_after
from services.kpis import overview_figures

# The panels' refresh clocks: the figures every minute (the Overview's REFRESH_MS), the live
# counts (sensors reporting, open alerts) every 10 s (the Overview's LIVE_MS).
SLOW = "panel-tick"
LIVE = "panel-live-tick"
REFRESH_INTERVALS: dict[str, int] = {SLOW: 60_000, LIVE: 10_000}

Builder = Callable[[Mapping[str, Any], str, Scope], Any]


@dataclass(frozen=True)
class Panel:
    id: str
    title_key: str  # the panel's name in the catalogue (the layout preview and embeds list it)
    build: Builder
    refresh_inputs: tuple[str, ...] = (SLOW,)
    # parameter name -> the type its value must have (checked by domain/screens.parse_layouts)
    params: Mapping[str, type] = field(default_factory=dict)
    single: bool = False  # holds fixed ids (the alert strip's): at most once on a screen


def refresh_intervals(speed: int = 1) -> list[dcc.Interval]:
    """The refresh clocks, each `speed` times as fast (a wall's `?speed=`, domain/screens.py)."""
    return [dcc.Interval(id=key, interval=ms // speed) for key, ms in REFRESH_INTERVALS.items()]


def _late(interval: str):
    return late_after(get_services().settings, REFRESH_INTERVALS[interval] / 1000)


def _kpi_cards(params: Mapping[str, Any], lang: str, scope: Scope) -> html.Div:
    wanted = params.get("kpis")
    figures = overview_figures(scope)
    only = None if not wanted else wanted.__contains__
    cards = pb.kpi_cards(figures, lang, scope, _late(LIVE), only, targets=bool(params.get("targets")))
    return html.Div(cards, className="os-kpi-row os-wall-kpis")


def _trend(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    figures = overview_figures(scope)
    return pb.trend_panel(figures, lang, pb.cases_source(figures, lang, _late(SLOW)), lines=True)


def _by_domain(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    figures = overview_figures(scope)
    return pb.kinds_panel(figures, lang, scope, pb.cases_source(figures, lang, _late(SLOW)), bars=True)


def _by_channel(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    figures = overview_figures(scope)
    return pb.channel_panel(figures, lang, pb.cases_source(figures, lang, _late(SLOW)), bars=True)


def _alert_ticker(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Div:
    return pb.alert_strip(lang, scope, _late(LIVE))


def _chain_summary(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    return pb.chain_summary_panel(lang, scope, _late(SLOW))


def _chain_graph(params: Mapping[str, Any], lang: str, _scope: Scope) -> html.Section:
    """One chain's links by stage (the chains page's drawing, without its clicks: a wall is not
    worked by hand). `chain` names it; none: the park's first chain."""
    view = chain_view().value
    chains = list(dict.fromkeys(view.links["chain"])) if not view.links.empty else []
    chain = params.get("chain") or (chains[0] if chains else None)
    if chain is None or chain not in chains:
        body: Any = html.Div(t("panels.no_chain", lang, chain=chain or "-"), className="os-empty")
        return pb.panel(t("panels.chain_graph", lang), body, [])
    links = view.links[view.links["chain"] == chain]
    name = name_of(links.iloc[0].to_dict(), lang, "chain_name")
    graph = cyto.Cytoscape(
        id=f"panel-chain-graph-{chain}",
        elements=elements(links, lang, drawing=COMPACT),
        layout={"name": "preset", "fit": True, "padding": 8},
        stylesheet=stylesheet("wall", COMPACT),
        style={"width": "100%", "height": "100%"},
        userZoomingEnabled=False,
        userPanningEnabled=False,
        autoungrabify=True,
        autounselectify=True,
        # no resize listener: the wall's canvas has a fixed size (it is scaled, not resized),
        # and a listener left by a graph the preview replaced threw in the console
        responsive=False,
        className="os-panel-chain-graph",
    )
    body = html.Div(
        [
            html.Div(graph, className="os-panel-graph-box"),
            html.Div(legend(lang), className="os-panel-legend"),
        ],
        className="os-panel-fill",
    )
    return pb.panel(t("panels.chain_graph_of", lang, chain=name), body, [])


def _decisions(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    return decisions_panel(lang, scope, _late(LIVE))


def _sensors(_params: Mapping[str, Any], lang: str, scope: Scope) -> html.Section:
    return sensors_panel(lang, scope, _late(LIVE))


PANELS: dict[str, Panel] = {
    p.id: p
    for p in (
        Panel("kpi_cards", "panels.kpi_cards", _kpi_cards, (SLOW, LIVE), {"kpis": list, "targets": bool}),
        Panel("case_trend", "overview.trend", _trend),
        Panel("cases_by_domain", "panels.cases_by_domain", _by_domain),
        Panel("cases_by_channel", "overview.by_channel", _by_channel),
        Panel("alert_ticker", "ticker.label", _alert_ticker, (LIVE,), single=True),
        Panel("chain_summary", "chain_summary.title", _chain_summary),
        Panel("chain_graph", "panels.chain_graph", _chain_graph, (SLOW,), {"chain": str}),
        # one per screen: its ids are fixed (a map of its own, apart from the map page's)
        # never rebuilt by a refresh: its layers are read anew on SLOW (pages/wall_map.py)
        Panel("map", "nav.map", map_panel, (), {"layers": list, "zoom": int}, single=True),
        # the leaders' screen: alerts waiting and sensors going quiet change by the minute
        Panel("decisions", "decisions.title", _decisions, (LIVE,)),
        Panel("sensor_network", "sensors.title", _sensors, (LIVE,)),
    )
}


def panel_params() -> dict[str, Mapping[str, type]]:
    """What domain/screens.parse_layouts checks a layout against: each panel's parameters."""
    return {key: panel.params for key, panel in PANELS.items()}
