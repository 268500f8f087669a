"""The industry chains at a glance, a panel of the Overview (the wall's screen): per chain, its
links filled out of those drawn, its gaps (empty links, 补链) and weak links (强链), its
enterprises, last year's revenue by stage as a stacked bar, and its best investment-attraction
target in words. A row opens the chain page on that chain.

The bars share one scale, the largest chain's revenue, so chains compare at a glance; each
segment names its stage and figure in its title. The figures are services.chains' (the chain
page's and the API's), read as the Overview reads its own: "read HH:MM" while the store's data
versions say they are current, "source down" when a contract's source is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd
from dash import dcc, html

from components.chain_words import count, finding_text, money, name_of
from components.read_at import read_at
from domain.chain_analysis import Finding
from locales import t
from services.chains import chain_view, rules
from services.context import get_services

STAGES = ("upstream", "midstream", "downstream")
CHAIN_PAGE = "/chains"
# Rows the panel shows under the case trend, which gives up its height for them: beyond these
# the trend would be squeezed flat, so the rest are one line that opens the chain page.
MAX_CHAINS = 5


@dataclass(frozen=True)
class PanelParts:
    """What the Overview's panel frame takes: its title, its body and its source line."""

    title: str
    body: Any
    source: list


def chain_href(chain: str) -> str:
    return f"{CHAIN_PAGE}?chain={quote(chain)}"


def gravest(findings: tuple[Finding, ...], weights: dict[str, float]) -> Finding | None:
    """The finding that ranks the target (the heaviest in config/chain_rules.yaml; the first
    of equals, as the analysis lists them)."""
    if not findings:
        return None
    return max(findings, key=lambda f: weights.get(f.code, 0.0))


def target_text(target: pd.Series | None, weights: dict[str, float], lang: str) -> str:
    """The chain's best target in words: "Fill first: <link> — <why>", "Strengthen first: …",
    or that every link is strong."""
    if target is None:
        return t("chain_summary.no_target", lang)
    finding = gravest(target["findings"], weights)
    why = finding_text(finding, lang) if finding is not None else ""
    key = "chain_summary.fill_first" if target["status"] == "empty" else "chain_summary.strengthen_first"
    return t(key, lang, link=name_of(target, lang), why=why)


def _bar(row: pd.Series, scale: float, lang: str) -> html.Div:
    """Revenue by stage as one bar on the panel's shared scale, and the chain's total."""
    segments = []
    for stage in STAGES:
        value = row[f"revenue_{stage}"]
        if pd.isna(value) or value <= 0 or scale <= 0:
            continue
        words = f"{t(f'chain.stage.{stage}', lang)} {money(float(value), lang)}"
        segments.append(
            html.Span(
                className=f"os-cs-seg os-cs-{stage}",
                style={"width": f"{100 * float(value) / scale:.2f}%"},
                title=words,
            )
        )
    total = row["revenue"]
    return html.Div(
        [
            html.Div(segments, className="os-cs-bar"),
            html.Span(money(None if pd.isna(total) else float(total), lang), className="os-cs-total"),
        ],
        className="os-cs-revenue",
    )


def _head(lang: str) -> html.Div:
    legend = [
        html.Span(
            [html.I(className=f"os-cs-key os-cs-{s}"), t(f"chain_summary.stage.{s}", lang)],
            title=t(f"chain.stage.{s}", lang),
        )
        for s in STAGES
    ]
    cells = [
        html.Span(t("chain_summary.chain", lang)),
        html.Span(t("chain_summary.filled", lang), className="os-num"),
        html.Span(t("chain_summary.gaps", lang), className="os-num"),
        html.Span(t("chain_summary.weak", lang), className="os-num"),
        html.Span(t("chain_summary.enterprises", lang), className="os-num"),
        html.Span(legend, className="os-cs-legend"),
    ]
    return html.Div(cells, className="os-cs-row os-cs-head")


def chain_rows(summary: pd.DataFrame, targets: pd.DataFrame, weights: dict[str, float], lang: str) -> list:
    """One link per chain (the row), from the analysis' summary and ranked targets."""
    revenue = pd.to_numeric(summary["revenue"], errors="coerce")
    scale = float(revenue.max()) if revenue.notna().any() else 0.0
    rows: list = []
    for _, row in summary.head(MAX_CHAINS).iterrows():
        own = targets[targets["chain"] == row["chain"]]
        best = own.iloc[0] if len(own) else None
        name = name_of(row.rename({"chain_name": "name", "chain_name_en": "name_en"}), lang)
        words = target_text(best, weights, lang)
        filled = t("chain_summary.filled_of", lang, filled=int(row["filled"]), links=int(row["links"]))
        cells = [
            html.Span(name, className="os-cs-name"),
            html.Span(filled, className="os-num"),
            html.Span(count(row["empty"]), className=f"os-num{' os-cs-gap' if row['empty'] else ''}"),
            html.Span(count(row["weak"]), className=f"os-num{' os-cs-weak' if row['weak'] else ''}"),
            html.Span(count(row["enterprises"]), className="os-num"),
            _bar(row, scale, lang),
            html.Span(words, className="os-cs-target", title=words),
        ]
        rows.append(
            dcc.Link(
                cells,
                href=chain_href(str(row["chain"])),
                className="os-cs-row os-cs-link",
                title=t("chain_summary.open", lang, chain=name),
            )
        )
    if len(summary) > MAX_CHAINS:
        more = t("chain_summary.more", lang, count=len(summary) - MAX_CHAINS)
        rows.append(
            dcc.Link(
                html.Span(more, className="os-cs-target"), href=CHAIN_PAGE, className="os-cs-row os-cs-link"
            )
        )
    return rows


def make_chain_summary(
    lang: str, zone: ZoneInfo, late_after: timedelta, department_view: bool = False
) -> PanelParts:
    """The panel's parts for the Overview; a park with no chains source or no chains says so.
    In a department's view the title says the figures are park-wide (the chains are shared
    reference data, the same in every department), as the KPI cards say of theirs."""
    services = get_services()
    parts = _parts(lang, zone, late_after, services)
    if department_view:
        return PanelParts(t("kpi.park_wide", lang, label=parts.title), parts.body, parts.source)
    return parts


def _parts(lang: str, zone: ZoneInfo, late_after: timedelta, services: Any) -> PanelParts:
    title = t("chain_summary.title", lang)
    if services.sources.source_of("chains") is None:
        empty = html.Div(t("panel.no_source", lang), className="os-empty")
        return PanelParts(title, empty, [t("panel.no_source", lang)])
    cached = chain_view()
    view = cached.value
    # the data versions were read now and matched: the figures are the store's as of now
    read = datetime.now(UTC) if cached.versions else cached.computed_at
    titles = [services.sources.title(s, lang) for s in view.sources]
    source = [("、" if lang == "zh" else ", ").join(titles), html.Span(" · ")]
    source.append(read_at(read, bool(view.stale), lang, zone, late_after))
    if view.year is not None:
        title = t("chain_summary.title_year", lang, year=view.year)
    if view.summary.empty:
        empty = html.Div([html.I(className="bi bi-inbox me-2"), t("panel.empty", lang)], className="os-empty")
        return PanelParts(title, empty, source)
    rows = chain_rows(view.summary, view.targets, rules().weights, lang)
    return PanelParts(title, html.Div([_head(lang), *rows], className="os-cs-table"), source)
