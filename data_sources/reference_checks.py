"""Checks on enterprises, their yearly figures and the industry chains that a row's own fields
cannot answer: against reference data (the GB/T 4754-2017 classes, the credit code's check
character, the current year), against the rest of its batch (chain links' parents and circles),
and against another contract's current rows (an enterprise's chain link, a figure's enterprise).

They run after the field-level validation (data_sources/validation.validate) on the rows it kept,
and reject row by row with a reason in words, as it does: the rest of the batch loads. A check
that needs another contract's rows fails closed: when those rows cannot be had (no source serves
them, or their source has never been read), the rows that refer to them are rejected with that
reason rather than let through unchecked; rows that refer to nothing are kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data_sources.contracts import CONTRACTS
from data_sources.validation import KEY_SEPARATOR, Rejection, ValidationResult, shorten
from domain.chain_rows import LinkRow, link_problems
from domain.credit_code import problem as credit_code_problem
from domain.industry_classes import class_codes

# The contracts each checked contract refers to: an enterprise names its chain link, a yearly
# figure its enterprise. Acyclic, so fetching references never comes back to the first read.
REFERS_TO: dict[str, tuple[str, ...]] = {
    "enterprises": ("chains",),
    "enterprise_figures": ("enterprises",),
    "chains": (),
}
CHECKED = frozenset(REFERS_TO)


@dataclass(frozen=True, slots=True)
class Reference:
    """The current rows of a contract that another refers to, or (frame None) why there are
    none to check against."""

    frame: pd.DataFrame | None
    problem: str | None = None


# (position among the good rows, field, the value as shown, reason)
Finding = tuple[int, str, object, str]


def check_references(
    result: ValidationResult,
    contract: str,
    source: str,
    references: Mapping[str, Reference],
    today: date,
) -> ValidationResult:
    """`result` (validate's, for `contract` read from `source`) without the rows these checks
    reject, and with their rejections added. `references` holds the current rows of the
    contracts `contract` refers to (REFERS_TO); one that is absent counts as unavailable.
    `today` is the date the current year is taken from. Other contracts pass unchanged."""
    good = result.good
    if contract not in CHECKED or good.empty:
        return result
    if contract == "enterprises":
        findings = _enterprise_findings(good, references.get("chains"))
    elif contract == "enterprise_figures":
        findings = _figure_findings(good, references.get("enterprises"), today)
    else:
        findings = _chain_findings(good)
    if not findings:
        return result
    rows = result.rows or list(range(len(good)))
    keys = _keys(good, CONTRACTS[contract].key)
    rejections = [
        Rejection(source, contract, rows[at], keys[at], field, _shown(value), reason)
        for at, field, value, reason in sorted(findings, key=lambda finding: finding[0])
    ]
    bad = np.zeros(len(good), dtype=bool)
    bad[[at for at, *_ in findings]] = True
    return ValidationResult(
        good=good[~bad].reset_index(drop=True),
        rejections=result.rejections + rejections,
        rows=[row for row, rejected in zip(rows, bad, strict=True) if not rejected],
    )


def _enterprise_findings(good: pd.DataFrame, chains: Reference | None) -> list[Finding]:
    findings: list[Finding] = []
    codes = good["industry_code"]
    for at in _positions(~codes.isin(class_codes()).to_numpy(dtype=bool)):
        findings.append((at, "industry_code", codes.iat[at], "not a four-digit class of GB/T 4754-2017"))
    credit = good["credit_code"]
    for at in _positions(credit.notna().to_numpy(dtype=bool)):
        why = credit_code_problem(str(credit.iat[at]))
        if why is not None:
            findings.append((at, "credit_code", credit.iat[at], f"not a unified social credit code: {why}"))
    findings += _dangling(
        good["chain_link"], chains, "chains", "link", "names no link of the industry chains"
    )
    return findings


def _figure_findings(good: pd.DataFrame, enterprises: Reference | None, today: date) -> list[Finding]:
    years = good["year"]
    future = (years > today.year).fillna(False).to_numpy(dtype=bool)
    findings: list[Finding] = [
        (at, "year", years.iat[at], f"a year in the future (this is {today.year})")
        for at in _positions(future)
    ]
    findings += _dangling(good["enterprise_id"], enterprises, "enterprises", "id", "names no enterprise")
    return findings


def _chain_findings(good: pd.DataFrame) -> list[Finding]:
    rows = [
        LinkRow(chain, link, None if pd.isna(parent) else parent)
        for chain, link, parent in zip(good["chain"], good["link"], good["parent_link"], strict=True)
    ]
    findings: list[Finding] = []
    for at, (part, reason) in link_problems(rows).items():
        field = "link" if part == "link" else "parent_link"
        findings.append((at, field, good[field].iat[at], reason))
    return findings


def _dangling(
    names: pd.Series, reference: Reference | None, contract: str, column: str, reason: str
) -> list[Finding]:
    """Rows whose `names` value (when present) is no `column` value of the `contract` rows."""
    named = names.notna().to_numpy(dtype=bool)
    field = str(names.name)
    if reference is None or reference.frame is None:
        why = (reference.problem if reference else None) or f"no {contract} to check against"
        return [(at, field, names.iat[at], f"cannot be checked: {why}") for at in _positions(named)]
    known = names.isin(reference.frame[column].dropna()).to_numpy(dtype=bool)
    return [(at, field, names.iat[at], reason) for at in _positions(named & ~known)]


def _positions(mask: np.ndarray) -> list[int]:
    return [int(at) for at in np.flatnonzero(mask)]


def _keys(good: pd.DataFrame, key: tuple[str, ...]) -> list[str | None]:
    """Each good row's key as validate's rejections show it (parts joined by KEY_SEPARATOR)."""
    if not key:
        return [None] * len(good)
    parts = good[list(key)].astype("string")
    return [KEY_SEPARATOR.join(str(p) for p in row) for row in parts.itertuples(index=False)]


def _shown(value: object) -> str:
    if value is None or value is pd.NA:
        return "<missing>"
    # numpy's scalars print as np.int64(2031); show the plain value, as validate does
    return shorten(value.item() if isinstance(value, np.generic) else value)
