"""How well the park fills each link of its industrial chains, and which links investment
attraction (招商引资, 补链强链) should work on first.

A link is *empty* when no enterprise of the park works in it (补链: a gap to fill), *weak* when
it has enterprises but one of the findings below holds (强链: a link to strengthen), and
*strong* otherwise. Every finding carries the figures behind it, so the page can state it in
words ("2 enterprises, fewer than 3"; "Huakang Pharmaceutical holds 81 % of the link's revenue").

Revenue growth is like for like (可比口径): the same enterprises' revenue this year against last,
so a firm founded this year does not make its link look like it is growing.

Targets are ranked by the market a new enterprise would find nearby, the revenue of the links
that supply the link and of those it supplies (the parent link is the one it is fed by), times
how badly the link needs it (its gravest finding's weight: an empty link most, a falling one
least). An empty link between two busy ones ranks above an empty link at the end of a thin
chain. A link drawn with no neighbour serves its chain as a whole: its market is the chain's
average link."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.enterprise_facts import growth

STATUSES = ("empty", "weak", "strong")


@dataclass(frozen=True, slots=True)
class GapRules:
    """When a link with enterprises counts as weak (config/chain_rules.yaml)."""

    few_enterprises: int = 3  # fewer enterprises than this
    concentration: float = 0.6  # one enterprise holds at least this share of the link's revenue
    falling: float = -0.03  # like-for-like revenue growth below this (a 3 % fall)
    thin_share: float = 0.02  # the link's revenue below this share of its chain's
    # how much each finding weighs in the ranking (an empty link's market counts whole)
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "empty": 1.0, "few": 0.8, "alone": 0.8, "thin": 0.6, "concentrated": 0.5, "falling": 0.4
        }
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a link is a target: a code (its words are in the catalogue, chain.finding.*)
    and the figures the words quote."""

    code: str
    values: dict[str, object] = field(default_factory=dict)


def _top(group: pd.DataFrame) -> pd.Series:
    revenue = group["revenue"].fillna(0)
    if revenue.sum() <= 0:
        return pd.Series({"top_id": None, "top_name": None, "top_name_en": None, "top_share": np.nan})
    k = revenue.idxmax()
    return pd.Series(
        {
            "top_id": group.at[k, "id"],
            "top_name": group.at[k, "name"],
            "top_name_en": group.at[k, "name_en"],
            "top_share": float(revenue[k] / revenue.sum()),
        }
    )


def _findings(row: pd.Series, rules: GapRules) -> tuple[Finding, ...]:
    if row["enterprises"] == 0:
        return (Finding("empty"),)
    out = []
    alone = row["enterprises"] == 1 and pd.notna(row["top_share"])
    if row["enterprises"] < rules.few_enterprises and not alone:  # "alone" says it of a single firm
        out.append(Finding("few", {"count": int(row["enterprises"]), "minimum": rules.few_enterprises}))
    if pd.notna(row["top_share"]) and row["top_share"] >= rules.concentration:
        values = {"share": float(row["top_share"]), "name": row["top_name"], "name_en": row["top_name_en"]}
        out.append(Finding("alone" if alone else "concentrated", values))
    if pd.notna(row["growth"]) and row["growth"] < rules.falling:
        out.append(Finding("falling", {"growth": float(row["growth"])}))
    if pd.notna(row["chain_share"]) and row["chain_share"] < rules.thin_share:
        out.append(Finding("thin", {"share": float(row["chain_share"]), "limit": rules.thin_share}))
    return tuple(out)


def link_figures(links: pd.DataFrame, facts: pd.DataFrame, rules: GapRules) -> pd.DataFrame:
    """One row per link (the chains contract's columns) with its enterprises, revenue, tax,
    employees, like-for-like growth, largest enterprise and its share, share of the chain's
    revenue, status and findings (a tuple of Finding)."""
    base = links.drop_duplicates(["chain", "link"]).reset_index(drop=True)
    firms = facts[facts["chain_link"].notna()]
    grouped = firms.groupby("chain_link")
    sums = grouped[["revenue", "tax", "employees"]].sum(min_count=1)
    both = firms[firms["revenue"].notna() & firms["revenue_previous"].notna()]
    alike = both.groupby("chain_link")[["revenue", "revenue_previous"]].sum()
    tops = grouped[["id", "name", "name_en", "revenue"]].apply(_top) if len(firms) else None
    out = base.copy()
    out["enterprises"] = out["link"].map(grouped.size()).fillna(0).astype(int)
    for c in ("revenue", "tax", "employees"):
        out[c] = out["link"].map(sums[c]) if len(sums) else np.nan
    out["growth"] = (
        growth(out["link"].map(alike["revenue"]), out["link"].map(alike["revenue_previous"]))
        if len(alike)
        else np.nan
    )
    for c in ("top_id", "top_name", "top_name_en", "top_share"):
        out[c] = out["link"].map(tops[c]) if tops is not None and len(tops) else None
    out["top_share"] = pd.to_numeric(out["top_share"], errors="coerce")
    chain_revenue = out.groupby("chain")["revenue"].transform("sum")
    # a link without figures (its firms are new) has no share: it is unknown, not 0 %
    out["chain_share"] = out["revenue"] / chain_revenue.where(chain_revenue > 0)
    out["findings"] = [_findings(row, rules) for _, row in out.iterrows()]
    out["status"] = [
        "empty" if n == 0 else ("weak" if f else "strong")
        for n, f in zip(out["enterprises"], out["findings"], strict=True)
    ]
    return out


