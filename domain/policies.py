"""Which enterprises each policy finds (政策找企业), from the facts frame
(domain/enterprise_facts.py) and the policies (domain/policy_book.py).

For one policy an enterprise
- *qualifies* when every criterion holds;
- *nearly* qualifies when every choice holds (its chain, link, stage, size, industry) and at
  most the book's `at_most` bounds are missed, each by no more than its margin (a share of the
  threshold, or the bound's own `near`): the reason names the figure, its value, the threshold
  and the gap in the figure's unit. A missed choice (the wrong chain) is never "nearly": no
  effort of the firm's closes it;
- has *no_figures* when it would qualify or nearly qualify but a figure a criterion needs is
  missing (no R&D figures for the year, no founding date, no size class): that is a reason of
  its own, for the park to ask for the figures, never a silent miss;
- *misses* otherwise (not listed).

Derived columns the criteria may read: `chain_rank`, the enterprise's place in its chain by
revenue (1 = largest; 链主, the chain's leading firms), and `link_status`, its link's status
from the chain analysis (empty, weak, strong; 补链 and 强链 awards).

Vectorised: each criterion is one pass over the facts columns; only the listed rows that
carry reasons are visited one by one. 2,000 enterprises × 12 policies take a few milliseconds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from domain.policy_book import BOUNDS, CHOICES, Bound, Policy, PolicyBook

STATUSES = ("qualifies", "nearly", "no_figures")  # those listed; every other enterprise misses
EPSILON = 1e-9  # a gap equal to the margin is within it, whatever the float rounding
COLUMNS = ("policy", "id", "status", "reasons")
# The criteria drawn from the year's figures (a firm without that year's figures lacks them all)
FROM_YEAR = frozenset({"revenue", "employees", "rd_share", "revenue_growth", "patents", "chain_rank"})


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A bound missed: the figure's `value`, the `threshold` it misses (`bound` min or max) and
    the `gap` between them (positive), all in the criterion's `unit` (shares as fractions)."""

    criterion: str
    bound: str
    value: float
    threshold: float
    gap: float
    unit: str
    kind: str = "shortfall"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class NoFigures:
    """A criterion that cannot be judged: the enterprise has no figure for it (`year`: the
    figures' year, for the words "no R&D figures for 2025"); criterion "year" when the firm
    has no figures at all for the year."""

    criterion: str
    year: int | None
    kind: str = "no_figures"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Reason = Shortfall | NoFigures


