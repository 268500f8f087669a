"""Support policies as config/policies.yaml writes them (政策找企业: "the policy finds the
enterprise"): who issues each, what it gives, when it is in force and the criteria an
enterprise must meet, checked whole before the app serves anything. A malformed entry raises
PolicyError naming the policy and the key at fault.

A criterion is either a choice (the enterprise's value must be one of a list: its chain, link,
stage, size class, its link's status, an industry class prefix of GB/T 4754-2017) or a bound
on a figure of the enterprise facts (domain/enterprise_facts.py): `{min: …, max: …}`, in the
figure's own unit (shares as fractions: 0.03 is 3 %; money in 10,000 yuan, as the figures).
How far a bound may be missed and still count as "nearly" is the book's `nearly` setting,
a share of the threshold, or a bound's own `near`, in its unit (for a threshold of 0, where a
share of it is nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.enterprise_sizes import SIZES

STAGES = ("upstream", "midstream", "downstream")
LINK_STATUSES = ("empty", "weak", "strong")  # domain.chain_analysis.STATUSES
# Choice criteria -> the facts column they read (industry and industry_not read prefixes)
CHOICES = {
    "industry": "industry_code",
    "industry_not": "industry_code",
    "chain": "chain",
    "chain_link": "chain_link",
    "stage": "stage",
    "size": "size",
    "link_status": "link_status",
}
# Bound criteria -> their unit (components/policy_words.py writes each unit)
BOUNDS = {
    "rd_share": "share",
    "revenue_growth": "share",
    "revenue": "wan_yuan",
    "employees": "people",
    "patents": "count",
    "patents_total": "count",
    "age_years": "years",
    "chain_rank": "rank",
}
# Shares are fractions: 3 for 3 % is a slip, caught here (growth may exceed 100 %, not 1,000 %)
SHARE_RANGES = {"rd_share": (0.0, 1.0), "revenue_growth": (-1.0, 10.0)}
CLOSED_CHOICES = {"size": SIZES, "stage": STAGES, "link_status": LINK_STATUSES}
# A GB/T 4754-2017 prefix: a division (2 digits), a group (3) or a class (4)
INDUSTRY_PREFIX = re.compile(r"^\d{2,4}$")
POLICY_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
TEXTS = ("name", "issuer", "summary", "benefit")  # each {zh: …, en: …}
POLICY_KEYS = {"id", *TEXTS, "document", "valid", "criteria"}


class PolicyError(ValueError):
    """A malformed policy file: the message names the policy and the key at fault."""


@dataclass(frozen=True, slots=True)
class Bound:
    """A figure's allowed range; `near` (in the figure's unit) overrides the book's tolerance."""

    criterion: str
    minimum: float | None = None
    maximum: float | None = None
    near: float | None = None

    @property
    def unit(self) -> str:
        return BOUNDS[self.criterion]


