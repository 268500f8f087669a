"""The industry chains in the JSON API: every chain with its summary (GET /api/v1/chains), one
chain's links with their figures, status and findings (GET /api/v1/chains/{chain}), one link
with its enterprises (GET /api/v1/chains/{chain}/links/{link}) and the ranked
investment-attraction targets (GET /api/v1/chain-targets). The figures are services.chains'
(computed once per change of the chains, enterprises and enterprise-figures data), so the API,
the chain page and the wall's panel agree. The chains are the park's shared reference data
(services/scoping.PARK_WIDE): view_screens reads them whole, in every department.

Bad input is answered with a message: an unknown chain or link 404, a targets query with an
unknown chain, a status other than empty or weak, or a limit outside 1-200 400."""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
import numpy as np
import pandas as pd
from flask import abort

from api.base import park_time
from api.chain_schemas import (
    ChainDetailSchema,
    ChainsSchema,
    LinkDetailSchema,
    TargetsQuery,
    TargetsSchema,
)
from api.v1 import blp, refusals
from domain.chain_analysis import Finding
from security.guard import requires
from security.roles import Permission
from services.chains import ChainView, chain_view, link_enterprises
from services.figure_cache import Cached

STAGES = ("upstream", "midstream", "downstream")


def plain(value: Any) -> Any:
    """A figure as JSON takes it: numpy and pandas scalars as Python's, NaN and NA as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):  # a list or a mapping: pd.isna answers per item
        return value


def _findings(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [{"code": f.code, "values": {k: plain(v) for k, v in f.values.items()}} for f in findings]


def _freshness(cached: Cached[ChainView]) -> dict[str, Any]:
    view = cached.value
    return {
        "year": view.year,
        "computed_at": park_time(cached.computed_at),
        "stale": list(view.stale),
        "sources": list(view.sources),
        "revenue_unit": "10k_yuan",
    }


def _summary(row: pd.Series) -> dict[str, Any]:
    counts = ("links", "filled", "empty", "weak", "enterprises")
    return {
        "chain": row["chain"],
        "name": plain(row["chain_name"]),
        "name_en": plain(row["chain_name_en"]),
        **{c: int(row[c]) for c in counts},
        "revenue": plain(row["revenue"]),
        "revenue_by_stage": {s: plain(row[f"revenue_{s}"]) for s in STAGES},
    }


def _link(row: pd.Series, ranks: dict[str, int]) -> dict[str, Any]:
    top_id = plain(row["top_id"])
    top = None
    if top_id is not None:
        top = {
            "id": top_id,
            "name": plain(row["top_name"]),
            "name_en": plain(row["top_name_en"]),
            "share": plain(row["top_share"]),
        }
    figures = ("enterprises", "revenue", "tax", "employees", "growth", "chain_share")
    return {
        "chain": row["chain"],
        "link": row["link"],
        "name": plain(row["name"]),
        "name_en": plain(row["name_en"]),
        "stage": plain(row["stage"]),
        "parent_link": plain(row["parent_link"]),
        "status": row["status"],
        "findings": _findings(row["findings"]),
        **{c: plain(row[c]) for c in figures},
        "top": top,
        "target_rank": ranks.get(row["link"]),
    }


def _ranks(view: ChainView) -> dict[str, int]:
    return dict(zip(view.targets["link"], (int(r) for r in view.targets["rank"]), strict=True))


def _chain_row(view: ChainView, chain: str) -> pd.Series:
    """The chain's summary row; 404 naming the chains there are when there is no such chain."""
    found = view.summary[view.summary["chain"] == chain]
    if found.empty:
        known = ", ".join(view.summary["chain"]) or "none"
        abort(404, description=f"no chain {chain!r} (the chains: {known})")
    return found.iloc[0]


