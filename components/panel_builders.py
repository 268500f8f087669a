"""The Overview's panels as pieces any screen can place: the panel frame (title, source, body),
the KPI cards, the case trend, cases by domain (or by a department's case types), cases by
channel, the alert strip and the chain summary. pages/overview.py draws its page from them and
components/panels.py registers them for the wall layouts and embeds, so the figures a panel
shows are computed and drawn in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from dash import dcc, html

from components.alert_ticker import severity_counts, ticker_frame, ticker_items
from components.bar_list import bar_list
from components.chain_summary import make_chain_summary
from components.charts import bar_figure, donut_figure, shared_trend_figure
from components.kpi_card import make_kpi_card
from components.line_chart import line_chart
from components.panel_source import source_line
from components.read_at import read_at
from locales import t
from security.guard import permitted
from security.roles import Permission
from security.scope import Scope
from security.web_context import current_principal
from services.alert_desk import FeedFilter, feed, open_counts
from services.case_types import type_name
from services.context import get_services
from services.kpis import OverviewFigures
from services.reference import departments

GRAPH_CONFIG: Any = {"displaylogo": False, "responsive": True, "displayModeBar": False}
OTHER = "__other__"
TOP_TYPES = 10  # bars a panel labels legibly at 18 px; the rest are summed as one


def graph(figure, has_data: bool, lang: str):
    if not has_data:
        return html.Div([html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty")
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="os-graph")


def panel(title: str, body, source, extra_class: str = "") -> html.Section:
    return html.Section(
        [
            html.Header(
                [html.H2(title), html.Span(source, className="os-panel-source")], className="os-panel-head"
            ),
            body,
        ],
        className=f"os-panel {extra_class}",
    )


def department_name(scope: Scope, lang: str) -> str | None:
    if scope.whole_park:
        return None
    names = {d["id"]: d["name"] if lang == "zh" else d["name_en"] for d in departments()}
    return names.get(scope.department or "", scope.department)


def top(counts: pd.Series) -> pd.Series:
    """The largest TOP_TYPES counts, and the others together as one bar below them (in
    bar_figure's order: bottom first)."""
    ordered = counts.sort_values()
    if len(counts) <= TOP_TYPES + 1:
        return ordered
    rest = pd.Series({OTHER: int(ordered.iloc[:-TOP_TYPES].sum())})
    return pd.concat([rest, ordered.iloc[-TOP_TYPES:]])


def kpi_cards(
    figures: OverviewFigures, lang: str, scope: Scope, late: timedelta, only=None, targets: bool = False
) -> list:
    """The KPI cards of `figures` whose id `only` accepts (None: all of them); `targets`: each
    with its target and whether it is met."""
    services = get_services()
    scope_name = department_name(scope, lang)
    return [
        make_kpi_card(
            f,
            lang,
            services.settings.zone,
            services.sources.title(f.source, lang) if f.source else t("panel.no_source", lang),
            late,
            scope_name,
            show_target=targets,
        )
        for f in figures.kpis
        if only is None or only(f.spec.id)
    ]


def cases_source(figures: OverviewFigures, lang: str, late: timedelta) -> list:
    """The case panels' source line: where the cases come from and when they were read."""
    services = get_services()
    cases_from = services.sources.source_of("cases")
    source = [services.sources.title(cases_from, lang), html.Span(" · ")] if cases_from else []
    if cases_from:
        source.append(read_at(figures.cases_fetched_at, False, lang, services.settings.zone, late))
    return source


def trend_panel(
    figures: OverviewFigures, lang: str, source: list, extra_class: str = "", *, lines: bool = False
) -> html.Section:
    """Cases reported and closed a day: a Plotly chart on a desk; `lines` on a wall, SVG lines
    drawn with the layout (components/line_chart.py)."""
    trend = figures.trend
    names = {"reported": t("overview.reported", lang), "closed": t("overview.closed", lang)}
    partial = t("overview.today_so_far", lang)
    has_data = bool(trend.to_numpy().sum())
    if lines:
        body = line_chart(trend, names, partial) if has_data else graph(None, False, lang)
    else:
        body = graph(shared_trend_figure(trend, names, partial), has_data, lang)
    return panel(t("overview.trend", lang), body, source, extra_class)


def kinds_panel(
    figures: OverviewFigures, lang: str, scope: Scope, source: list, *, bars: bool = False
) -> html.Section:
    """Cases by domain; for a department working one domain, by its case types. `bars`: HTML
    bars for a wall (components/bar_list.py), else a Plotly chart."""
    if figures.by_type is not None:
        kinds = top(figures.by_type)
        title = t("overview.by_type", lang, department=department_name(scope, lang))
        labels = {k: type_name(k, lang) for k in kinds.index} | {OTHER: t("overview.other_types", lang)}
    else:
        kinds, title = figures.by_domain, t("overview.by_domain", lang)
        labels = {d: t(f"domain.{d}", lang) for d in kinds.index}
    sort = figures.by_type is None
    if bars:
        body = _wall_bars(kinds, labels, lang, sort=sort)
    else:
        body = graph(bar_figure(kinds, labels, sort=sort), not kinds.empty, lang)
    return panel(title, body, source)


def channel_panel(figures: OverviewFigures, lang: str, source: list, *, bars: bool = False) -> html.Section:
    """Cases by channel: a donut on a desk; `bars` on a wall, where a donut's legend needs more
    room than a small cell has (it scrolled) and bars name each channel beside its figure
    (HTML bars, components/bar_list.py)."""
    channels = figures.by_channel
    labels = {c: t(f"channel.{c}", lang) for c in channels.index}
    if bars:
        body = _wall_bars(channels, labels, lang)
    else:
        body = graph(donut_figure(channels, labels), not channels.empty, lang)
    return panel(t("overview.by_channel", lang), body, source)


def _wall_bars(counts, labels: dict[str, str], lang: str, *, sort: bool = True):
    if counts.empty:
        return graph(None, False, lang)  # the panel's "no data" line
    return bar_list(counts, labels, sort=sort)


def chain_summary_panel(lang: str, scope: Scope, late: timedelta) -> html.Section:
    zone = get_services().settings.zone
    chains = make_chain_summary(lang, zone, late, department_view=not scope.whole_park)
    return panel(chains.title, chains.body, chains.source, "os-chain-summary")


def alert_strip(lang: str, scope: Scope, late: timedelta | None = None) -> html.Div:
    """The alert strip: the open alerts by severity, and the ticker for a principal who may read
    alerts (components/alert_ticker.py says why a screens viewer gets none). `late`: a wall's
    strip, redrawn whole on each tick, names its source and when it was read (late after that)."""
    counts = severity_counts(open_counts(scope), lang)
    source = source_line(("alerts",), datetime.now(UTC), False, lang, late) if late is not None else None
    if not permitted(current_principal(), Permission.READ_RECORDS):
        return ticker_frame(lang, counts, None, source)
    rows, _total = feed(scope, FeedFilter())
    return ticker_frame(lang, counts, ticker_items(rows, lang, get_services().settings.zone), source)