def neighbours(figures: pd.DataFrame) -> dict[str, tuple[list[str], list[str]]]:
    """link -> (the links that feed it, the links it feeds), within its chain."""
    feeds: dict[str, tuple[list[str], list[str]]] = {link: ([], []) for link in figures["link"]}
    for row in figures.itertuples(index=False):
        parent = row.parent_link
        if isinstance(parent, str) and parent in feeds and parent != row.link:
            feeds[row.link][0].append(parent)
            feeds[parent][1].append(row.link)
    return feeds


def targets(figures: pd.DataFrame, rules: GapRules) -> pd.DataFrame:
    """The empty and weak links, best target first: link columns plus upstream/downstream link
    ids, their enterprises and revenue (the nearby market) and the score ranked on."""
    feeds = neighbours(figures)
    by_link = figures.set_index("link")
    average = figures.groupby("chain")["revenue"].apply(lambda r: float(r.fillna(0).mean()))
    rows = []
    for row in figures[figures["status"] != "strong"].itertuples(index=False):
        up, down = feeds[row.link]
        near = by_link.loc[up + down]
        market = float(near["revenue"].fillna(0).sum()) if up or down else average[row.chain]
        weight = max(rules.weights.get(f.code, 0.0) for f in row.findings)
        rows.append(
            {
                **row._asdict(),
                "upstream": up,
                "downstream": down,
                "near_enterprises": int(near["enterprises"].sum()),
                "near_revenue": float(near["revenue"].fillna(0).sum()),
                "market": market,
                "score": market * weight,
            }
        )
    extra = ["upstream", "downstream", "near_enterprises", "near_revenue", "market", "score"]
    ranked = pd.DataFrame(rows, columns=[*figures.columns, *extra])
    ranked = ranked.sort_values(["score", "status", "link"], ascending=[False, True, True], kind="stable")
    ranked["rank"] = range(1, len(ranked) + 1)
    return ranked.reset_index(drop=True)


def chain_summary(figures: pd.DataFrame) -> pd.DataFrame:
    """One row per chain: links, filled (with enterprises), empty, weak, enterprises, revenue
    and revenue by stage (revenue_upstream, _midstream, _downstream)."""
    g = figures.groupby("chain", sort=False)
    out = pd.DataFrame(
        {
            "chain_name": g["chain_name"].first(),
            "chain_name_en": g["chain_name_en"].first(),
            "links": g.size(),
            "filled": g["enterprises"].apply(lambda s: int((s > 0).sum())),
            "empty": g["status"].apply(lambda s: int((s == "empty").sum())),
            "weak": g["status"].apply(lambda s: int((s == "weak").sum())),
            "enterprises": g["enterprises"].sum(),
            "revenue": g["revenue"].sum(min_count=1),
        }
    )
    for stage in ("upstream", "midstream", "downstream"):
        staged = figures[figures["stage"] == stage].groupby("chain")["revenue"].sum(min_count=1)
        out[f"revenue_{stage}"] = out.index.map(staged)
    return out.reset_index()


def chain_economy(facts: pd.DataFrame) -> pd.DataFrame:
    """One row per chain (and "" for the enterprises outside the chains): revenue, tax and
    employees of the last year, each with its like-for-like growth (the enterprises with
    figures in both years), and the number of enterprises."""
    firms = facts.assign(chain=facts["chain"].fillna(""))
    rows = {}
    for chain, group in firms.groupby("chain", sort=False):
        row: dict[str, float] = {"enterprises": float(len(group))}
        for measure in ("revenue", "tax", "employees"):
            row[measure] = float(group[measure].sum(min_count=1))
            both = group[group[measure].notna() & group[f"{measure}_previous"].notna()]
            now, before = both[measure].sum(), both[f"{measure}_previous"].sum()
            row[f"{measure}_growth"] = float(now / before - 1) if before > 0 else float("nan")
        rows[chain] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("chain").reset_index()


class RulesError(ValueError):
    """A malformed config/chain_rules.yaml: the message names the key at fault."""


def parse_rules(data: object) -> GapRules:
    """GapRules from the rules file's mapping (missing keys keep their defaults)."""
    if data is None:
        return GapRules()
    if not isinstance(data, dict):
        raise RulesError("chain rules: expected a mapping of rule names to numbers")
    defaults = GapRules()
    known = {"few_enterprises", "concentration", "falling", "thin_share", "weights"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RulesError(f"chain rules: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    values: dict[str, object] = {}
    for key in known - {"weights"}:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RulesError(f"chain rules: {key!r} must be a number, not {value!r}")
        if key in ("concentration", "thin_share") and not 0 < value <= 1:
            raise RulesError(f"chain rules: {key!r} is a share between 0 and 1, not {value!r}")
        values[key] = int(value) if key == "few_enterprises" else float(value)
    weights = dict(defaults.weights)
    given = data.get("weights") or {}
    if not isinstance(given, dict):
        raise RulesError("chain rules: 'weights' must map finding codes to numbers")
    for code, weight in given.items():
        if code not in weights:
            raise RulesError(f"chain rules: weights: unknown finding {code!r} (known: {', '.join(weights)})")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise RulesError(f"chain rules: weights: {code!r} must be a number ≥ 0, not {weight!r}")
        weights[code] = float(weight)
    return GapRules(**values, weights=weights)  # type: ignore[arg-type]
