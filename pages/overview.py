"""Overview (运行总览): the park at a glance — KPI cards, the 30-day case trend, cases by
domain and by channel, the industry chains — every figure with its source and freshness."""

from __future__ import annotations

from urllib.parse import quote

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components.alert_ticker import COUNTS, TICKER, severity_counts, ticker_frame, ticker_items
from components.chain_summary import make_chain_summary
from components.charts import bar_figure, donut_figure, trend_figure
from components.kpi_card import make_kpi_card
from components.read_at import read_at
from locales import normalise, t
from security.guard import permitted, requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.alert_desk import FeedFilter, feed, open_counts
from services.case_types import type_name
from services.context import get_services
from services.freshness import late_after
from services.kpis import overview_figures
from services.reference import department_ids, departments

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
SCOPE = "overview-scope"
EXPORT = "overview-export"
WHOLE = "*"  # the dropdown's value for the whole park
REFRESH_MS = 60_000
# The live cards (sensors reporting, open alerts by severity) and the ticker read again on each
# batch of the live store (`live-alerts`, copied to LIVE by assets/50-alerts.js) and every
# LIVE_MS: a viewer has no stream, and "sensors reporting" changes with no alert at all.
LIVE = "overview-live"
LIVE_TICK = "overview-live-tick"
LIVE_CARDS = "overview-live-cards"
LIVE_MS = 10_000
LIVE_KPIS = ("sensors_reporting",)
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}


def _graph(figure, has_data: bool, lang: str):
    if not has_data:
        return html.Div([html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty")
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="os-graph")


def _panel(title: str, body, source, extra_class: str = "") -> html.Section:
    return html.Section(
        [
            html.Header(
                [html.H2(title), html.Span(source, className="os-panel-source")], className="os-panel-head"
            ),
            body,
        ],
        className=f"os-panel {extra_class}",
    )


def _department_name(scope: Scope, lang: str) -> str | None:
    if scope.whole_park:
        return None
    names = {d["id"]: d["name"] if lang == "zh" else d["name_en"] for d in departments()}
    return names.get(scope.department, scope.department)


OTHER = "__other__"
TOP_TYPES = 10  # bars a panel labels legibly at 18 px; the rest are summed as one


def _top(counts: pd.Series) -> pd.Series:
    """The largest TOP_TYPES counts, and the others together as one bar below them (in
    bar_figure's order: bottom first)."""
    ordered = counts.sort_values()
    if len(counts) <= TOP_TYPES + 1:
        return ordered
    rest = pd.Series({OTHER: int(ordered.iloc[:-TOP_TYPES].sum())})
    return pd.concat([rest, ordered.iloc[-TOP_TYPES:]])


def make_body(lang: str, scope: Scope) -> list:
    services = get_services()
    figures = overview_figures(scope)
    zone = services.settings.zone
    sources = services.sources
    late = late_after(services.settings, REFRESH_MS / 1000)
    scope_name = _department_name(scope, lang)
    cards = [
        make_kpi_card(
            f,
            lang,
            zone,
            sources.title(f.source, lang) if f.source else t("panel.no_source", lang),
            late,
            scope_name,
        )
        for f in figures.kpis
        if f.spec.id not in LIVE_KPIS
    ]
    cards.append(html.Div(live_cards(lang, scope), id=LIVE_CARDS, className="os-kpi-live"))
    cases_from = sources.source_of("cases")
    cases_source = [sources.title(cases_from, lang), html.Span(" · ")] if cases_from else []
    if cases_from:
        cases_source.append(read_at(figures.cases_fetched_at, False, lang, zone, late))
    trend = figures.trend
    names = {"reported": t("overview.reported", lang), "closed": t("overview.closed", lang)}
    channels = figures.by_channel
    channel_labels = {c: t(f"channel.{c}", lang) for c in channels.index}
    if figures.by_type is not None:  # a department working one domain: its case types
        kinds, kinds_title = _top(figures.by_type), t("overview.by_type", lang, department=scope_name)
        kind_labels = {k: type_name(k, lang) for k in kinds.index} | {OTHER: t("overview.other_types", lang)}
    else:
        kinds, kinds_title = figures.by_domain, t("overview.by_domain", lang)
        kind_labels = {d: t(f"domain.{d}", lang) for d in kinds.index}
    chains = make_chain_summary(lang, zone, late, department_view=not scope.whole_park)
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
                _panel(chains.title, chains.body, chains.source, "os-chain-summary"),
                _panel(
                    kinds_title,
                    _graph(
                        bar_figure(kinds, kind_labels, sort=figures.by_type is None), not kinds.empty, lang
                    ),
                    cases_source,
                ),
                _panel(
                    t("overview.by_channel", lang),
                    _graph(donut_figure(channels, channel_labels), not channels.empty, lang),
                    cases_source,
                ),
            ],
            className="os-panel-grid os-with-chains",
        ),
    ]


