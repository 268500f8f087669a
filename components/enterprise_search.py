"""The enterprise search box and its results (services.enterprises.search): by name in either
language or by unified social credit code; each result a link to the firm's profile. A code
that cannot be one is refused in words saying why, so a mistyped code is not taken for an
unknown firm."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.chain_words import money, name_of
from locales import t
from services.enterprises import MAX_TEXT, CodeProblem, Found

QUERY = "enterprise-query"
GO = "enterprise-go"
RESULTS = "enterprise-results"
SHOWN = 20  # results listed; the count says how many more there are


def search_box(lang: str, text: str = "") -> Component:
    return html.Div(
        [
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=QUERY,
                        type="search",
                        value=text,
                        maxLength=MAX_TEXT,
                        placeholder=t("enterprise.search.placeholder", lang),
                        debounce=True,
                        autoComplete="off",
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-search me-1"), t("enterprise.search.go", lang)],
                        id=GO,
                        color="primary",
                    ),  # fmt: skip
                ],
                className="os-ent-search-box",
            ),
        ],
        className="os-ent-search",
    )


def problem_text(problem: CodeProblem, lang: str) -> str:
    return t(f"enterprise.code.{problem.kind}", lang, code=problem.code, **problem.values)


def _result(row: dict[str, Any], lang: str) -> html.Li:
    other = row.get("name") if lang == "en" else row.get("name_en")
    link = row.get("chain_link")
    where = name_of({**row, "link": link}, lang, "link_name") if link else t("enterprise.no_link_short", lang)
    size = row.get("size")
    return html.Li(
        dcc.Link(
            [
                html.Span(name_of(row, lang), className="os-ent-result-name"),
                html.Span(other or "", className="os-ent-result-other"),
                html.Span(row.get("credit_code") or "", className="os-ent-result-code"),
                html.Span(where, className="os-ent-result-link"),
                html.Span(t(f"size.{size}", lang) if size else "", className="os-ent-result-size"),
                html.Span(money(row.get("revenue"), lang), className="os-ent-result-money"),
            ],
            href=f"/enterprise?id={row['id']}",
            className="os-ent-result",
        )
    )


def results(text: str, found: Found, lang: str) -> Component:
    """The results of a search for `text` in words and links (nothing before a search)."""
    if not text.strip():
        hint = html.P(t("enterprise.search.hint", lang), className="os-ent-muted")
        if not found.rows:
            return hint
        listed = html.Ul([_result(r, lang) for r in found.rows], className="os-ent-results")
        return html.Div(
            [hint, html.H2(t("enterprise.search.largest", lang), className="os-ent-list-title"), listed]
        )
    if found.problem is not None:
        return dbc.Alert(problem_text(found.problem, lang), color="warning", className="os-ent-refused")
    if not found.rows:
        return html.P(
            t("enterprise.search.none", lang, text=text.strip()[:MAX_TEXT]), className="os-ent-muted"
        )
    count = (
        t("enterprise.search.count_more", lang, total=found.total, shown=len(found.rows))
        if found.total > len(found.rows)
        else t("enterprise.search.count", lang, total=found.total)
    )
    return html.Div(
        [
            html.P(count, className="os-ent-muted"),
            html.Ul([_result(r, lang) for r in found.rows], className="os-ent-results"),
        ]
    )
