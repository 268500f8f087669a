"""The panels an embed token may name, their parameters, and how each is drawn alone. A panel
is drawn from the token's parameters only (never from anything the browser sends), so an
embedded panel cannot be turned to data its token does not name. Graphs have no mode bar
(no download) and no links (no drill-down out of the panel)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dash import dcc, html

from components.charts import bar_figure, donut_figure, trend_figure
from components.read_at import read_at
from locales import LANGUAGES, t
from security.embed_tokens import EmbedTokenError
from security.scope import Scope
from services.case_types import type_name
from services.context import get_services
from services.freshness import late_after
from services.kpis import OverviewFigures, overview_figures
from services.reference import department_ids, departments

REFRESH_MS = 60_000  # as the Overview's panels
GRAPH_CONFIG: Any = {"displaylogo": False, "responsive": True, "displayModeBar": False, "staticPlot": False}
PARAMS = ("department", "lang")  # what a token may name besides its panel


@dataclass(frozen=True)
class EmbedPanel:
    title_key: str
    draw: Callable[[OverviewFigures, str, str | None], tuple[str, Any, bool]]  # title, figure, has data


def _trend(figures: OverviewFigures, lang: str, _department: str | None) -> tuple[str, Any, bool]:
    names = {"reported": t("overview.reported", lang), "closed": t("overview.closed", lang)}
    figure = trend_figure(figures.trend, names, t("overview.today_so_far", lang))
    return t("overview.trend", lang), figure, bool(figures.trend.to_numpy().sum())


def _by_channel(figures: OverviewFigures, lang: str, _department: str | None) -> tuple[str, Any, bool]:
    channels = figures.by_channel
    labels = {c: t(f"channel.{c}", lang) for c in channels.index}
    return t("overview.by_channel", lang), donut_figure(channels, labels), not channels.empty


def _by_domain(figures: OverviewFigures, lang: str, department: str | None) -> tuple[str, Any, bool]:
    if figures.by_type is not None:  # a department working one domain: its case types
        kinds: pd.Series = figures.by_type
        title = t("overview.by_type", lang, department=_department_name(department, lang))
        labels = {k: type_name(k, lang) for k in kinds.index}
        return title, bar_figure(kinds.sort_values(), labels, sort=False), not kinds.empty
    kinds = figures.by_domain
    labels = {d: t(f"domain.{d}", lang) for d in kinds.index}
    return t("overview.by_domain", lang), bar_figure(kinds, labels), not kinds.empty


PANELS: dict[str, EmbedPanel] = {
    "case_trend": EmbedPanel("embed.panel.case_trend", _trend),
    "cases_by_channel": EmbedPanel("embed.panel.cases_by_channel", _by_channel),
    "cases_by_domain": EmbedPanel("embed.panel.cases_by_domain", _by_domain),
}


def _department_name(department: str | None, lang: str) -> str:
    names = {d["id"]: d["name"] if lang == "zh" else d["name_en"] for d in departments()}
    return names.get(department or "", department or "")


def check_params(panel: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a token for `panel` carries, normalised; EmbedTokenError names what is
    wrong (an unknown panel or parameter, an unknown department, a language not offered)."""
    if panel not in PANELS:
        raise EmbedTokenError(f"unknown panel {panel!r} (known: {', '.join(sorted(PANELS))})")
    if not isinstance(params, Mapping):
        raise EmbedTokenError("parameters are a mapping of name to value")
    unknown = sorted(str(k) for k in params if k not in PARAMS)
    if unknown:
        raise EmbedTokenError(f"unknown parameter(s) {', '.join(unknown)} (known: {', '.join(PARAMS)})")
    lang = params.get("lang") or "zh"
    if lang not in LANGUAGES:
        raise EmbedTokenError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    department = params.get("department") or None
    if department is not None and (not isinstance(department, str) or department not in department_ids()):
        raise EmbedTokenError(f"unknown department {department!r}")
    return {"department": department, "lang": lang}


def _data_panel(panel: str) -> dict[str, Any]:
    return {"data-panel": panel}


def draw(panel: str, params: Mapping[str, Any]) -> html.Section:
    """The panel alone, as its token names it."""
    lang = params["lang"]
    department = params.get("department")
    figures = overview_figures(Scope(department))
    title, figure, has_data = PANELS[panel].draw(figures, lang, department)
    if department:
        title = f"{title} · {_department_name(department, lang)}"
    services = get_services()
    cases_from = services.sources.source_of("cases")
    source: list = []
    if cases_from:
        late = late_after(services.settings, REFRESH_MS / 1000)
        source = [services.sources.title(cases_from, lang), html.Span(" · ")]
        source.append(read_at(figures.cases_fetched_at, False, lang, services.settings.zone, late))
    body: Any = (
        dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="os-graph")
        if has_data
        else html.Div([html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty")
    )
    return html.Section(
        [
            html.Header(
                [html.H2(title), html.Span(source, className="os-panel-source")], className="os-panel-head"
            ),
            body,
        ],
        className="os-panel os-embed-panel",
        **_data_panel(panel),
    )
