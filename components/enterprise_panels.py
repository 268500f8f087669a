"""The enterprise profile's panels that read the firm's own facts: who it is (names, credit
code, industry class, founding, age, size, chain and link) and where it stands against its
link's median, in words and small bars. The words say the figures; the bars only show them,
so nothing is told by length or colour alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from components.chain_words import change, count, money, name_of, share, stage_text
from locales import t
from services.enterprises import Comparison, Profile

SHOWN_ONLY: dict[str, Any] = {"aria-hidden": "true"}  # the words above the bars say the figures
NUMBERS = {"revenue": "money", "tax": "money", "revenue_growth": "change", "rd_share": "share",
           "employees": "count", "patents": "count"}  # fmt: skip


def figure_text(measure: str, value: float | None, lang: str) -> str:
    """A figure of `measure` as the profile says it (money in 万元/亿元, growth with its arrow,
    shares as percentages, counts whole)."""
    how = NUMBERS[measure]
    if how == "money":
        return money(value, lang)
    if how == "change":
        return change(value)
    if how == "share":
        return share(value, 1)
    return count(value)


def _fact(label: str, value: Any) -> Component:
    return html.Div([html.Dt(label), html.Dd(value)], className="os-ent-fact")


def _founded(facts: dict[str, Any], lang: str) -> str:
    founded = facts.get("founded_on")
    if not isinstance(founded, date):
        return "—"
    age = facts.get("age_years")
    if age is None:
        return founded.isoformat()
    return f"{founded.isoformat()} · {t('enterprise.age', lang, years=f'{age:.1f}')}"


def link_href(link: str) -> str:
    return f"/chains?link={link}"


def identity_panel(found: Profile, lang: str) -> Component:
    """The firm's names (the reader's language first), credit code, industry class, founding
    date and age, size class, and its chain and link (the link opens the chain page on it)."""
    facts = found.facts
    other = facts.get("name") if lang == "en" else facts.get("name_en")
    size = facts.get("size")
    code = facts.get("industry_code") or "—"
    industry = f"{code} · {found.industry_name}" if found.industry_name else code
    link = facts.get("chain_link")
    if link:
        chain_line: Any = [
            html.Span(name_of(facts, lang, "chain_name"), className="os-ent-chain"),
            html.Span(" › "),
            dcc.Link(name_of({**facts, "link": link}, lang, "link_name"), href=link_href(link)),
            html.Span(f" · {stage_text(facts['stage'], lang)}", className="text-body-secondary")
            if facts.get("stage")
            else None,
        ]
    else:
        chain_line = t("enterprise.no_link", lang)
    return html.Div(
        [
            html.H1(name_of(facts, lang), className="os-ent-name"),
            html.P(other or "", className="os-ent-other-name"),
            html.Dl(
                [
                    _fact(t("enterprise.field.credit_code", lang), facts.get("credit_code") or "—"),
                    _fact(t("enterprise.field.industry", lang), industry),
                    _fact(t("enterprise.field.founded", lang), _founded(facts, lang)),
                    _fact(
                        t("enterprise.field.size", lang),
                        t(f"size.{size}", lang) if size else t("enterprise.size_unknown", lang),
                    ),
                    _fact(t("enterprise.field.link", lang), chain_line),
                    _fact(t("enterprise.field.id", lang), facts.get("id")),
                ],
                className="os-ent-facts",
            ),
        ],
        className="os-ent-identity",
    )


def comparison_line(c: Comparison, link_name: str, lang: str) -> str:
    """ "Revenue: 1,667 万元, below the median of 35 enterprises in Software (2,689 万元)"."""
    measure = t(f"enterprise.measure.{c.measure}", lang)
    if c.position is None:
        return t("enterprise.compare.no_value", lang, measure=measure)
    return t(
        f"enterprise.compare.{c.position}",
        lang,
        measure=measure,
        value=figure_text(c.measure, c.value, lang),
        count=c.count,
        link=link_name,
        median=figure_text(c.measure, c.median, lang),
    )


def _bars(c: Comparison) -> Component:
    """The firm's figure and the median as two bars on one scale (the larger fills the row); a
    negative figure (a fall) is drawn as long as its size, in the falling colour."""
    largest = max(abs(c.value or 0.0), abs(c.median or 0.0))

    def bar(value: float | None, kind: str) -> Component:
        width = 0.0 if value is None or largest == 0 else abs(value) / largest * 100
        falling = " os-ent-bar-fall" if value is not None and value < 0 else ""
        return html.Div(
            html.Div(className=f"os-ent-bar os-ent-bar-{kind}{falling}", style={"width": f"{width:.1f}%"}),
            className="os-ent-bar-track",
        )

    return html.Div([bar(c.value, "firm"), bar(c.median, "median")], className="os-ent-bars", **SHOWN_ONLY)


def comparison_panel(found: Profile, lang: str) -> Component:
    """Each figure against the link's median, a line of words over its two bars."""
    if not found.comparisons:
        return html.P(t("enterprise.compare.no_link", lang), className="os-ent-muted")
    link_name = name_of({**found.facts, "link": found.facts.get("chain_link")}, lang, "link_name")
    rows = [
        html.Div(
            [html.Div(comparison_line(c, link_name, lang), className="os-ent-compare-words"), _bars(c)],
            className="os-ent-compare-row",
        )  # fmt: skip
        for c in found.comparisons
    ]
    legend = html.Div(
        [
            html.Span([html.I(className="os-ent-key os-ent-bar-firm"), t("enterprise.legend.firm", lang)]),
            html.Span(
                [html.I(className="os-ent-key os-ent-bar-median"), t("enterprise.legend.median", lang)]
            ),
        ],
        className="os-ent-legend",
    )
    return html.Div([legend, *rows], className="os-ent-compare")


def _reasons(match: Any, lang: str, reason_words: Callable[[Any, str], str] | None) -> list[str]:
    return [reason_words(r, lang) for r in match.reasons] if reason_words is not None else []


def policy_panel(
    policies: list[Any] | None, lang: str, reason_words: Callable[[Any, str], str] | None = None
) -> Component:
    """THE POLICIES IT MATCHES: services.policies.policies_for's list of PolicyMatch (policy_id,
    name, name_en, status, reasons, benefit, benefit_en), qualifying first; `reason_words` says
    a reason (a criterion missed and by how much). None means policy matching could not be
    asked; an empty list means no policy in force fits the firm."""
    if policies is None:
        return html.P(t("enterprise.policies.unavailable", lang), className="os-ent-muted")
    if not policies:
        return html.P(t("enterprise.policies.none", lang), className="os-ent-muted")
    items = []
    for p in policies:
        name = p.name_en if lang == "en" and p.name_en else p.name
        benefit = p.benefit_en if lang == "en" and p.benefit_en else p.benefit
        items.append(
            html.Li(
                [
                    html.Div(
                        [
                            html.Span(
                                t(f"enterprise.policies.status.{p.status}", lang),
                                className=f"os-ent-policy-status os-ent-policy-{p.status}",
                            ),
                            dcc.Link(
                                name, href=f"/policies?policy={p.policy_id}", className="os-ent-policy-name"
                            ),
                        ]  # fmt: skip
                    ),
                    html.Div(benefit, className="os-ent-muted") if benefit else None,
                    *[
                        html.Div(line, className="os-ent-policy-reason")
                        for line in _reasons(p, lang, reason_words)
                    ],
                ],
                className="os-ent-policy",
            )
        )
    return html.Ul(items, className="os-ent-policies")
