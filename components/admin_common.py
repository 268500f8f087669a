"""Pieces the admin pages (audit log, users and tokens) share: panels, a themed ag-grid, form
fields, translated dropdown labels and the alerts that say what happened.

The grids use no JavaScript function strings (the Content-Security-Policy forbids eval):
`dangerously_allow_code` stays off; row ids and cell classes are plain expressions that
dash-ag-grid parses itself."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from locales import t


def panel(title: str, body: Any, aside: Any = None, extra_class: str = "") -> html.Section:
    """A titled panel; `aside` sits at the right of the title (a count, a button)."""
    head = [html.H2(title)]
    if aside is not None:
        head.append(aside)
    return html.Section(
        [html.Header(head, className="os-panel-head"), *(body if isinstance(body, list) else [body])],
        className=f"os-panel {extra_class}".strip(),
    )


def grid(
    grid_id: str,
    columns: list[dict],
    rows: list[dict],
    lang: str,
    *,
    row_id: str | None = None,
    selectable: bool = False,
) -> dag.AgGrid:
    """An ag-grid that fills its panel and follows the wall/desk theme (CSS variables)."""
    options: dict[str, Any] = {
        "localeText": {
            "noRowsToShow": t("admin.grid.no_rows", lang),
            "loadingOoo": t("admin.grid.loading", lang),
        },
        "animateRows": False,
        "suppressCellFocus": True,
        "tooltipShowDelay": 400,
    }
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    extra: dict[str, Any] = {}
    if row_id:
        # a row keeps its selection when the table is redrawn after a change
        extra["getRowId"] = f"params.data.{row_id}"
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=rows,
        # the cells are text made on the server: no type inference (it blanked "—" in a date column)
        defaultColDef={"resizable": True, "sortable": True, "minWidth": 70, "cellDataType": False},
        dashGridOptions=options,
        className="os-grid",
        style={"height": "100%", "width": "100%"},
        **extra,
    )


def column(field: str, header: str, **kw: Any) -> dict:
    return {"field": field, "headerName": header, "tooltipField": field, **kw}


def field(label: str, control: Any, class_name: str = "") -> html.Div:
    return html.Div(
        [html.Label(label, className="os-field-label"), control], className=f"os-field {class_name}".strip()
    )


def dropdown_labels(lang: str) -> dict[str, str]:
    """The texts dcc.Dropdown draws itself, in the page's language."""
    keys = ("select_all", "deselect_all", "selected_count", "search", "clear_search", "clear_selection",
            "no_options_found")  # fmt: skip
    # selected_count keeps Dash's own {num_selected} placeholder: the dropdown fills it in
    return {key: t(f"admin.dd.{key}", lang) for key in keys}


def failure(lang: str, prefix_key: str, message: str) -> dbc.Alert:
    """A refusal: a translated prefix, then the reason (security's own words)."""
    return dbc.Alert(
        [
            html.I(className="bi bi-exclamation-triangle me-2"),
            html.Strong(t(prefix_key, lang) + " "),
            message,
        ],
        color="danger",
        dismissable=True,
    )


def warning(message: str) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-info-circle me-2"), message], color="warning", dismissable=True)


def success(message: str) -> dbc.Alert:
    return dbc.Alert(
        [html.I(className="bi bi-check-circle me-2"), message],
        color="success",
        dismissable=True,
        duration=8000,
    )


def yes_no(value: object, lang: str) -> str:
    return t("admin.yes", lang) if value else t("admin.no", lang)
