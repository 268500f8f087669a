"""Cases (案件): the duty officers' and department heads' desk. Every case of the scope in a grid
that reads from the store block by block (ag-grid's infinite row model over
services.case_query: a million cases scroll, sort and filter without reaching the browser),
filtered by channel, domain, type, grid cell, department, status, overdue and days, all in
the URL; a row opens the case beside the grid with its clock, timeline and the steps the
signed-in role may take, each confirmed in a dialog (pages/cases_steps.py), after which the
case and the grid show the new state at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from components import case_filters
from components.admin_common import DATE_PICKER_CODE, DROPDOWN_CODE, GRID_CODE, load_with_the_app
from components.case_hotspots import hotspot_panel
from components.case_panel import STATUS_COLOUR, case_panel
from components.case_step_form import step_dialog
from components.timefmt import format_time
from locales import normalise, t
from pages import cases_steps
from security.guard import requires
from security.roles import Permission
from security.scope import Scope
from security.web_context import current_principal
from services.case_detail import case_detail
from services.case_query import MAX_PAGE, CaseFilter, case_page
from services.case_types import type_name
from services.context import get_services
from services.reference import department_name

dash.register_page(
    __name__,
    path="/cases",
    name="Cases",
    title="OneScreen",
    order=10,
    title_key="nav.cases",
    icon="bi-list-check",
    permission=Permission.READ_RECORDS,
)
load_with_the_app(DROPDOWN_CODE, DATE_PICKER_CODE, GRID_CODE)

URL = "cases-url"
FILTER = "cases-filter"  # the filter's URL query values, as checked
NOTICE = "cases-notice"
COUNT = "cases-count"
GRID = "cases-grid"
SELECTED = "cases-selected"  # the open case's id
PANEL = "cases-panel"
CHANGED = "cases-changed"  # raised after a step: the grid reloads its blocks
EXPORT = "cases-export"
EXPORT_XLSX = "cases-export-xlsx"
PENDING = "cases-pending"  # the step the dialog asks to confirm: case, action, version
BLOCK = 100
COLUMNS = ("id", "status", "reported_at", "case_type", "channel", "department", "grid_cell", "sla_deadline",
           "address")  # fmt: skip


def _own() -> str | None:
    return current_principal().scoped_department


def _filter(query: dict[str, Any]) -> CaseFilter:
    return CaseFilter.parse(query, case_filters.known_values(_own()))


def _columns(lang: str) -> list[dict]:
    # times and ids have their own width (never cut); the texts share the rest
    fixed = {"id": 150, "status": 125, "reported_at": 150, "sla_deadline": 150, "grid_cell": 90}
    flex = {"address": 2, "case_type": 1.3, "department": 1.3, "channel": 1}
    return [
        {
            "field": c,
            "headerName": t(f"cases.col.{c}", lang),
            "sortable": c != "address",
            **({"width": fixed[c], "suppressSizeToFit": True} if c in fixed else {"flex": flex[c]}),
            "tooltipField": c if c in ("address", "case_type", "department") else None,
        }
        for c in COLUMNS
    ]


def _grid(lang: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=GRID,
        rowModelType="infinite",
        columnDefs=_columns(lang),
        defaultColDef={"resizable": True, "minWidth": 80, "cellDataType": False, "filter": False},
        dashGridOptions={
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 20,
            "infiniteInitialRowCount": BLOCK,
            "suppressCellFocus": True,
            "animateRows": False,
            "localeText": {
                "noRowsToShow": t("cases.no_rows", lang),
                "loadingOoo": t("admin.grid.loading", lang),
            },
        },
        getRowId="params.data.id",
        rowClassRules={"os-row-overdue": "params.data && params.data.overdue"},
        className="os-grid os-cases-grid",
        style={"height": "100%", "width": "100%"},
    )


@requires(Permission.READ_RECORDS)
def layout(lang: str = "zh", **query) -> html.Div:
    lang = normalise(lang)
    f = _filter(query)
    return html.Div(
        [
            dcc.Location(id=URL, refresh=False),
            dcc.Store(id=FILTER, data=f.query()),
            dcc.Store(id=SELECTED, data=str(query.get("case") or "")[:64] or None),
            dcc.Store(id=CHANGED, data=0),
            dcc.Store(id=PENDING),
            html.Div(id=NOTICE, className="os-notice", children=_dropped(f, lang)),
            case_filters.filter_bar(f, lang, _own()),
            html.Div(
                [
                    html.Section(
                        [
                            html.Header(
                                [
                                    html.H2(t("cases.title", lang)),
                                    html.Span(id=COUNT, className="os-count ms-auto"),
                                    *_export_link(f, lang),
                                ],
                                className="os-panel-head",
                            ),
                            html.Div(_grid(lang), className="os-cases-grid-wrap"),
                        ],
                        className="os-panel os-cases-list",
                    ),
                    html.Div(
                        [
                            hotspot_panel(Scope(_own()), f, lang),  # 未诉先办: its links filter this grid
                            html.Section(
                                html.Div(
                                    html.P(t("cases.pick", lang), className="text-body-secondary"), id=PANEL
                                ),
                                className="os-panel os-cases-detail",
                            ),
                        ],
                        className="os-cases-side",
                    ),
                ],
                className="os-cases-main",
            ),
            step_dialog(lang),
        ],
        className="os-page os-cases",
    )


def export_href(f: CaseFilter, kind: str = "csv") -> str:
    """The download (`kind`: csv or xlsx) of exactly the rows the grid lists (api/cases.py:
    scoped and audited by the server); park-local days become instants without offset (the
    park's time)."""
    query = {name: ",".join(getattr(f, name)) for name in case_filters.LISTS if getattr(f, name)}
    if "department" in query:  # `department` names the scope; a filter of several is `departments`
        query["departments"] = query.pop("department")
    if f.overdue:
        query["overdue"] = "true"
    if f.since:
        query["since"] = f"{f.since.isoformat()}T00:00:00"
    if f.until:
        query["until"] = f"{(f.until + timedelta(days=1)).isoformat()}T00:00:00"
    return f"/api/v1/cases/export.{kind}" + ("?" + urlencode(query) if query else "")


def _export_link(f: CaseFilter, lang: str) -> list:
    if not current_principal().can(Permission.EXPORT):
        return []
    return [
        html.A(
            [html.I(className="bi bi-download me-1"), t("cases.export", lang)],
            id=EXPORT,
            href=export_href(f),
            title=t("cases.export_title", lang),
            className="btn btn-sm btn-outline-secondary",
            download="",
        ),
        html.A(
            t("cases.export_xlsx", lang),
            id=EXPORT_XLSX,
            href=export_href(f, "xlsx"),
            title=t("cases.export_xlsx_title", lang),
            className="btn btn-sm btn-outline-secondary ms-1",
            download="",
        ),
    ]


@callback(
    Output(EXPORT, "href"), Output(EXPORT_XLSX, "href"), Input(FILTER, "data"), prevent_initial_call=True
)
@requires(Permission.EXPORT)
def on_case_export(query: dict | None):
    f = _filter(query if isinstance(query, dict) else {})
    return export_href(f), export_href(f, "xlsx")


def _dropped(f: CaseFilter, lang: str):
    if not f.dropped:
        return None
    return dbc.Alert(
        t("cases.dropped", lang, values=", ".join(f.dropped)[:200]), color="warning", dismissable=True
    )


@callback(
    Output(FILTER, "data"),
    Output(URL, "search"),
    Output(NOTICE, "children"),
    Output(case_filters.PREFIX + "case_type", "options"),
    [Input(case_filters.PREFIX + n, "value") for n in case_filters.LISTS],
    Input(case_filters.DAYS, "start_date"),
    Input(case_filters.DAYS, "end_date"),
    Input(case_filters.OVERDUE, "value"),
    State(SELECTED, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_case_filter(*values):
    *lists, since, until, overdue, selected, lang = values
    lang = normalise(lang)
    raw = dict(zip(case_filters.LISTS, lists, strict=True))
    f = _filter(case_filters.from_controls(raw, since, until, bool(overdue)))
    query = f.query() | ({"case": selected} if selected else {})
    types = case_filters.options("case_type", lang, _own(), f.domain)
    return f.query(), "?" + urlencode(query) if query else "", _dropped(f, lang), types


# The grid keeps blocks it has read: a new filter or a step makes it read them again.
clientside_callback(
    ClientsideFunction(namespace="cases", function_name="reload"),
    Output(GRID, "id"),
    Input(FILTER, "data"),
    Input(CHANGED, "data"),
    State(GRID, "id"),
    prevent_initial_call=True,
)


def _row(case: dict[str, Any], lang: str, zone, now) -> dict[str, Any]:
    deadline = case.get("sla_deadline")
    return {
        "id": case["id"],
        "status": t(f"case.status.{case['status']}", lang)
        if case["status"] in STATUS_COLOUR
        else case["status"],
        "reported_at": format_time(case["reported_at"], zone, "%Y-%m-%d %H:%M"),
        "case_type": type_name(case["case_type"], lang),
        "channel": t(f"channel.{case['channel']}", lang),
        "department": department_name(case["department"], lang) if case.get("department") else "—",
        "grid_cell": case.get("grid_cell") or "—",
        "sla_deadline": format_time(deadline, zone, "%Y-%m-%d %H:%M"),
        "address": (case.get("address") if lang == "zh" else case.get("address_en"))
        or case.get("address")
        or "—",
        "overdue": bool(deadline and deadline < now and case["status"] not in ("closed", "rejected")),
    }


@callback(
    Output(GRID, "getRowsResponse"),
    Output(COUNT, "children"),
    Input(GRID, "getRowsRequest"),
    State(FILTER, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_case_rows(request: dict | None, query: dict | None, lang: str):
    lang = normalise(lang)
    if not isinstance(request, dict):
        return no_update, no_update
    services = get_services()
    zone = services.settings.zone
    now = datetime.now(UTC)
    start = request.get("startRow") if isinstance(request.get("startRow"), int) else 0
    end = request.get("endRow") if isinstance(request.get("endRow"), int) else start + BLOCK
    sort = request.get("sortModel") if isinstance(request.get("sortModel"), list) else None
    f = _filter(query if isinstance(query, dict) else {})
    rows, total = case_page(
        services.engine,
        f,
        Scope(_own()),
        zone,
        start=start,
        end=min(end, start + MAX_PAGE),
        sort=sort,
        now=now,
    )
    response = {"rowData": [_row(r, lang, zone, now) for r in rows], "rowCount": total}
    return response, t("cases.count", lang, count=f"{total:,}")


@callback(
    Output(SELECTED, "data"),
    Output(URL, "search", allow_duplicate=True),
    Input(GRID, "cellClicked"),
    State(FILTER, "data"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_case_click(cell: dict | None, query: dict | None):
    """The case clicked opens beside the grid, and the URL names it (a link opens it too).
    The grid's row id is the case id (getRowId); the case is read again, within scope."""
    case_id = str(cell.get("rowId") or "")[:64] if isinstance(cell, dict) else ""
    if not case_id:
        return no_update, no_update
    kept = {k: str(v) for k, v in (query or {}).items() if isinstance(v, str)}
    return case_id, "?" + urlencode(kept | {"case": case_id})


@callback(
    Output(PANEL, "children"),
    Input(SELECTED, "data"),
    Input(CHANGED, "data"),
    State("shell-lang", "value"),
)
@requires(Permission.READ_RECORDS)
def on_case_panel(case_id: str | None, _changed: int, lang: str):
    lang = normalise(lang)
    if not case_id or not isinstance(case_id, str):
        return html.P(t("cases.pick", lang), className="text-body-secondary")
    detail = case_detail(case_id[:64])
    if detail is None:
        return dbc.Alert(t("cases.missing", lang, case=case_id[:64]), color="warning")
    return case_panel(detail, get_services().settings.zone, lang)


cases_steps.register()  # the step dialog's callbacks, with this page's, for every app
