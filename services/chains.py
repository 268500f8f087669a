"""The industry chains as the pages, the API and the wall read them: every enterprise's facts,
every link's figures, the ranked investment-attraction targets and the chains' summary, computed
together from the chains, enterprises and enterprise-figures snapshots once per change of their
data (services/figure_cache.py) — 2,000 enterprises take about 0.1 s.

These are the park's shared reference data (services/scoping.PARK_WIDE): every role that
views screens reads all of them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from domain.chain_analysis import (
    GapRules,
    RulesError,
    chain_economy,
    chain_summary,
    link_figures,
    parse_rules,
    targets,
)
from domain.enterprise_facts import enterprise_facts, figures_year
from services.config_files import load_config
from services.context import get_services
from services.data import snapshot
from services.figure_cache import Cached, cached_figure
from services.snapshot_versions import follow

CONTRACTS = ("chains", "enterprises", "enterprise_figures")


@dataclass(frozen=True)
class ChainView:
    """Everything the chain pages show, computed from one set of snapshots."""

    facts: pd.DataFrame  # domain.enterprise_facts.COLUMNS, one row per enterprise
    links: pd.DataFrame  # domain.chain_analysis.link_figures, one row per link
    targets: pd.DataFrame  # the empty and weak links, best target first
    summary: pd.DataFrame  # one row per chain
    economy: pd.DataFrame  # per chain ("" outside them): revenue, tax, employees and their growth
    year: int | None  # the year of the figures (the latest the park has)
    figures: pd.DataFrame  # the yearly figures (enterprise histories)
    stale: tuple[str, ...]  # contracts whose source is down (the figures are the last read)
    sources: tuple[str, ...]  # the sources the contracts came from


def load_rules(path: Path) -> GapRules:
    """The gap rules file; RulesError naming the file and the key at fault."""
    return load_config(path, parse_rules, RulesError)


@functools.cache
def _rules(path: Path) -> GapRules:
    return load_rules(path)


def rules() -> GapRules:
    return _rules(get_services().settings.chain_rules_file)


def _compute() -> ChainView:
    follow(CONTRACTS)  # a write by another process (a sync, an import): the snapshots are read again
    snaps = {c: snapshot(c) for c in CONTRACTS}
    links = snaps["chains"].frame
    figures = snaps["enterprise_figures"].frame
    zone = get_services().settings.zone
    facts = enterprise_facts(
        snaps["enterprises"].frame, figures, links, datetime.now(UTC).astimezone(zone).date()
    )
    gap_rules = rules()
    per_link = link_figures(links, facts, gap_rules)
    sources = get_services().sources
    return ChainView(
        facts=facts,
        links=per_link,
        targets=targets(per_link, gap_rules),
        summary=chain_summary(per_link),
        economy=chain_economy(facts),
        year=figures_year(figures),
        figures=figures,
        stale=tuple(c for c, s in snaps.items() if s.stale),
        sources=tuple(dict.fromkeys(s for c in CONTRACTS if (s := sources.source_of(c)) is not None)),
    )


def chain_view() -> Cached[ChainView]:
    """The current chain view, from the cache while none of its contracts changed."""
    return cached_figure("chain-view", CONTRACTS, _compute)


def link_enterprises(view: ChainView, link: str) -> pd.DataFrame:
    """The enterprises of one link, largest revenue first."""
    rows = view.facts[view.facts["chain_link"] == link]
    return rows.sort_values(["revenue", "name"], ascending=[False, True], na_position="last")
