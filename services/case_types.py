"""The case-type catalogue's stage limits (config/case_types.yaml) as the domain's StageLimits:
read once per process, since the catalogue changes with a release, not at run time."""

from __future__ import annotations

from functools import cache

from demo.catalogue import STAGES, load_case_types, load_departments
from domain.case_clock import StageLimits


@cache
def _limits() -> dict[str, StageLimits]:
    types = load_case_types(load_departments()).types
    return {
        row["id"]: StageLimits(*(float(row[f"sla_{stage}_h"]) for stage in STAGES))
        for row in types.to_dict("records")
    }


def limits_of(case_type: str) -> StageLimits | None:
    """The stage limits of `case_type`, or None for a type the catalogue does not know (a case
    imported from elsewhere: only its own sla_deadline counts)."""
    return _limits().get(case_type)


def type_ids() -> frozenset[str]:
    return frozenset(_limits())


@cache
def _names() -> dict[str, tuple[str, str, str]]:
    types = load_case_types(load_departments()).types
    return {row["id"]: (row["name"], row["name_en"], row["domain"]) for row in types.to_dict("records")}


def type_name(case_type: str, lang: str) -> str:
    """The case type's name in `lang`; an unknown type (imported from elsewhere) by its id."""
    names = _names().get(case_type)
    return case_type if names is None else names[0] if lang == "zh" else names[1]


def types_by_domain() -> dict[str, list[str]]:
    """The catalogue's type ids per domain, in the catalogue's order."""
    out: dict[str, list[str]] = {}
    for type_id, (_zh, _en, domain) in _names().items():
        out.setdefault(domain, []).append(type_id)
    return out


def domain_of(case_type: str) -> str | None:
    """The domain a case type belongs to, or None for a type the catalogue does not know."""
    names = _names().get(case_type)
    return None if names is None else names[2]


@cache
def _homes() -> dict[str, tuple[str, str]]:
    types = load_case_types(load_departments()).types
    return {row["id"]: (row["domain"], row["department"]) for row in types.to_dict("records")}


def home_of(case_type: str) -> tuple[str, str] | None:
    """(domain, handling department) of `case_type` in the catalogue, or None for an unknown type."""
    return _homes().get(case_type)
