"""SenML JSON (RFC 8428) packs resolved into records (§4.6), and full names mapped to a sensor and
a quantity (DESIGN.md: by default the part after the last `:` is the quantity, the rest the
sensor id; a mapping in config can say otherwise).

Resolution follows the RFC: base name, time, unit, value and sum apply to their own record and
every later one until replaced; a time below 2**28 (after adding the base time) is relative to
now (§4.5.3), taken from the caller's clock; a record carrying only base fields sets them and
yields nothing (example 9). Fields ending in `_` must be understood (§4.4): we understand none,
so such a record is refused. A pack whose base version is newer than 10 is not read (§4.4).

What is refused and why is returned as `Problem`s beside the good records, never raised: one bad
record loses only itself. A malformed base field also refuses every later record of its pack,
because they would otherwise be resolved against the previous base (a reading filed under the
wrong sensor is worse than a reading refused)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from data_sources.feeds.problems import BAD_RECORD, NOT_A_PACK, NOT_FINITE, UNSUPPORTED, Problem
from data_sources.validation import shorten

VERSION = 10  # the base version RFC 8428 defines; later ones are not understood
RELATIVE_LIMIT = 2**28  # §4.5.3: times below this are seconds relative to now
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9:./_-]*\Z")  # §4.5.1

_TEXT = "text"
_NUMBER = "number"
_BOOLEAN = "boolean"
_INTEGER = "integer"
_BASE_FIELDS = {"bn": _TEXT, "bt": _NUMBER, "bu": _TEXT, "bv": _NUMBER, "bs": _NUMBER, "bver": _INTEGER}
_FIELDS = {
    "n": _TEXT,
    "u": _TEXT,
    "v": _NUMBER,
    "vs": _TEXT,
    "vb": _BOOLEAN,
    "vd": _TEXT,
    "s": _NUMBER,
    "t": _NUMBER,
    "ut": _NUMBER,
}
_VALUE_FIELDS = ("v", "vs", "vb", "vd")


@dataclass(frozen=True, slots=True)
class Record:
    """One resolved SenML record: absolute name and time (seconds since 1970, UTC), the unit in
    force, and exactly one of the values or a sum. `extra` keeps fields we do not interpret
    (links, `l`) as the resolved form does."""

    position: int  # in its pack, 0-based
    name: str
    time: float
    unit: str | None = None
    value: float | None = None
    string_value: str | None = None
    bool_value: bool | None = None
    data_value: str | None = None
    sum: float | None = None
    update_time: float | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The record in RFC 8428's resolved JSON form (§4.6)."""
        out: dict[str, Any] = {"n": self.name, "t": self.time}
        optional = (
            ("u", self.unit),
            ("v", self.value),
            ("vs", self.string_value),
            ("vb", self.bool_value),
            ("vd", self.data_value),
            ("s", self.sum),
            ("ut", self.update_time),
        )
        out.update((key, value) for key, value in optional if value is not None)
        out.update(self.extra)
        return out


