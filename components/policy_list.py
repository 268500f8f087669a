"""The Policies page's left column: every policy as a link (its issuer, days of force and how
many enterprises qualify and nearly qualify), the one selected marked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from dash import dcc, html

from components.policy_words import validity_text
from domain.policy_book import Policy
from locales import t

STATE_CLASS = {
    "in_force": "os-policy-in-force",
    "expired": "os-policy-expired",
    "upcoming": "os-policy-upcoming",
}


def _item(
    policy: Policy, figures: pd.Series | None, day: date, href: str, selected: bool, lang: str
) -> dcc.Link:
    qualifies = int(figures["qualifies"]) if figures is not None else 0
    nearly = int(figures["nearly"]) if figures is not None else 0
    state = policy.in_force(day)
    return dcc.Link(
        [
            html.Div(policy.text("name", lang), className="os-policy-name"),
            html.Div(policy.text("issuer", lang), className="os-policy-issuer"),
            html.Div(
                [
                    html.Span(
                        validity_text(policy, day, lang), className=f"os-policy-valid {STATE_CLASS[state]}"
                    ),
                    html.Span(
                        t("policies.counts", lang, qualifies=qualifies, nearly=nearly),
                        className="os-policy-counts",
                    ),
                ],  # fmt: skip
                className="os-policy-meta",
            ),
        ],
        href=href,
        className="os-policy-item" + (" active" if selected else ""),
    )


def make_policy_list(
    policies: tuple[Policy, ...],
    counts: pd.DataFrame,
    day: date,
    selected: str | None,
    href: Callable[[str], str],
    lang: str,
) -> html.Nav:
    """The list; `href(policy_id)` is the address that selects a policy."""
    items = [
        _item(p, counts.loc[p.id] if p.id in counts.index else None, day, href(p.id), p.id == selected, lang)
        for p in policies
    ]
    return html.Nav(
        [html.H2(t("policies.list_title", lang), className="os-policy-list-title"), *items],
        className="os-panel os-policy-list os-scroll",
    )
