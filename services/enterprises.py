"""Enterprise profiles (企业画像) and enterprise search, read from the chain view
(services/chains.py: computed once per change of the chain contracts), never from the snapshots
again: one firm's facts, link and chain, its yearly history and where it stands against its
link's median; search by name (Chinese or English) or by unified social credit code; the list
the API pages through. What lies near a firm (cases, alerts) is in services/enterprise_nearby.py.

Enterprises are the park's shared reference data (services/scoping.PARK_WIDE): every reader of
screens reads every profile."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from domain import credit_code
from domain.enterprise_facts import history
from domain.industry_classes import industry_classes
from services.chains import ChainView, chain_view

# The figures a profile sets against its link's median, in the order the page shows them.
MEASURES = ("revenue", "revenue_growth", "rd_share", "employees", "patents", "tax")
CODE_PREFIX_MIN = 6  # a shorter run of characters matches too many codes to be a search by code
MAX_TEXT = 100  # characters of a search read (a name is at most 200, but nobody types one whole)
MAX_LIMIT = 100
LINK_COLUMNS = ("link_name", "link_name_en", "chain_name", "chain_name_en")


@dataclass(frozen=True)
class Comparison:
    """One figure of the firm against the median of the N enterprises of its link that have it
    (the firm among them). `position` is above, below or at the median; None when the firm has
    no such figure or nobody in the link has."""

    measure: str
    value: float | None
    median: float | None
    count: int
    position: str | None


@dataclass(frozen=True)
class Profile:
    facts: dict[str, Any]  # domain.enterprise_facts.COLUMNS and the LINK_COLUMNS, plain values
    industry_name: str | None  # the GB/T 4754-2017 class's name (the standard names it in Chinese)
    history: list[dict[str, Any]]  # year, revenue, tax, employees, rd_spending, patents, growth, share
    comparisons: tuple[Comparison, ...]  # empty when the firm is in no link
    year: int | None  # the year of the facts' figures
    stale: tuple[str, ...]  # the chain contracts whose source is down (these are its last read)
    sources: tuple[str, ...]
    computed_at: datetime


@dataclass(frozen=True)
class CodeProblem:
    """Why a search that reads as a credit code is none: `kind` (length, character, check) and
    the values the page's words quote; `message` is the same in English (the API's)."""

    code: str
    kind: str
    values: dict[str, Any]
    message: str


@dataclass(frozen=True)
class Found:
    """A page of enterprises (plain values, best match first) and how many match in all; or
    the reason a credit code searched for cannot be one (then nothing is searched)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    problem: CodeProblem | None = None


class UnknownFilter(ValueError):
    """A chain or link the park's chains do not have (the message names it)."""


@functools.cache
def _class_names() -> dict[str, str]:
    classes = industry_classes()
    return dict(zip(classes["code"], classes["name"], strict=True))


def industry_name(code: str | None) -> str | None:
    return _class_names().get(str(code)) if code else None


