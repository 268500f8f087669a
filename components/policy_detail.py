"""The Policies page's right column: the selected policy (who issues it, what it gives, its
criteria in words), a tab per list (qualify, nearly, figures missing) with its count, and the
list itself as a grid whose names open the enterprise's profile (/enterprise?id=…). Figures are
numbers in the grid (sortable), their unit in the column's header."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from urllib.parse import urlencode

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from components.admin_common import column, grid
from components.policy_words import criteria_texts, reasons_text, status_text, validity_text
from domain.policies import STATUSES
from domain.policy_book import Policy, PolicyBook
from locales import t

GRID = "policies-grid"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>])")


def _number(value: object, scale: float = 1.0, digits: int = 1) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return round(float(value) * scale, digits)  # type: ignore[arg-type]


def enterprise_href(enterprise_id: str) -> str:
    return "/enterprise?" + urlencode({"id": enterprise_id})


def _name(row: Mapping[str, object], lang: str) -> str:
    en = row.get("name_en")
    return str(en if lang == "en" and isinstance(en, str) and en else row.get("name") or row.get("id"))


def _name_link(row: Mapping[str, object], lang: str) -> str:
    """The firm's name as a markdown link to its profile (markdown's own characters escaped:
    a name is data, not markup)."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", _name(row, lang))
    return f"[{text}]({enterprise_href(str(row['id']))})"


def grid_rows(frame: pd.DataFrame, names: Mapping[str, str], lang: str) -> list[dict]:
    """The grid's rows for the listed enterprises (services.policies.matches)."""
    out = []
    for row in frame.to_dict("records"):
        size = row.get("size")
        out.append(
            {
                "id": row["id"],
                "name": _name_link(row, lang),
                "name_text": _name(row, lang),
                "credit_code": row.get("credit_code") or "",
                "link": names.get(str(row.get("chain_link")), "")
                if isinstance(row.get("chain_link"), str)
                else "",
                "size": t(f"size.{size}", lang) if isinstance(size, str) else "—",
                "revenue": _number(row.get("revenue")),
                "rd_share": _number(row.get("rd_share"), 100),
                "growth": _number(row.get("revenue_growth"), 100),
                "patents_total": _number(row.get("patents_total"), digits=0),
                "age": _number(row.get("age_years")),
                "reason": reasons_text(row.get("reasons") or (), lang),
            }
        )
    return out


def make_grid(rows: list[dict], status: str, lang: str) -> dag.AgGrid:
    def numeric(digits: int, width: int = 112) -> dict:
        # formatted in the browser by dash-ag-grid's own expression parser (no eval: the CSP
        # allows none), so the cell stays a number that sorts as one
        shown = f"params.value == null ? '—' : d3.format(',.{digits}f')(params.value)"
        return {"type": "rightAligned", "width": width, "suppressSizeToFit": True, "valueFormatter": {"function": shown},
                "wrapHeaderText": True, "autoHeaderHeight": True}  # fmt: skip

    columns = [
        column("name", t("policies.col.name", lang), cellRenderer="markdown", flex=4, minWidth=240,
               tooltipField="name_text", cellClass="os-policy-firm"),
        column("link", t("policies.col.link", lang), flex=2, minWidth=130),
        column("size", t("policies.col.size", lang), width=84, suppressSizeToFit=True),
        column("revenue", t("policies.col.revenue", lang), **numeric(1, 128)),
        column("rd_share", t("policies.col.rd_share", lang), **numeric(1)),
        column("growth", t("policies.col.growth", lang), **numeric(1)),
        column("patents_total", t("policies.col.patents_total", lang), **numeric(0)),
        column("age", t("policies.col.age", lang), **numeric(1)),
    ]  # fmt: skip
    if status != "qualifies":
        columns.append(column("reason", t("policies.col.reason", lang), flex=4, minWidth=280, wrapText=True,
                              autoHeight=True, cellClass="os-policy-reason"))  # fmt: skip
    made = grid(GRID, columns, rows, lang, row_id="id")
    made.dashGridOptions = {
        **made.dashGridOptions,
        "localeText": {"noRowsToShow": t("policies.no_rows", lang)},
    }
    return made


def make_tabs(figures: Mapping[str, int], selected: str, href: Callable[[str], str], lang: str) -> html.Nav:
    """One link per list with its count; the selected one marked."""
    return html.Nav(
        [
            dcc.Link(
                [status_text(s, lang), html.Span(f"{figures.get(s, 0):,}", className="os-policy-tab-count")],
                href=href(s),
                className=f"os-policy-tab os-policy-tab-{s}" + (" active" if s == selected else ""),
            )
            for s in STATUSES
        ],
        className="os-policy-tabs",
    )


def _fact(label_key: str, text: str, lang: str) -> html.Div:
    return html.Div([html.Dt(t(label_key, lang)), html.Dd(text)], className="os-policy-fact")


def make_head(
    policy: Policy,
    book: PolicyBook,
    names: Mapping[str, str],
    day: date,
    lang: str,
    unknown: Mapping[str, tuple[str, ...]] | None = None,
) -> html.Div:
    """The policy: its name, issuer, document, days of force, who it is for, what it gives and
    its criteria, each a chip in words; `unknown` chain or link ids it names, said in words."""
    state = policy.in_force(day)
    facts = [_fact("policies.issuer", policy.text("issuer", lang), lang)]
    if policy.text("document", lang):
        facts.append(_fact("policies.document", policy.text("document", lang), lang))
    facts += [
        _fact("policies.summary", policy.text("summary", lang), lang),
        _fact("policies.benefit", policy.text("benefit", lang), lang),
    ]
    notes = (
        [] if state == "in_force" else [html.P(t(f"policies.{state}_note", lang), className="os-policy-note")]
    )
    for key, ids in (unknown or {}).items():
        what = t(f"policies.criterion.{key}", lang)
        notes.append(
            html.P(
                t("policies.unknown_refs", lang, what=what, ids=", ".join(ids)), className="os-policy-note"
            )
        )
    rule = t("policies.nearly_rule", lang, at_most=book.at_most, tolerance=f"{book.tolerance * 100:.0f}%")
    return html.Div(
        [
            html.Div(
                [
                    html.H2(policy.text("name", lang), className="os-policy-title"),
                    html.Span(
                        validity_text(policy, day, lang), className=f"os-policy-valid os-policy-{state}"
                    ),
                ],
                className="os-policy-title-row",
            ),
            *notes,
            html.Dl(facts, className="os-policy-facts"),
            html.Div(
                [
                    html.Span(t("policies.criteria", lang), className="os-policy-criteria-label"),
                    *[
                        html.Span(text, className="os-policy-criterion")
                        for text in criteria_texts(policy, names, lang)
                    ],
                ],
                className="os-policy-criteria",
                title=rule,
            ),
        ],
        className="os-policy-head",
    )