def live_cards(lang: str, scope: Scope) -> list:
    """The cards that follow the live store: the live KPIs (config/kpis.yaml)."""
    services = get_services()
    late = late_after(services.settings, LIVE_MS / 1000)
    scope_name = _department_name(scope, lang)
    cards = [
        make_kpi_card(
            f,
            lang,
            services.settings.zone,
            services.sources.title(f.source, lang) if f.source else t("panel.no_source", lang),
            late,
            scope_name,
        )  # fmt: skip
        for f in overview_figures(scope).kpis
        if f.spec.id in LIVE_KPIS
    ]
    return cards


def _ticker(lang: str, scope: Scope) -> html.Div:
    """The wall's alert strip: the open alerts by severity, and the ticker for a principal who
    may read alerts (components/alert_ticker.py says why a screens viewer gets none)."""
    counts = severity_counts(open_counts(scope), lang)
    if not permitted(current_principal(), Permission.READ_RECORDS):
        return ticker_frame(lang, counts, None)
    rows, _total = feed(scope, FeedFilter())
    return ticker_frame(lang, counts, ticker_items(rows, lang, get_services().settings.zone))


def _scope(department: object) -> Scope:
    """The scope the principal asked for; a department head naming another department (in the
    URL or a tampered callback) gets 403 and an audit row (security.scope)."""
    requested = None if department == WHOLE else department
    return resolve_scope(current_principal(), requested, what="overview", known=department_ids)


def _scope_options(lang: str) -> list[dict]:
    own = current_principal().scoped_department
    options = [] if own else [{"label": t("overview.whole_park", lang), "value": WHOLE}]
    options += [
        {"label": d["name"] if lang == "zh" else d["name_en"], "value": d["id"]}
        for d in departments()
        if own is None or d["id"] == own
    ]
    return options


# The export holds the cases behind the charts: the scope shown, reported in the charts' window
# (services.kpis.overview_figures: 30 days), every one of them, streamed from the store.
EXPORT_DAYS = 30


def _export_href(scope: Scope) -> str:
    department = f"&department={quote(scope.department)}" if scope.department else ""
    return f"/api/v1/cases/export.csv?days={EXPORT_DAYS}{department}"


def _toolbar(lang: str, scope: Scope) -> html.Div:
    principal = current_principal()
    items = [
        html.Label(t("overview.scope", lang), htmlFor=SCOPE, className="os-toolbar-label"),
        dcc.Dropdown(
            id=SCOPE,
            options=_scope_options(lang),
            value=scope.department or WHOLE,
            clearable=False,
            searchable=False,
            disabled=principal.scoped_department is not None,  # the server refuses others anyway
            className="os-scope-select",
        ),
    ]
    if principal.can(Permission.EXPORT):
        items.append(
            html.A(
                [html.I(className="bi bi-download me-1"), t("overview.export_cases", lang, days=EXPORT_DAYS)],
                id=EXPORT,
                href=_export_href(scope),
                title=t("overview.export_title", lang, days=EXPORT_DAYS),
                className="btn btn-sm btn-outline-secondary",
                download="",
            )
        )
    return html.Div(items, className="os-toolbar")


def layout(lang: str = "zh", department: object = None, **_query) -> html.Div:
    lang = normalise(lang)
    scope = _scope(department)
    return html.Div(
        [
            _toolbar(lang, scope),
            _ticker(lang, scope),
            html.Div(make_body(lang, scope), id=BODY, className="os-page-body"),
            dcc.Interval(id=TICK, interval=REFRESH_MS),
            dcc.Interval(id=LIVE_TICK, interval=LIVE_MS),
            dcc.Store(id=LIVE),
        ],
        className="os-page os-overview",
    )


@callback(
    Output(BODY, "children"),
    Input(TICK, "n_intervals"),
    Input(SCOPE, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def update_body(_tick: int, department: object, lang: str):
    return make_body(normalise(lang), _scope(department))


@callback(Output(EXPORT, "href"), Input(SCOPE, "value"), prevent_initial_call=True)
@requires(Permission.EXPORT)
def update_export(department: object):
    return _export_href(_scope(department))


# A batch of live messages becomes one re-read of the live panels (no server round trip per
# message; a viewer's page has no live store, and this never fires for it).
clientside_callback(
    ClientsideFunction(namespace="alerts", function_name="seqOf"),
    Output(LIVE, "data"),
    Input("live-alerts", "data"),
    prevent_initial_call=True,
)


@callback(
    Output(LIVE_CARDS, "children"),
    Output(COUNTS, "children"),
    Input(LIVE, "data"),
    Input(LIVE_TICK, "n_intervals"),
    State(SCOPE, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def update_live_cards(_live: object, _tick: int, department: object, lang: str):
    lang, scope = normalise(lang), _scope(department)
    return live_cards(lang, scope), severity_counts(open_counts(scope), lang)


@callback(
    Output(TICKER, "children"),
    Input(LIVE, "data"),
    Input(LIVE_TICK, "n_intervals"),
    State(SCOPE, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def update_ticker(_live: object, _tick: int, department: object, lang: str):
    rows, _total = feed(_scope(department), FeedFilter())
    return ticker_items(rows, normalise(lang), get_services().settings.zone)
