"""Audit log (审计日志): who did what, when, to what and from where — sign-ins, changes of
cases and alerts, exports, tokens, users and roles. Filtered by action, outcome, actor,
target and park-local days; the newest 1,000 entries are listed, and the filtered log can be
downloaded as CSV (the download is audited too)."""

from __future__ import annotations

from datetime import datetime

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import has_request_context

from components.admin_audit import FilterError, csv_export, grid_rows, parse_filter
from components.admin_common import (
    DATE_PICKER_CODE,
    DROPDOWN_CODE,
    GRID_CODE,
    column,
    dropdown_labels,
    grid,
    load_with_the_app,
    panel,
    success,
    warning,
)
from components.economy_nav import admin_tabs
from locales import normalise, t
from security import audit
from security.audit import ACTIONS, OUTCOMES, AuditFilter
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request
from services import audit_log
from services.context import get_services
from services.export import export_detail
from services.reference import department_name

dash.register_page(
    __name__,
    path="/admin/audit",
    name="Audit log",
    title="OneScreen",
    order=95,
    nav_group="/admin",  # one entry in the shell: the admin tabs (components/economy_nav.py)
    title_key="nav.audit",
    icon="bi-journal-text",
    permission=Permission.READ_AUDIT,
)
load_with_the_app(DROPDOWN_CODE, DATE_PICKER_CODE, GRID_CODE)  # drawn with the layout (admin_common)

NOTICE = "audit-notice"
ACTION = "audit-action"
OUTCOME = "audit-outcome"
ACTOR = "audit-actor"
TARGET = "audit-target"
DATES = "audit-dates"
REFRESH = "audit-refresh"
EXPORT = "audit-export"
DOWNLOAD = "audit-download"
SUMMARY = "audit-summary"
GRID = "audit-grid"
SHOWN = 1_000
FILTERS = [
    State(ACTION, "value"),
    State(OUTCOME, "value"),
    State(ACTOR, "value"),
    State(TARGET, "value"),
    State(DATES, "start_date"),
    State(DATES, "end_date"),
]


def _columns(lang: str) -> list[dict]:
    def head(name: str) -> str:
        return t(f"audit.col.{name}", lang)

    outcome_rules = {f"os-outcome-{o}": f"params.data.outcome_code == '{o}'" for o in OUTCOMES}
    # a text longer than its column wraps and the row grows (assets/40-audit.css), so no cell
    # hides part of what happened: the detail's fields, a long target or actor, an IPv6 address
    wraps = {"wrapText": True, "autoHeight": True}
    return [
        column("time", head("time"), width=170, minWidth=160),
        column("actor", head("actor"), width=150, **wraps),
        column("action", head("action"), width=200, **wraps),
        column("outcome", head("outcome"), width=100, cellClass="os-outcome", cellClassRules=outcome_rules),
        column("target", head("target"), width=220, **wraps),
        column("ip", head("ip"), width=130, **wraps),
        column("detail", head("detail"), flex=1, minWidth=240, **wraps),
    ]


def _summary(shown: int, total: int, lang: str) -> str:
    return t("audit.showing", lang, shown=f"{shown:,}", total=f"{total:,}")


def _entries(filters: AuditFilter, lang: str) -> tuple[list[dict], str]:
    services = get_services()
    entries = audit.query(services.engine, filters, limit=SHOWN)
    total = audit.count(services.engine, filters)
    rows = grid_rows(entries, lang, services.settings.zone, lambda d: department_name(d, lang))
    return rows, _summary(len(entries), total, lang)


