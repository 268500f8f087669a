"""A data-sharing platform's vocabulary in ours: for each resource it serves (chains, enterprises,
enterprise_figures), the path it is served at, which of its fields (often pinyin initials, such as
qymc 企业名称 or tyshxydm 统一社会信用代码) holds which contract field, its values in ours (上游 →
upstream), the strptime form of its dates, a factor for figures in other units (元 → 万元), and
the field holding each row's update time (for incremental syncs). Written in YAML
(config/imports/sharing_platform.yaml is an example) and checked when loaded: a key naming no
field of the contract, a required field given by nothing, is refused naming the key.

`map_rows` turns one page's rows into contract rows. A row that is not an object, or whose date
fits not its form, is left out and rejected with the reason; everything else is left for the
contract's validation, which rejects per row and field."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from data_sources.adapters.sharing_client import dig
from data_sources.contracts import CONTRACTS, Contract
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import KEY_SEPARATOR, Rejection, shorten

RESOURCES = ("chains", "enterprises", "enterprise_figures")  # the order a sync stores them in
# epoch times above this are milliseconds (1e11 s is the year 5138)
_EPOCH_MS_FROM = 1e11


class ResourceMapping(BaseModel):
    """How one resource of the platform becomes rows of one contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str  # appended to the source's base_url, e.g. /api/qy/jbxx
    fields: dict[str, str] = Field(min_length=1)  # contract field → the platform's field (dotted if nested)
    updated: str | None = None  # the platform's field holding the row's update time
    values: dict[str, dict[str, str]] = {}  # contract field → its value → ours
    dates: dict[str, str] = {}  # contract date field → strptime form, e.g. "%Y%m%d"
    scale: dict[str, float] = {}  # contract number field → factor, e.g. 0.0001 for 元 → 万元
    constants: dict[str, str] = {}  # contract field → one value for every row

    @field_validator("values", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # a platform's codes are often numbers in YAML; the values read are compared as text
        if isinstance(value, dict):
            return {
                f: {str(k): str(v) for k, v in m.items()} if isinstance(m, dict) else m
                for f, m in value.items()
            }
        return value


class SharingMapping(BaseModel):
    """The mapping of a whole platform: its resources by contract name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: dict[str, ResourceMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits_the_contracts(self) -> SharingMapping:
        for name, resource in self.resources.items():
            if name not in RESOURCES:
                raise ValueError(
                    f"resources.{name}: not a contract it can sync (one of {', '.join(RESOURCES)})"
                )
            _check(f"resources.{name}", resource, CONTRACTS[name])
        return self


def _check(where: str, resource: ResourceMapping, contract: Contract) -> None:
    columns = set(contract.columns)
    for key, named in (("fields", resource.fields), ("constants", resource.constants)):
        for field in named:
            if field not in columns:
                raise ValueError(
                    f"{where}.{key}.{field}: not a field of {contract.name} ({', '.join(contract.columns)})"
                )
    given = set(resource.fields) | set(resource.constants)
    both = set(resource.fields) & set(resource.constants)
    if both:
        raise ValueError(f"{where}.constants.{min(both)}: already given in fields")
    for required in (f.name for f in contract.fields if f.required):
        if required not in given:
            raise ValueError(
                f"{where}.fields: {required!r} is required by {contract.name} and given by nothing"
            )
    kinds = {f.name: f.kind for f in contract.fields}
    checked: tuple[tuple[str, Mapping[str, Any], tuple[str, ...] | None], ...] = (
        ("values", resource.values, None),
        ("dates", resource.dates, ("date",)),
        ("scale", resource.scale, ("int", "float")),
    )
    for key, transformed, allowed in checked:
        for field in transformed:
            if field not in resource.fields:
                raise ValueError(
                    f"{where}.{key}.{field}: no platform field gives {field!r}; map one in fields"
                )
            if allowed and kinds[field] not in allowed:
                raise ValueError(f"{where}.{key}.{field}: a {kinds[field]} field, not {' or '.join(allowed)}")


def map_rows(
    rows: list[Any], resource: ResourceMapping, contract: Contract, *, source: str, first_row: int
) -> pd.DataFrame:
    """`rows` (one page, as the platform sent them) as rows of `contract`, indexed by their number
    in the whole result from 1 (`first_row` is the page's first row's position from 0), with the
    fields the mapping gives; the rows left out in `frame.attrs[PARSE_REJECTIONS]`. Unchecked
    otherwise: validate the frame against the contract."""
    mapped: list[dict[str, Any]] = []
    numbers: list[int] = []
    rejections: list[Rejection] = []
    for offset, row in enumerate(rows):
        number = first_row + offset + 1
        if not isinstance(row, dict):
            rejections.append(
                Rejection(
                    source, contract.name, number, None, "(row)", shorten(row), "a row must be a JSON object"
                )
            )
            continue
        values, problem = _map_row(row, resource)
        if problem is not None:
            field, value, reason = problem
            key = _key(values, contract)
            rejections.append(Rejection(source, contract.name, number, key, field, shorten(value), reason))
            continue
        mapped.append(values)
        numbers.append(number)
    columns = [*resource.fields, *resource.constants]
    frame = pd.DataFrame(mapped, columns=columns, index=pd.Index(numbers, dtype="int64"))
    frame.attrs[PARSE_REJECTIONS] = rejections
    return frame


def _map_row(
    row: dict[str, Any], resource: ResourceMapping
) -> tuple[dict[str, Any], tuple[str, Any, str] | None]:
    """A platform row's contract values, and (field, value, reason) when one cannot be read."""
    values: dict[str, Any] = {}
    for field, theirs in resource.fields.items():
        value = dig(row, theirs)
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and field in resource.values:
            value = resource.values[field].get(str(value), value)  # unmapped: validation decides
        if value is not None and field in resource.dates:
            form = resource.dates[field]
            try:
                # a calendar date, in no zone: only its day is kept
                value = datetime.strptime(str(value), form).date().isoformat()  # noqa: DTZ007
            except ValueError:
                values[field] = value
                return values, (field, value, f"{theirs} does not have the form {form}")
        if value is not None and field in resource.scale:
            with contextlib.suppress(TypeError, ValueError):  # left as sent: validation rejects it
                value = float(value) * resource.scale[field]
        values[field] = value
    values.update(resource.constants)
    return values, None


def _key(values: dict[str, Any], contract: Contract) -> str | None:
    parts = [values.get(k) for k in contract.key]
    if not parts or any(p is None or str(p).strip() == "" for p in parts):
        return None
    return KEY_SEPARATOR.join(str(p).strip() for p in parts)


def update_time(value: Any, zone: str | None) -> datetime | None:
    """A row's update time as an aware UTC datetime: ISO 8601 text (read in `zone` without an
    offset) or epoch seconds or milliseconds; None when it is missing or none of these."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS_FROM else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        if zone is None:
            return None
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def newest_update(rows: list[Any], resource: ResourceMapping, zone: str | None) -> datetime | None:
    """The latest update time among `rows` (all of them, rejected ones too: a rejected row is
    read again only when the platform changes it), None without an `updated` field or times."""
    if resource.updated is None:
        return None
    updated = resource.updated
    times = [update_time(dig(row, updated), zone) for row in rows if isinstance(row, dict)]
    return max((t for t in times if t is not None), default=None)
