"""Overview (运行总览): the park at a glance — KPI cards, the 30-day case trend, cases by
domain and by channel, the industry chains — every figure with its source and freshness."""

from __future__ import annotations

from urllib.parse import quote

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import panel_builders as pb
from components.alert_ticker import COUNTS, TICKER, severity_counts, ticker_items
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.alert_desk import FeedFilter, feed, open_counts
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


def make_body(lang: str, scope: Scope) -> list:
    figures = overview_figures(scope)
    late = late_after(get_services().settings, REFRESH_MS / 1000)
    cards = pb.kpi_cards(figures, lang, scope, late, only=lambda kpi: kpi not in LIVE_KPIS)
    cards.append(html.Div(live_cards(lang, scope), id=LIVE_CARDS, className="os-kpi-live"))
    source = pb.cases_source(figures, lang, late)
    return [
        html.Div(cards, className="os-kpi-row"),
        html.Div(
            [
                pb.trend_panel(figures, lang, source, "os-span-2"),
                pb.chain_summary_panel(lang, scope, late),
                pb.kinds_panel(figures, lang, scope, source),
                pb.channel_panel(figures, lang, source),
            ],
            className="os-panel-grid os-with-chains",
        ),
    ]


def live_cards(lang: str, scope: Scope) -> list:
    """The cards that follow the live store: the live KPIs (config/kpis.yaml)."""
    late = late_after(get_services().settings, LIVE_MS / 1000)
    return pb.kpi_cards(overview_figures(scope), lang, scope, late, only=lambda kpi: kpi in LIVE_KPIS)


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
            pb.alert_strip(lang, scope),
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