@dataclass(frozen=True, slots=True)
class Policy:
    """One policy: its texts in both languages ({"zh": …, "en": …}), the days it is in force
    (valid_until None: until revoked) and its criteria."""

    id: str
    texts: dict[str, dict[str, str]]  # name, issuer, summary, benefit, document -> lang -> text
    valid_from: date
    valid_until: date | None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bounds: tuple[Bound, ...] = ()

    def text(self, what: str, lang: str) -> str:
        """One of the policy's texts in `lang` ('' when the policy has none, e.g. no document)."""
        return self.texts.get(what, {}).get(lang, "")

    def in_force(self, day: date) -> str:
        """'in_force', 'upcoming' or 'expired' on `day`."""
        if day < self.valid_from:
            return "upcoming"
        if self.valid_until is not None and day > self.valid_until:
            return "expired"
        return "in_force"


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """The policies, and when a missed bound still counts as nearly met: each missed by at most
    `tolerance` of its threshold (or its own `near`), and at most `at_most` of them."""

    policies: tuple[Policy, ...]
    tolerance: float = 0.2
    at_most: int = 1

    def get(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PolicyError(f"{where} must be a number, not {value!r}")
    return float(value)


def _texts(where: str, key: str, value: Any, required: bool = True) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        raise PolicyError(
            f"{where}: {key!r} needs its text in both languages, {{zh: …, en: …}}, not {value!r}"
        )
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise PolicyError(f"{where}: {key!r}.{lang} must be a text, not {text!r}")
    return {lang: text.strip() for lang, text in value.items()}


def _day(where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyError(f"{where} must be a date (YYYY-MM-DD), not {value!r}")


def _valid(where: str, value: Any) -> tuple[date, date | None]:
    if not isinstance(value, dict) or "from" not in value or set(value) - {"from", "until"}:
        raise PolicyError(f"{where}: 'valid' needs from (and until, if the policy ends): {value!r}")
    start = _day(f"{where}: valid.from", value["from"])
    end = None if value.get("until") is None else _day(f"{where}: valid.until", value["until"])
    if end is not None and end < start:
        raise PolicyError(f"{where}: valid.until {end} is before valid.from {start}")
    return start, end


def _choice(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]  # one value alone reads as a list of one
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{where}: {key!r} must be a non-empty list, not {value!r}")
    items = tuple(str(v).strip() for v in value)
    known = CLOSED_CHOICES.get(key)
    for item in items:
        if key in ("industry", "industry_not") and not INDUSTRY_PREFIX.match(item):
            raise PolicyError(
                f"{where}: {key!r}: {item!r} is not a GB/T 4754-2017 division, group or class (2–4 digits)"
            )
        if known is not None and item not in known:
            raise PolicyError(f"{where}: {key!r}: unknown value {item!r} (known: {', '.join(known)})")
        if not item:
            raise PolicyError(f"{where}: {key!r} holds an empty value")
    return items


def _bound(where: str, key: str, value: Any) -> Bound:
    if not isinstance(value, dict) or not value or set(value) - {"min", "max", "near"}:
        raise PolicyError(f"{where}: {key!r} must be {{min: …, max: …}} (and near), not {value!r}")
    low = None if value.get("min") is None else _number(f"{where}: {key}.min", value["min"])
    high = None if value.get("max") is None else _number(f"{where}: {key}.max", value["max"])
    if low is None and high is None:
        raise PolicyError(f"{where}: {key!r} needs a min or a max")
    if low is not None and high is not None and low > high:
        raise PolicyError(f"{where}: {key!r}: min {low:g} is greater than max {high:g}")
    near = None if value.get("near") is None else _number(f"{where}: {key}.near", value["near"])
    if near is not None and near < 0:
        raise PolicyError(f"{where}: {key}.near must be ≥ 0, not {near:g}")
    lowest, highest = SHARE_RANGES.get(key, (float("-inf"), float("inf")))
    for v in (low, high):
        if v is not None and not lowest <= v <= highest:
            raise PolicyError(
                f"{where}: {key!r} is a share (0.03 is 3 %) between {lowest:g} and {highest:g}, not {v:g}"
            )
    return Bound(key, low, high, near)


def parse_policy(data: Any, index: int) -> Policy:
    """One policy entry (the `index`-th, for the message when it has no id)."""
    if not isinstance(data, dict):
        raise PolicyError(f"policy #{index + 1}: expected a mapping, not {data!r}")
    policy_id = data.get("id")
    if not isinstance(policy_id, str) or not POLICY_ID.match(policy_id):
        raise PolicyError(
            f"policy #{index + 1}: 'id' must be lower-case letters, digits and _, not {policy_id!r}"
        )
    where = f"policy {policy_id!r}"
    unknown = sorted(set(data) - POLICY_KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(POLICY_KEYS))})")
    texts = {key: _texts(where, key, data.get(key)) for key in TEXTS}
    if data.get("document") is not None:
        texts["document"] = _texts(where, "document", data["document"])
    valid_from, valid_until = _valid(where, data.get("valid"))
    criteria = data.get("criteria")
    if not isinstance(criteria, dict) or not criteria:
        raise PolicyError(
            f"{where}: 'criteria' must map criteria to values (a policy for every firm is no match)"
        )
    choices: dict[str, tuple[str, ...]] = {}
    bounds: list[Bound] = []
    for key, value in criteria.items():
        if key in CHOICES:
            choices[key] = _choice(where, key, value)
        elif key in BOUNDS:
            bounds.append(_bound(where, key, value))
        else:
            known = ", ".join([*CHOICES, *BOUNDS])
            raise PolicyError(f"{where}: unknown criterion {key!r} (known: {known})")
    return Policy(policy_id, texts, valid_from, valid_until, choices, tuple(bounds))


def parse_book(data: Any) -> PolicyBook:
    """The policy file's mapping: `nearly` ({tolerance, at_most}) and `policies` (a list)."""
    if not isinstance(data, dict) or set(data) - {"nearly", "policies"}:
        raise PolicyError("policies: expected a mapping with 'policies' (and 'nearly')")
    nearly = data.get("nearly") or {}
    if not isinstance(nearly, dict) or set(nearly) - {"tolerance", "at_most"}:
        raise PolicyError(f"policies: 'nearly' takes tolerance and at_most, not {nearly!r}")
    tolerance = _number("policies: nearly.tolerance", nearly.get("tolerance", 0.2))
    if not 0 <= tolerance < 1:
        raise PolicyError(
            f"policies: nearly.tolerance is a share of the threshold in [0, 1), not {tolerance:g}"
        )
    at_most = nearly.get("at_most", 1)
    if isinstance(at_most, bool) or not isinstance(at_most, int) or at_most < 0:
        raise PolicyError(f"policies: nearly.at_most must be a whole number ≥ 0, not {at_most!r}")
    entries = data.get("policies")
    if not isinstance(entries, list) or not entries:
        raise PolicyError("policies: 'policies' must be a non-empty list")
    policies = tuple(parse_policy(entry, i) for i, entry in enumerate(entries))
    seen: set[str] = set()
    for policy in policies:
        if policy.id in seen:
            raise PolicyError(f"policy {policy.id!r}: the id is used twice")
        seen.add(policy.id)
    return PolicyBook(policies, tolerance, at_most)