def plain(value: Any) -> Any:
    """A frame's cell as JSON takes it: None for NaN/NA/NaT, ints and floats as Python's."""
    if value is None or (not isinstance(value, str | tuple | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, date):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _with_links(view: ChainView, firms: pd.DataFrame) -> pd.DataFrame:
    """The facts with their link's and chain's names in both languages."""
    names = view.links.drop_duplicates("link").set_index("link")
    out = firms.copy()
    for column, source in zip(LINK_COLUMNS, ("name", "name_en", "chain_name", "chain_name_en"), strict=True):
        out[column] = out["chain_link"].map(names[source]) if len(names) else None
    return out


def _compare(view: ChainView, firm: pd.Series) -> tuple[Comparison, ...]:
    link = firm["chain_link"]
    if not isinstance(link, str):
        return ()
    peers = view.facts[view.facts["chain_link"] == link]
    out = []
    for measure in MEASURES:
        values = pd.to_numeric(peers[measure], errors="coerce").dropna()
        median = float(values.median()) if len(values) else None
        value = plain(pd.to_numeric(pd.Series([firm[measure]]), errors="coerce").iloc[0])
        position = None
        if value is not None and median is not None:
            close = math.isclose(value, median, rel_tol=1e-9, abs_tol=1e-12)
            position = "at" if close else ("above" if value > median else "below")
        out.append(Comparison(measure, value, median, len(values), position))
    return tuple(out)


def profile(enterprise_id: str) -> Profile | None:
    """The profile of `enterprise_id`, or None when the park has no such enterprise."""
    cached = chain_view()
    view = cached.value
    rows = view.facts[view.facts["id"] == enterprise_id]
    if rows.empty:
        return None
    firm = _with_links(view, rows.head(1)).iloc[0]
    return Profile(
        facts={k: plain(v) for k, v in firm.items()},
        industry_name=industry_name(firm["industry_code"]),
        history=_records(history(view.figures, enterprise_id)),
        comparisons=_compare(view, firm),
        year=view.year,
        stale=view.stale,
        sources=view.sources,
        computed_at=cached.computed_at,
    )


def code_problem(code: str) -> CodeProblem | None:
    """Why `code` (normalised) is not a unified social credit code, or None when it is one."""
    message = credit_code.problem(code)
    if message is None:
        return None
    values: dict[str, Any]
    if len(code) != 18:
        kind, values = "length", {"count": len(code)}
    elif not credit_code.SHAPE.fullmatch(code):
        kind, values = "character", {"char": next(ch for ch in code if ch not in credit_code.ALPHABET)}
    else:
        kind, values = "check", {"expected": credit_code.check_character(code[:17]), "given": code[17]}
    return CodeProblem(code, kind, values, f"not a valid credit code: {code} ({message})")


def _as_code(text: str) -> str | None:
    """The text as a credit code or a code's beginning: letters and digits only, with a digit
    (a name in letters alone, "Shengjun", is a name), at least CODE_PREFIX_MIN long."""
    code = credit_code.normalise(text)
    if len(code) >= CODE_PREFIX_MIN and re.fullmatch(r"[0-9A-Z]+", code) and re.search(r"\d", code):
        return code
    return None


def _matches(facts: pd.DataFrame, text: str) -> tuple[pd.DataFrame, CodeProblem | None]:
    """The firms matching `text`, best first: a whole code or a code's beginning, then names
    equal to the text, beginning with it, containing it (either language, any case)."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return facts, None
    code = _as_code(text)
    if code is not None and len(code) >= 18:
        problem = code_problem(code)
        if problem is not None:
            return facts.iloc[0:0], problem
    rank = pd.Series(99, index=facts.index)
    if code is not None:
        codes = facts["credit_code"].fillna("").astype(str)
        rank = rank.where(~codes.str.startswith(code), 0)
    folded = text.casefold()
    for column in ("name", "name_en"):
        names = facts[column].fillna("").astype(str).str.casefold()
        rank = rank.where(~names.str.contains(folded, regex=False), rank.clip(upper=3))
        rank = rank.where(~names.str.startswith(folded), rank.clip(upper=2))
        rank = rank.where(names != folded, rank.clip(upper=1))
    found = facts.assign(_rank=rank)[rank < 99]
    return found.sort_values(["_rank", "id"], kind="stable").drop(columns="_rank"), None


def search(text: str, limit: int = 20) -> Found:
    """Enterprises by name (Chinese or English: part of it, any case) or by credit code (whole,
    or its first CODE_PREFIX_MIN characters or more), best match first, at most `limit`. A text
    of 18 or more letters and digits that is no valid code answers its problem, not "no match"
    (a mistyped code must not read as an unknown firm). An empty text finds nothing."""
    if not text or not text.strip():
        return Found()
    view = chain_view().value
    found, problem = _matches(view.facts, text)
    if problem is not None:
        return Found(problem=problem)
    limit = max(1, min(int(limit), MAX_LIMIT))
    return Found(_records(_with_links(view, found.head(limit))), len(found))


def largest(limit: int = 20) -> Found:
    """The park's largest enterprises by last year's revenue (what the search shows before a
    search: a person arriving sees firms, not an empty page)."""
    view = chain_view().value
    ranked = view.facts.sort_values(["revenue", "id"], ascending=[False, True], na_position="last")
    limit = max(1, min(int(limit), MAX_LIMIT))
    return Found(_records(_with_links(view, ranked.head(limit))), len(ranked))


def listing(
    text: str | None = None,
    chain: str | None = None,
    link: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Found:
    """A page of the enterprises matching the search `text` (as `search` reads it) and in
    `chain` and `link` when given, best match first (by id without a text), with their facts
    and link names. UnknownFilter for a chain or link the park does not have."""
    view = chain_view().value
    links = view.links
    if chain and chain not in set(links["chain"]):
        raise UnknownFilter(f"unknown chain {chain[:64]!r}")
    if link and link not in set(links["link"]):
        raise UnknownFilter(f"unknown link {link[:64]!r}")
    facts = view.facts
    if chain:
        facts = facts[facts["chain"] == chain]
    if link:
        facts = facts[facts["chain_link"] == link]
    if text and text.strip():
        facts, problem = _matches(facts, text)
        if problem is not None:
            return Found(problem=problem)
    else:
        facts = facts.sort_values("id", kind="stable")
    page = facts.iloc[offset : offset + limit]
    return Found(_records(_with_links(view, page)), len(facts))
