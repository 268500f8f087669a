"""Beside the chain graph: the ranked investment-attraction targets (补链强链), each with its
status, its findings in words and why it ranks where it does; or, once a link is picked, the
link itself: its figures, findings and enterprises, each opening its profile."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from components.chain_words import (
    change,
    count,
    findings_text,
    market_text,
    money,
    name_of,
    share,
    stage_text,
)
from locales import t

TOP_FIRMS = 10  # the link's largest enterprises listed: as many as fit beside the graph on a wall screen


def chain_href(chain: str | None = None, link: str | None = None) -> str:
    query = {k: v for k, v in (("chain", chain), ("link", link)) if v}
    return "/chains" + (f"?{urlencode(query)}" if query else "")


def _badge(status: str, lang: str) -> html.Span:
    return html.Span(t(f"chain.status.{status}", lang), className=f"os-chain-badge os-chain-{status}")


def target_list(ranked: pd.DataFrame, link_names: Mapping[str, str], lang: str) -> html.Section:
    """The chain's targets, best first."""
    items = []
    for place, row in enumerate(ranked.to_dict("records"), start=1):
        items.append(
            html.Li(
                dcc.Link(
                    [
                        html.Div(
                            [
                                html.Span(
                                    f"{place}",
                                    className="os-chain-rank",
                                    title=t("chain.park_rank", lang, rank=row["rank"]),
                                ),
                                html.Span(name_of(row, lang), className="os-chain-target-name"),
                                _badge(row["status"], lang),
                            ],
                            className="os-chain-target-head",
                        ),
                        html.Ul(
                            [html.Li(x) for x in findings_text(row["findings"], lang)],
                            className="os-chain-findings",
                        ),  # fmt: skip
                        html.P(market_text(row, link_names, lang), className="os-chain-market"),
                    ],
                    href=chain_href(row["chain"], row["link"]),
                    className="os-chain-target",
                )
            )
        )
    body = html.Ol(items, className="os-chain-targets") if items else html.P(t("chain.no_targets", lang),
                                                                                  className="os-empty")  # fmt: skip
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("chain.targets", lang)),
                    html.Span(t("chain.targets_how", lang), className="os-panel-source"),
                ],
                className="os-panel-head",
            ),
            body,
        ],  # fmt: skip
        className="os-panel os-chain-side",
    )


def _figure(label: str, value: str) -> html.Div:
    return html.Div([html.Span(label, className="os-chain-figure-label"), html.Strong(value)],
                    className="os-chain-figure")  # fmt: skip


def link_panel(link: Mapping[str, object], firms: pd.DataFrame, lang: str) -> html.Section:
    """One link: status, stage, figures, findings and its largest enterprises."""
    status = str(link["status"])
    figures = html.Div(
        [
            _figure(t("chain.link.enterprises", lang), count(link["enterprises"])),  # type: ignore[arg-type]
            _figure(t("chain.link.revenue", lang), money(link["revenue"], lang)),  # type: ignore[arg-type]
            _figure(t("chain.link.growth", lang), change(link["growth"])),  # type: ignore[arg-type]
            _figure(t("chain.link.chain_share", lang), share(link["chain_share"], 1)),  # type: ignore[arg-type]
        ],
        className="os-chain-figures",
    )
    findings = findings_text(link["findings"], lang)  # type: ignore[arg-type]
    rows = [
        html.Tr(
            [
                html.Td(dcc.Link(name_of(f, lang), href=f"/enterprise?{urlencode({'id': f['id']})}")),
                html.Td(money(f["revenue"], lang), className="num"),
                html.Td(change(f["revenue_growth"]), className="num"),
                html.Td(count(f["employees"]), className="num"),
                html.Td(t(f"size.{f['size']}", lang) if isinstance(f["size"], str) else "—"),
            ]
        )
        for f in firms.head(TOP_FIRMS).to_dict("records")
    ]
    head = html.Tr(
        [html.Th(t(f"chain.firms.{c}", lang)) for c in ("name", "revenue", "growth", "employees", "size")]
    )
    table = (
        html.Table([html.Thead(head), html.Tbody(rows)], className="os-chain-firms")
        if rows
        else html.P(t("chain.finding.empty", lang), className="os-empty")
    )
    more = (
        html.P(t("chain.firms.more", lang, shown=TOP_FIRMS, total=len(firms)), className="os-chain-more")
        if len(firms) > TOP_FIRMS
        else None
    )
    return html.Section(
        [
            html.Div(
                [
                    dcc.Link(
                        [html.I(className="bi bi-arrow-left me-1"), t("chain.back", lang)],
                        href=chain_href(str(link["chain"])),
                        className="os-chain-back",
                    ),  # fmt: skip
                    html.H2(name_of(link, lang)),
                    _badge(status, lang),
                    html.Span(stage_text(str(link["stage"]), lang), className="os-chain-stage"),
                ],
                className="os-panel-head os-chain-link-head",
            ),
            figures,
            html.Ul([html.Li(x) for x in findings], className="os-chain-findings") if findings else None,
            html.Div([table, more], className="os-chain-firms-wrap"),
        ],
        className="os-panel os-chain-side",
    )
