"""Policy matching as the pages, the API and the enterprise profile read it: the policies
(config/policies.yaml, checked at start-up) and, for each, the enterprises that qualify,
nearly qualify or lack the figures to say, computed from the chain view's facts
(services/chains.py) once per change of the chains, enterprises and enterprise-figures
contracts (services/figure_cache.py).

Enterprises are the park's shared reference data (services/scoping.PARK_WIDE): every role that
may read records reads every match; exports need the export permission (the page and API check)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from domain.policies import STATUSES, Reason, counts, evaluate
from domain.policy_book import Policy, PolicyBook, PolicyError, parse_book
from services.chains import CONTRACTS, chain_view
from services.config_files import load_config
from services.context import get_services
from services.figure_cache import Cached, cached_figure

# The facts a listed enterprise is shown with (domain.enterprise_facts.COLUMNS)
SHOWN = (
    "id", "name", "name_en", "credit_code", "industry_code", "chain", "chain_link", "stage", "size",
    "age_years", "revenue", "revenue_growth", "rd_share", "employees", "patents", "patents_total",
)  # fmt: skip


class UnknownPolicy(LookupError):
    """No policy has this id: the message names the ones there are."""


@dataclass(frozen=True)
class PolicyMatches:
    """Every policy's listed enterprises (domain.policies.COLUMNS) and their counts by status."""

    matched: pd.DataFrame
    counts: pd.DataFrame  # index policy id, columns STATUSES
    year: int | None  # the figures' year
    stale: tuple[str, ...]  # contracts whose source is down (the matches are over the last read)


@dataclass(frozen=True)
class PolicyMatch:
    """One policy an enterprise meets or nearly meets, for its profile: `reasons` are
    domain.policies' Shortfall and NoFigures (components.policy_words.reason_text says them)."""

    policy_id: str
    name: str
    name_en: str
    status: str  # one of domain.policies.STATUSES
    reasons: tuple[Reason, ...]
    benefit: str
    benefit_en: str
    valid_until: date | None


def load_policies(path: Path) -> PolicyBook:
    """The policy file; PolicyError naming the file, the policy and the key at fault."""
    return load_config(path, parse_book, PolicyError)


@functools.cache
def _book(path: Path) -> PolicyBook:
    return load_policies(path)


def book() -> PolicyBook:
    return _book(get_services().settings.policies_file)


def today() -> date:
    """The park's date (a policy's days of force are the park's)."""
    return datetime.now(UTC).astimezone(get_services().settings.zone).date()


def policy(policy_id: str) -> Policy:
    """The policy `policy_id`; UnknownPolicy otherwise."""
    found = book().get(policy_id) if isinstance(policy_id, str) else None
    if found is None:
        known = ", ".join(p.id for p in book().policies)
        raise UnknownPolicy(f"no policy {str(policy_id)[:64]!r} (there are: {known})")
    return found


def _compute() -> PolicyMatches:
    view = chain_view().value
    matched = evaluate(book(), view.facts, view.links)
    return PolicyMatches(matched, counts(book(), matched), view.year, view.stale)


def policy_matches() -> Cached[PolicyMatches]:
    """Every policy's matches, from the cache while none of the chain contracts changed."""
    return cached_figure("policy-matches", CONTRACTS, _compute)


def matches(policy_id: str, status: str | None = None) -> pd.DataFrame:
    """The enterprises `policy_id` lists (all of STATUSES, or the one `status`), with their
    facts (SHOWN), status and reasons: qualifying first, then nearly, then those lacking
    figures, each by revenue, largest first. UnknownPolicy for an unknown id, ValueError for
    a status not in STATUSES."""
    policy(policy_id)
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {str(status)[:32]!r} (one of {', '.join(STATUSES)})")
    found = policy_matches().value.matched
    rows = found[found["policy"] == policy_id]
    if status is not None:
        rows = rows[rows["status"] == status]
    facts = chain_view().value.facts[list(SHOWN)]
    out = rows[["id", "status", "reasons"]].merge(facts, on="id", how="left")
    out["order"] = out["status"].map({s: i for i, s in enumerate(STATUSES)})
    out = out.sort_values(["order", "revenue", "name"], ascending=[True, False, True], na_position="last")
    return out.drop(columns="order").reset_index(drop=True)


def policies_for(enterprise_id: str) -> list[PolicyMatch]:
    """The policies in force today that `enterprise_id` qualifies for, nearly qualifies for or
    lacks the figures to judge (in that order, then the book's): an unknown enterprise has none."""
    found = policy_matches().value.matched
    rows = found[found["id"] == enterprise_id]
    day, out = today(), []
    order = {s: i for i, s in enumerate(STATUSES)}
    for row in sorted(rows.itertuples(index=False), key=lambda r: order[r.status]):
        p = book().get(row.policy)
        if p is None or p.in_force(day) != "in_force":
            continue
        out.append(
            PolicyMatch(
                policy_id=p.id,
                name=p.text("name", "zh"),
                name_en=p.text("name", "en"),
                status=row.status,
                reasons=row.reasons,
                benefit=p.text("benefit", "zh"),
                benefit_en=p.text("benefit", "en"),
                valid_until=p.valid_until,
            )
        )
    return out
