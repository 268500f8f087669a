"""How policy matching says things, in both languages: a criterion ("R&D share ≥ 5.0%"), why an
enterprise nearly qualifies ("R&D share 2.6%, needs 3.0%: 0.4 points short"; "Age 3.4 years,
at most 3 years: 0.4 years over") or cannot be judged ("no R&D figures for 2025"), a policy's
days of force. Pure presentation over domain/policies.py; the enterprise profile uses
reason_text too. No Dash component here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from components.chain_words import money
from domain.policies import NoFigures, Reason, Shortfall
from domain.policy_book import Bound, Policy
from locales import t


def _plain(value: float, digits: int = 1) -> str:
    """3 → "3", 3.4 → "3.4", 1234.5 → "1,234.5": no trailing zeros for a threshold typed whole."""
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def value_text(unit: str, value: float, lang: str, digits: int = 1) -> str:
    """A figure in its unit: share 0.026 → "2.6%", wan_yuan → money, years, people, count, rank."""
    if unit == "share":
        return f"{value * 100:.{digits}f}%"
    if unit == "wan_yuan":
        if digits > 1 and lang == "zh":  # money() rounds 万元 to whole ones
            return f"{value:,.{digits}f} 万元"
        return money(value, lang)
    if unit == "rank":
        return t("policies.unit.rank", lang, n=int(round(value)))
    if unit in ("people", "count"):
        return t(f"policies.unit.{unit}", lang, n=f"{int(round(value)):,}")
    return t("policies.unit.years", lang, n=_plain(value, digits))


def gap_text(unit: str, gap: float, lang: str, digits: int = 1) -> str:
    """How far a figure misses, in its unit: shares in percentage points, ranks in places."""
    if unit == "share":
        return t("policies.unit.points", lang, n=f"{gap * 100:.{digits}f}")
    if unit == "rank":
        return t("policies.unit.places", lang, n=int(round(gap)))
    return value_text(unit, gap, lang, digits)


def _digits(unit: str, gap: float) -> int:
    """One decimal, or two where one would show a miss as no gap at all ("4.98%, needs 5.0%:
    0.0 points short" reads as a mistake)."""
    shown = gap * 100 if unit == "share" else gap
    return (
        2
        if unit in ("share", "years", "wan_yuan") and round(shown, 1 if unit != "wan_yuan" else 0) == 0
        else 1
    )


def criterion_name(criterion: str, lang: str) -> str:
    return t(f"policies.criterion.{criterion}", lang)


def reason_text(reason: Reason | Mapping[str, Any], lang: str) -> str:
    """One reason in words; takes the dataclass or its as_dict() (the API's JSON form)."""
    r = reason.as_dict() if isinstance(reason, Shortfall | NoFigures) else dict(reason)
    if r.get("kind") == "no_figures":
        year = r.get("year")
        return t(f"policies.nofig.{r['criterion']}", lang, year=year if year is not None else "—")
    unit = r["unit"]
    digits = _digits(unit, r["gap"])
    return t(
        f"policies.reason.{r['bound']}",
        lang,
        criterion=criterion_name(r["criterion"], lang),
        value=value_text(unit, r["value"], lang, digits),
        threshold=value_text(unit, r["threshold"], lang, digits),
        gap=gap_text(unit, r["gap"], lang, digits),
    )


def reasons_text(reasons: tuple[Reason, ...] | list, lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(reason_text(r, lang) for r in reasons)


def bound_text(bound: Bound, lang: str) -> str:
    """ "R&D share ≥ 5.0%", "Age ≤ 3 years", "Revenue ¥50.0 m – ¥200.0 m"."""
    name = criterion_name(bound.criterion, lang)
    low = None if bound.minimum is None else value_text(bound.unit, bound.minimum, lang)
    high = None if bound.maximum is None else value_text(bound.unit, bound.maximum, lang)
    if low is not None and high is not None:
        return t("policies.bound.range", lang, criterion=name, low=low, high=high)
    if low is not None:
        return t("policies.bound.min", lang, criterion=name, threshold=low)
    return t("policies.bound.max", lang, criterion=name, threshold=high)


def choice_text(key: str, values: tuple[str, ...], names: Mapping[str, str], lang: str) -> str:
    """ "Chain: Biomedicine", "Size class: small, micro": chain and link ids by their names."""
    sep = "、" if lang == "zh" else ", "
    if key == "size":
        shown = [t(f"size.{v}", lang) for v in values]
    elif key == "stage":
        shown = [t(f"chain.stage.{v}", lang) for v in values]
    elif key == "link_status":
        shown = [t(f"chain.status.{v}", lang) for v in values]
    else:
        shown = [names.get(v, v) for v in values]
    return t("policies.choice", lang, criterion=criterion_name(key, lang), values=sep.join(shown))


def criteria_texts(policy: Policy, names: Mapping[str, str], lang: str) -> list[str]:
    """Every criterion of `policy` in words, choices first."""
    return [choice_text(k, v, names, lang) for k, v in policy.choices.items()] + [
        bound_text(b, lang) for b in policy.bounds
    ]


def validity_text(policy: Policy, day: date, lang: str) -> str:
    """ "In force until 2027-12-31", "In force (no end date)", "Expired 2022-12-31", "From …"."""
    state = policy.in_force(day)
    until = policy.valid_until.isoformat() if policy.valid_until else None
    if state == "upcoming":
        return t("policies.valid.upcoming", lang, start=policy.valid_from.isoformat())
    if state == "expired":
        return t("policies.valid.expired", lang, until=until)
    if until is None:
        return t("policies.valid.open", lang)
    return t("policies.valid.until", lang, until=until)


def status_text(status: str, lang: str) -> str:
    return t(f"policies.status.{status}", lang)
