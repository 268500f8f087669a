"""Pieces the admin pages (audit log, users and tokens) share: panels, a themed ag-grid, form
fields, translated dropdown labels and the alerts that say what happened.

The grids use no JavaScript function strings (the Content-Security-Policy forbids eval):
`dangerously_allow_code` stays off; row ids and cell classes are plain expressions that
dash-ag-grid parses itself.

dcc's dropdown and date picker and ag-grid's grid are lazily loaded: their libraries fetch
their code when a layout first draws one, that is after the page's layout has arrived, and
React draws nothing in their place until then. Under load that left the admin pages for
seconds as labels without dropdowns and panels without grids (issue 8). So each admin page
names the code it draws with (`load_with_the_app`), served with the app's first scripts
(fingerprinted, so browsers keep it) instead of fetched, or revalidated on every visit, after
the layout. React still shows its empty placeholder for a moment before it reveals a lazy
component (0.5-1.4 s with eight pages loading at once on two cores), so an admin page also
stays hidden until every part has drawn (assets/10-onescreen.css, `.os-admin:has(...)`)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import hooks, html

from locales import t

# The lazily loaded bundles the admin pages draw with, as Dash resources (namespace and path as
# the libraries declare them; without their "async" flag Dash serves them as ordinary scripts).
DROPDOWN_CODE = {"namespace": "dash", "relative_package_path": "dcc/async-dropdown.js"}
DATE_PICKER_CODE = {"namespace": "dash", "relative_package_path": "dcc/async-datepicker.js"}
GRID_CODE = {"namespace": "dash_ag_grid", "relative_package_path": "async-community.js"}
_with_the_app: list[dict] = []


def load_with_the_app(*code: dict) -> None:
    """Serve these lazily loaded bundles with the app's first scripts, so their components draw
    with the layout that holds them instead of after a fetch it starts (each bundle is already
    installed when the renderer asks for it). For every Dash app in the process (dash.hooks);
    a bundle named again is not added twice, since Dash Pages runs a page module once per app.
    The cost: every first visit loads them (ag-grid's is 0.9 MB); the URLs are fingerprinted,
    so browsers keep them."""
    new = [c for c in code if c not in _with_the_app]
    _with_the_app.extend(new)
    if new:
        hooks.script(new)


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