def with_derived(facts: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """`facts` with chain_rank (by revenue within the chain, 1 = largest; NaN without a chain or
    revenue) and link_status (from `links`, domain.chain_analysis.link_figures; NaN without)."""
    out = facts.copy()
    revenue = pd.to_numeric(out["revenue"], errors="coerce")
    out["chain_rank"] = revenue.groupby(out["chain"]).rank(ascending=False, method="min")
    if links is not None and not links.empty:
        out["link_status"] = out["chain_link"].map(links.drop_duplicates("link").set_index("link")["status"])
    else:
        out["link_status"] = None
    return out


def _gaps(bound: Bound, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gap, below) per row: how far the value lies outside the bound (0 inside, NaN when
    unknown), and whether it lies below the minimum (else the maximum is the threshold)."""
    below = bound.minimum - values if bound.minimum is not None else np.zeros_like(values)
    above = values - bound.maximum if bound.maximum is not None else np.zeros_like(values)
    return np.maximum(np.maximum(below, above), 0.0), below > 0


def _choice_fits(key: str, allowed: tuple[str, ...], facts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(fits, unknown) per row for a choice criterion; only the size class may be unknown (a
    figure it is drawn from is missing): every other empty value simply does not fit."""
    column = facts[CHOICES[key]]
    if key in ("industry", "industry_not"):
        hit = column.fillna("").astype(str).str.startswith(allowed).to_numpy(dtype=bool)
        return (~hit if key == "industry_not" else hit), np.zeros(len(facts), dtype=bool)
    fits = column.isin(allowed).to_numpy(dtype=bool)
    unknown = column.isna().to_numpy(dtype=bool) if key == "size" else np.zeros(len(facts), dtype=bool)
    return fits, unknown


def figure_arrays(facts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The bound criteria's columns of `facts` (with_derived) as float arrays (NaN: no figure),
    read once for every policy."""
    return {c: pd.to_numeric(facts[c], errors="coerce").to_numpy(dtype=float) for c in BOUNDS}


def judge(
    policy: Policy, facts: pd.DataFrame, figures: dict[str, np.ndarray], tolerance: float, at_most: int
) -> np.ndarray:
    """Each row's status for `policy` (an array of STATUSES and 'misses'); `facts` with the
    derived columns (with_derived), `figures` its figure_arrays."""
    n = len(facts)
    fits = np.ones(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    for key, allowed in policy.choices.items():
        ok, missing = _choice_fits(key, allowed, facts)
        fits &= ok | missing
        unknown |= missing
    missed = np.zeros(n, dtype=int)
    far = np.zeros(n, dtype=bool)
    for bound in policy.bounds:
        values = figures[bound.criterion]
        if bound.criterion == "chain_rank":  # a firm outside the chains has no place in one
            fits &= facts["chain"].notna().to_numpy(dtype=bool)
        gap, below = _gaps(bound, values)
        threshold = np.where(below, bound.minimum or 0.0, bound.maximum or 0.0)
        margin = bound.near if bound.near is not None else tolerance * np.abs(threshold)
        known = ~np.isnan(values)
        out = known & (gap > 0)
        missed += out
        far |= out & (gap > margin + EPSILON)
        unknown |= ~known
    listed = fits & ~far & (missed <= at_most)
    return np.select(
        [~listed, unknown, missed == 0],
        ["misses", "no_figures", "qualifies"],
        default="nearly",
    )


def _reasons(policy: Policy, figures: dict[str, np.ndarray], size_unknown: np.ndarray, row: int,
             year: int | None) -> tuple[Reason, ...]:  # fmt: skip
    """Why the enterprise at `row` does not simply qualify: each figure it lacks as NoFigures,
    each missed bound as a Shortfall, in the policy's order."""
    out: list[Reason] = []
    # a firm with no figures at all for the year (founded since, or not reported) lacks every
    # figure drawn from them: one reason says so, not one per criterion
    no_year = np.isnan(figures["revenue"][row]) and np.isnan(figures["employees"][row])
    needs_year = ("size" in policy.choices and size_unknown[row]) or any(
        b.criterion in FROM_YEAR and np.isnan(figures[b.criterion][row]) for b in policy.bounds
    )
    if no_year and needs_year:
        out.append(NoFigures("year", year))
    elif "size" in policy.choices and size_unknown[row]:
        out.append(NoFigures("size", year))
    for bound in policy.bounds:
        value = float(figures[bound.criterion][row])
        if value != value and no_year and bound.criterion in FROM_YEAR:
            continue  # said once above
        if value != value:  # NaN: no figure
            out.append(NoFigures(bound.criterion, year))
        elif bound.minimum is not None and value < bound.minimum:
            out.append(
                Shortfall(bound.criterion, "min", value, bound.minimum, bound.minimum - value, bound.unit)
            )
        elif bound.maximum is not None and value > bound.maximum:
            out.append(
                Shortfall(bound.criterion, "max", value, bound.maximum, value - bound.maximum, bound.unit)
            )
    return tuple(out)


def evaluate(book: PolicyBook, facts: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per policy and listed enterprise (COLUMNS: policy id, enterprise id, status,
    reasons, a tuple of Shortfall and NoFigures; empty for those that qualify), in the book's
    policy order and the facts' enterprise order."""
    derived = with_derived(facts, links).reset_index(drop=True)
    figures = figure_arrays(derived)
    size_unknown = derived["size"].isna().to_numpy(dtype=bool)
    years = pd.to_numeric(derived["year"], errors="coerce").dropna()
    year = int(years.iloc[0]) if len(years) else None  # one year for all: the park's latest
    ids = derived["id"].to_numpy()
    frames = []
    for policy in book.policies:
        status = judge(policy, derived, figures, book.tolerance, book.at_most)
        listed = np.flatnonzero(status != "misses")
        why = np.empty(len(listed), dtype=object)  # tuples as cells, not spread into columns
        for k, i in enumerate(listed.tolist()):
            why[k] = _reasons(policy, figures, size_unknown, i, year) if status[i] != "qualifies" else ()
        frames.append(
            pd.DataFrame({"policy": policy.id, "id": ids[listed], "status": status[listed], "reasons": why})
        )
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def unknown_references(policy: Policy, links: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """The chain and link ids `policy` names that the chains contract (`links`: chain, link)
    does not have: no enterprise can meet such a criterion, which the page says rather than
    showing an empty list as if nobody qualified. Empty when all are known (or no chains)."""
    if links.empty:
        return {}
    known = {"chain": set(links["chain"]), "chain_link": set(links["link"])}
    out = {}
    for key, ids in known.items():
        missing = tuple(v for v in policy.choices.get(key, ()) if v not in ids)
        if missing:
            out[key] = missing
    return out


def counts(book: PolicyBook, matched: pd.DataFrame) -> pd.DataFrame:
    """Per policy (index: policy id, in the book's order) the number of enterprises in each of
    STATUSES."""
    table = pd.crosstab(matched["policy"], matched["status"]) if len(matched) else pd.DataFrame()
    table = table.reindex(index=[p.id for p in book.policies], columns=list(STATUSES), fill_value=0)
    return table.fillna(0).astype(int)
