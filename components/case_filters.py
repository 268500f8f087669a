"""The Cases page's filter bar: channel, domain, case type, grid cell, department, status,
overdue and the days reported, each read from and written to the page's URL (services.case_query
.CaseFilter), so a link reproduces the view. The options are what the store and the catalogue
know; a department head's department list is their own department only."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.admin_common import dropdown_labels
from demo.catalogue import ALL_CHANNELS
from domain.case_lifecycle import Status
from locales import t
from services import reference
from services.case_query import CaseFilter
from services.case_types import type_name, types_by_domain

PREFIX = "cases-f-"
LISTS = ("status", "channel", "domain", "case_type", "department", "grid_cell")
OVERDUE = PREFIX + "overdue"
DAYS = PREFIX + "days"


def known_values(own_department: str | None) -> dict[str, Callable[[], Collection[str]]]:
    """What each list filter may hold, for CaseFilter.parse."""
    return {
        "status": lambda: {s.value for s in Status},
        "channel": lambda: set(ALL_CHANNELS["id"]),
        "domain": lambda: set(types_by_domain()),
        "case_type": lambda: {c for types in types_by_domain().values() for c in types},
        "department": lambda: {own_department} if own_department else reference.department_ids(),
        "grid_cell": lambda: set(reference.grid_cells()),
    }


def options(name: str, lang: str, own_department: str | None, domains: Collection[str] = ()) -> list[dict]:
    """The dropdown's options for list filter `name` (case types: of the chosen domains, or all)."""
    if name == "status":
        return [{"label": t(f"case.status.{s.value}", lang), "value": s.value} for s in Status]
    if name == "channel":
        return [{"label": t(f"channel.{c}", lang), "value": c} for c in ALL_CHANNELS["id"]]
    if name == "domain":
        return [{"label": t(f"domain.{d}", lang), "value": d} for d in types_by_domain()]
    if name == "case_type":
        by_domain = types_by_domain()
        chosen = [d for d in domains if d in by_domain] or list(by_domain)
        return [{"label": type_name(c, lang), "value": c} for d in chosen for c in by_domain[d]]
    if name == "department":
        rows = reference.departments()
        return [
            {"label": r["name"] if lang == "zh" else r["name_en"], "value": r["id"]}
            for r in rows
            if own_department is None or r["id"] == own_department
        ]
    return [{"label": cell, "value": cell} for cell in reference.grid_cells()]


def filter_bar(f: CaseFilter, lang: str, own_department: str | None) -> html.Div:
    """The filter controls, set to `f`."""
    controls = [
        html.Div(
            dcc.Dropdown(
                id=PREFIX + name,
                options=options(name, lang, own_department, f.domain),
                value=list(getattr(f, name)),
                multi=True,
                placeholder=t(f"cases.filter.{name}", lang),
                labels=dropdown_labels(lang),
                className="os-case-filter",
            ),
            className=f"os-case-filter-cell os-case-filter-{name}",
        )
        for name in LISTS
    ]
    controls.append(
        html.Div(
            dcc.DatePickerRange(
                id=DAYS,
                start_date=f.since,
                end_date=f.until,
                max_date_allowed=date(2100, 1, 1),
                display_format="YYYY-MM-DD",
                start_date_placeholder_text=t("cases.filter.since", lang),
                end_date_placeholder_text=t("cases.filter.until", lang),
                clearable=True,
                className="os-case-dates",
            ),
            className="os-case-filter-cell",
        )
    )
    controls.append(
        html.Div(
            dbc.Switch(id=OVERDUE, label=t("cases.filter.overdue", lang), value=f.overdue),
            className="os-case-filter-cell os-case-overdue",
        )
    )
    return html.Div(controls, className="os-case-filters")


def from_controls(values: dict[str, object], since: str | None, until: str | None, overdue: bool) -> dict:
    """The controls' values as URL query values (CaseFilter.parse reads them and checks them)."""
    query: dict[str, object] = {name: values.get(name) or [] for name in LISTS}
    query.update(since=since or "", until=until or "", overdue="1" if overdue else "")
    return query