def _filter_bar(lang: str) -> html.Div:
    labels = dropdown_labels(lang)
    return html.Div(
        [
            dcc.Dropdown(
                id=ACTION,
                options=[{"label": t(f"audit.action.{a}", lang), "value": a} for a in ACTIONS],
                value=[],
                multi=True,
                placeholder=t("audit.filter.action", lang),
                labels=labels,
                className="os-filter-action",
            ),
            dcc.Dropdown(
                id=OUTCOME,
                options=[{"label": t(f"audit.outcome.{o}", lang), "value": o} for o in OUTCOMES],
                value=None,
                placeholder=t("audit.filter.outcome", lang),
                labels=labels,
                searchable=False,
                className="os-filter-outcome",
            ),
            dbc.Input(
                id=ACTOR, placeholder=t("audit.filter.actor", lang), debounce=True, size="sm", maxlength=100
            ),
            dbc.Input(
                id=TARGET, placeholder=t("audit.filter.target", lang), debounce=True, size="sm", maxlength=200
            ),
            dcc.DatePickerRange(
                id=DATES,
                start_date_placeholder_text=t("audit.filter.from", lang),
                end_date_placeholder_text=t("audit.filter.to", lang),
                display_format="YYYY-MM-DD",
                first_day_of_week=1,
                clearable=True,
                className="os-filter-dates",
            ),
            dbc.Button(
                [html.I(className="bi bi-arrow-repeat me-1"), t("audit.refresh", lang)],
                id=REFRESH,
                size="sm",
                color="secondary",
                outline=True,
            ),
            dbc.Button(
                [html.I(className="bi bi-download me-1"), t("audit.export", lang)],
                id=EXPORT,
                size="sm",
                color="primary",
            ),
            dcc.Download(id=DOWNLOAD),
        ],
        className="os-filter-bar",
    )


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    rows, summary = _entries(AuditFilter(), lang) if has_request_context() else ([], "")
    table = html.Div(grid(GRID, _columns(lang), rows, lang), className="os-grid-box")
    return html.Div(
        [
            admin_tabs("/admin/audit", lang),
            html.Div(id=NOTICE, className="os-notice"),
            _filter_bar(lang),
            panel(
                t("audit.title", lang),
                table,
                aside=html.Span(summary, id=SUMMARY, className="os-panel-source"),
                extra_class="os-grow",
            ),
        ],
        className="os-page os-admin os-admin-audit",
    )


@callback(
    Output(GRID, "rowData"),
    Output(SUMMARY, "children"),
    Output(NOTICE, "children"),
    Input(ACTION, "value"),
    Input(OUTCOME, "value"),
    Input(ACTOR, "value"),
    Input(TARGET, "value"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(REFRESH, "n_clicks"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_AUDIT)
def on_filter(actions, outcome, actor, target, start, end, _refresh, lang):
    """List the entries the filter matches. The values come from the browser and may be
    anything: one the controls cannot send gets a message, and the table stays as it was."""
    lang = normalise(lang)
    try:
        filters = parse_filter(actions, outcome, actor, target, start, end, get_services().settings.zone)
    except FilterError as problem:
        return no_update, no_update, warning(problem.message(lang))
    rows, summary = _entries(filters, lang)
    return rows, summary, None


@callback(
    Output(DOWNLOAD, "data"),
    Output(NOTICE, "children", allow_duplicate=True),
    Input(EXPORT, "n_clicks"),
    *FILTERS,
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_AUDIT)
def on_export(clicks, actions, outcome, actor, target, start, end, lang):
    """Download the filtered log as CSV (at most services.audit_log.EXPORT_CAP entries, the API's
    cap: a wider range is exported in parts, the notice says so) and record the download in
    the log itself, with the same detail as the API's download."""
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update
    services = get_services()
    zone = services.settings.zone
    try:
        filters = parse_filter(actions, outcome, actor, target, start, end, zone)
    except FilterError as problem:
        return no_update, warning(problem.message(lang))
    entries, total = audit_log.for_export(services.engine, filters)
    audit_request(
        "export", target="audit", detail=export_detail(len(entries), total, audit_log.summary(filters))
    )
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M%S")
    download = dcc.send_string(
        csv_export(entries, lang, zone), f"audit-{stamp}.csv", type="text/csv;charset=utf-8"
    )
    message = t("audit.exported", lang, rows=f"{len(entries):,}")
    if total > len(entries):
        message += " " + t("audit.export_capped", lang, total=f"{total:,}")
    return download, success(message)