@blp.route("/chains")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, ChainsSchema)
@refusals()
def chains():
    """Industry chains

    Every chain with its summary: links drawn, filled (with an enterprise), empty (补链),
    weak (强链), enterprises, revenue and revenue by stage, for the year of the figures.
    Needs view_screens; park-wide data, the same for every department."""
    cached = chain_view()
    rows = cached.value.summary
    return {**_freshness(cached), "chains": [_summary(row) for _, row in rows.iterrows()]}


@blp.route("/chains/<chain>")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, ChainDetailSchema)
@refusals(404)
def chain_detail(chain: str):
    """One chain and its links

    The chain's summary and each link's figures (enterprises, revenue, tax, employees,
    like-for-like growth, share of the chain, largest enterprise), status (empty, weak, strong),
    findings with the figures behind them, parent link, stage and rank among the targets. An
    unknown chain is 404. Needs view_screens."""
    cached = chain_view()
    view = cached.value
    summary = _chain_row(view, chain)
    ranks = _ranks(view)
    links = view.links[view.links["chain"] == chain]
    return {
        **_freshness(cached),
        "chain": _summary(summary),
        "links": [_link(row, ranks) for _, row in links.iterrows()],
    }


def _enterprise(row: pd.Series) -> dict[str, Any]:
    names = ("id", "name", "name_en", "credit_code", "industry_code", "size")
    figures = ("revenue", "tax", "employees")
    return {
        **{c: plain(row[c]) for c in names},
        **{c: plain(row[c]) for c in figures},
        "growth": plain(row["revenue_growth"]),
    }


@blp.route("/chains/<chain>/links/<link>")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, LinkDetailSchema)
@refusals(404)
def link_detail(chain: str, link: str):
    """One link and its enterprises

    The link as in /chains/{chain}, with its enterprises (id, names, credit code, industry
    code, last year's revenue, tax, employees, growth and size class), largest revenue first.
    An unknown chain, or a link that is not the chain's, is 404. Needs view_screens."""
    cached = chain_view()
    view = cached.value
    _chain_row(view, chain)
    found = view.links[(view.links["chain"] == chain) & (view.links["link"] == link)]
    if found.empty:
        known = ", ".join(view.links.loc[view.links["chain"] == chain, "link"])
        abort(404, description=f"no link {link!r} in chain {chain!r} (its links: {known})")
    firms = link_enterprises(view, link)
    return {
        **_freshness(cached),
        "link": _link(found.iloc[0], _ranks(view)),
        "enterprises": [_enterprise(row) for _, row in firms.iterrows()],
    }


@blp.route("/chain-targets")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(TargetsQuery, location="query", unknown=ma.RAISE, error_status_code=400)
@blp.response(200, TargetsSchema)
@refusals(400)
def chain_targets(args: dict[str, Any]):
    """Investment-attraction targets

    The empty and weak links, best target first: ranked by the market next to them (the
    revenue of the links that feed them and that they feed) times the weight of their gravest
    finding (config/chain_rules.yaml), each with its findings and the figures behind them.
    Filtered by `chain` and `status`, cut at `limit`. An unknown chain, a status other than
    empty or weak, or a limit outside 1-200 is 400. Needs view_screens."""
    cached = chain_view()
    view = cached.value
    chain, status, limit = args.get("chain"), args.get("status"), args.get("limit")
    ranked = view.targets
    if chain is not None:
        if chain not in set(view.summary["chain"]):
            known = ", ".join(view.summary["chain"]) or "none"
            abort(400, description=f"chain: no chain {chain!r} (the chains: {known})")
        ranked = ranked[ranked["chain"] == chain]
    if status is not None:
        ranked = ranked[ranked["status"] == status]
    if limit is not None:
        ranked = ranked.head(limit)
    ranks = _ranks(view)
    out = []
    for _, row in ranked.iterrows():
        near = ("upstream", "downstream")
        extra = ("near_enterprises", "near_revenue", "market", "score")
        out.append(
            {
                **_link(row, ranks),
                "rank": int(row["rank"]),
                **{c: list(row[c]) for c in near},
                **{c: plain(row[c]) for c in extra},
            }
        )
    return {**_freshness(cached), "targets": out}