class PackError(ValueError):
    """The payload as a whole is not a SenML pack; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# type(), not isinstance: JSON's true and false are Python bools, which isinstance counts as ints
_TYPES: dict[str, tuple[type, ...]] = {
    _TEXT: (str,),
    _NUMBER: (int, float),
    _BOOLEAN: (bool,),
    _INTEGER: (int,),
}
_BASE_KEYS = frozenset(_BASE_FIELDS)


def _field_problem(position: int, key: str, value: Any, kind: str) -> Problem | None:
    if type(value) not in _TYPES[kind]:
        return Problem(position, key, shorten(value), BAD_RECORD, f"field {key!r} must be a {kind}")
    if type(value) is float and not math.isfinite(value):
        return Problem(position, key, shorten(value), NOT_FINITE, f"field {key!r}")
    return None


def resolve(pack: Any, now: float) -> tuple[list[Record], list[Problem]]:
    """Resolve a parsed SenML JSON pack (a list of record objects) against `now` (seconds since
    1970, UTC). Returns the resolved records in pack order and a Problem per refused record.
    Raises PackError when `pack` is not a list."""
    if not isinstance(pack, list):
        raise PackError(Problem(0, "payload", shorten(pack), NOT_A_PACK, "expected an array of records"))
    records: list[Record] = []
    problems: list[Problem] = []
    base: dict[str, Any] = {}
    broken: Problem | None = None  # a malformed base field refuses the rest of the pack
    for position, entry in enumerate(pack):
        if broken is not None:
            problems.append(
                broken._replace(position=position, detail=f"{broken.detail} in an earlier record")
            )
            continue
        if not isinstance(entry, dict):
            problems.append(
                Problem(position, "record", shorten(entry), BAD_RECORD, "a record must be an object")
            )
            continue
        bases = entry.keys() & _BASE_KEYS
        if bases:
            for key in sorted(bases):
                if problem := _field_problem(position, key, entry[key], _BASE_FIELDS[key]):
                    broken = problem._replace(detail=f"base {problem.detail}")
                    break
            if broken is None and entry.get("bver", VERSION) > VERSION:
                broken = Problem(
                    position, "bver", shorten(entry["bver"]), UNSUPPORTED, f"version above {VERSION}"
                )
            if broken is not None:
                problems.append(broken)
                continue
            base.update((key, entry[key]) for key in bases)
        outcome = _resolve_one(position, entry, base, now)
        if isinstance(outcome, Problem):
            problems.append(outcome)
        elif outcome is not None:
            records.append(outcome)
    return records, problems


def _resolve_one(
    position: int, entry: dict[str, Any], base: dict[str, Any], now: float
) -> Record | Problem | None:
    """One record against the bases in force; None for a record that only sets bases."""
    extra: list[tuple[str, Any]] = []
    values: list[str] = []
    regular = False
    must_understand: str | None = None
    for key, item in entry.items():
        kind = _FIELDS.get(key)
        if kind is not None:
            if problem := _field_problem(position, key, item, kind):
                return problem
            regular = True
            if key in _VALUE_FIELDS:
                values.append(key)
        elif key.endswith("_"):
            must_understand = min(key, must_understand or key)
        elif key not in _BASE_KEYS:
            extra.append((key, item))
    if must_understand is not None:
        return Problem(
            position, must_understand, shorten(entry[must_understand]), UNSUPPORTED,
            f"field {must_understand!r} must be understood",
        )  # fmt: skip
    if len(values) > 1:
        second = sorted(values, key=_VALUE_FIELDS.index)[1]
        return Problem(position, second, shorten(entry[second]), BAD_RECORD, "more than one value")
    if not values and "s" not in entry:
        if not regular:
            return None  # base fields only (RFC 8428 example 9)
        return Problem(position, "v", "<missing>", BAD_RECORD, "a record needs a value or a sum")
    name = base.get("bn", "") + entry.get("n", "")
    if not _NAME.match(name):
        why = (
            "no name (neither bn nor n)" if not name else f"name {name!r} has characters SenML does not allow"
        )
        return Problem(position, "n", shorten(name), BAD_RECORD, why)
    time = base.get("bt", 0) + entry.get("t", 0)
    if time < RELATIVE_LIMIT:
        time += now
    value = entry["v"] + base.get("bv", 0) if "v" in entry else None
    total = entry["s"] + base.get("bs", 0) if "s" in entry else None
    for key, number in (("v", value), ("s", total)):
        if number is not None and not math.isfinite(number):  # a finite v plus a huge bv
            return Problem(position, key, shorten(number), NOT_FINITE, f"field {key!r} plus its base", name)
    return Record(
        position=position,
        name=name,
        time=float(time),
        unit=entry.get("u", base.get("bu")),
        value=None if value is None else float(value),
        string_value=entry.get("vs"),
        bool_value=entry.get("vb"),
        data_value=entry.get("vd"),
        sum=None if total is None else float(total),
        update_time=entry.get("ut"),
        extra=tuple(extra),
    )


class SensorQuantity(BaseModel):
    """Where one full name goes: which sensor, which quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensor_id: str = Field(min_length=1)
    quantity: str = Field(min_length=1)


class NameMapping(BaseModel):
    """How full SenML names become (sensor id, quantity): `names` maps exact full names (a device
    that names itself only, e.g. `urn:dev:ow:10e2073a01080063` sending humidity); any other name
    is split at the last `separator`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    separator: str = Field(default=":", min_length=1)
    names: dict[str, SensorQuantity] = {}

    def split(self, name: str) -> tuple[str, str] | None:
        """(sensor id, quantity) for `name`, None when neither the mapping nor the separator
        gives both parts."""
        mapped = self.names.get(name)
        if mapped is not None:
            return mapped.sensor_id, mapped.quantity
        sensor, separator, quantity = name.rpartition(self.separator)
        if not separator or not sensor or not quantity:
            return None
        return sensor, quantity
