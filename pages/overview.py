"""Overview (运行总览): the park at a glance — KPI cards, the 30-day case trend, cases by
domain and by channel — every figure with its source and freshness."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from components.charts import bar_figure, donut_figure, trend_figure
from components.kpi_card import make_kpi_card
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from services.context import get_services
from services.kpis import overview_figures

dash.register_page(
    __name__,
    path="/",
    name="Overview",
    title="OneScreen",
    order=0,
    title_key="nav.overview",
    icon="bi-speedometer2",
    permission=Permission.VIEW_SCREENS,
)

BODY = "overview-body"
TICK = "overview-tick"
REFRESH_MS = 60_000
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def _graph(figure, has_data: bool, lang: str):
    if not has_data:
        return html.Div([html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty")
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="os-graph")


def _panel(title: str, body, source: str, extra_class: str = "") -> html.Section:
    return html.Section(
        [
            html.Header(
                [html.H2(title), html.Span(source, className="os-panel-source")], className="os-panel-head"
            ),
            body,
        ],
        className=f"os-panel {extra_class}",
    )


def make_body(lang: str) -> list:
    services = get_services()
    figures = overview_figures()
    zone = services.settings.zone
    sources = services.sources
    cards = [
        make_kpi_card(
            f, lang, zone, sources.title(f.source, lang) if f.source else t("panel.no_source", lang)
        )
        for f in figures.kpis
    ]
    cases_source = sources.title(sources.source_of("cases"), lang) if sources.source_of("cases") else ""
    trend = figures.trend
    names = {"reported": t("overview.reported", lang), "closed": t("overview.closed", lang)}
    domains = figures.by_domain
    channels = figures.by_channel
    domain_labels = {d: t(f"domain.{d}", lang) for d in domains.index}
    channel_labels = {c: t(f"channel.{c}", lang) for c in channels.index}
    return [
        html.Div(cards, className="os-kpi-row"),
        html.Div(
            [
                _panel(
                    t("overview.trend", lang),
                    _graph(
                        trend_figure(trend, names, t("overview.today_so_far", lang)),
                        bool(trend.to_numpy().sum()),
                        lang,
                    ),
                    cases_source,
                    "os-span-2",
                ),
                _panel(
                    t("overview.by_domain", lang),
                    _graph(bar_figure(domains, domain_labels), not domains.empty, lang),
                    cases_source,
                ),
                _panel(
                    t("overview.by_channel", lang),
                    _graph(donut_figure(channels, channel_labels), not channels.empty, lang),
                    cases_source,
                ),
            ],
            className="os-panel-grid",
        ),
    ]


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    return html.Div(
        [
            html.Div(make_body(lang), id=BODY, className="os-page-body"),
            dcc.Interval(id=TICK, interval=REFRESH_MS),
        ],
        className="os-page os-overview",
    )


@callback(
    Output(BODY, "children"),
    Input(TICK, "n_intervals"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def update_body(_tick: int, lang: str):
    return make_body(normalise(lang))
