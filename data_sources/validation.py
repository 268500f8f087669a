"""Check a frame against a contract: keep the rows that fit, reject the others with reasons.

The checks are vectorised with pandas (a million readings validate in about a second); only
geometry and JSON fields are checked row by row."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from data_sources.contracts import Contract, Field
from domain.geojson import geometry_problem

# An ISO 8601 time with an explicit offset; a time without one is ambiguous and rejected
# (adapters that know the source's zone localise before validating, with this same test).
# The offset must follow a time of day: "2024-03-01" ends in "-01", which is a day, not an offset.
HAS_OFFSET = re.compile(r"[T ]\d{2}.*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def localise(local: pd.Series, zone: str) -> pd.Series:
    """Naive local times (datetime64) read in `zone`, as UTC; NaT where the time is ambiguous or
    does not exist there (in a zone with daylight saving an hour a year happens twice and one
    never does), so the caller can reject those rows with that reason."""
    return local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one row was not accepted. `row` is the row's number as its adapter counts it (the
    frame's index label: a CSV's line number, a GeoJSON feature's position in the file) or, when
    the frame has no unique integer index, its position in the batch (0-based); `key` is its
    identifier when the contract has one, the parts of a composite key joined by "/" (a feature
    of layer "part" with id "P00001" is "part/P00001")."""

    source: str
    contract: str
    row: int
    key: str | None
    field: str
    value: str
    reason: str

    @property
    def message(self) -> str:
        who = f"row {self.row}" + (f" ({self.key})" if self.key else "")
        return (
            f"{self.source}: {self.contract} {who}, field {self.field!r}: {self.reason} (value {self.value})"
        )


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The rows that fit (index 0..n-1) and why the others did not. `rows` numbers each good row
    as its rejection would have (so a later check, data_sources/reference_checks.py, names the
    same line); empty when the result was not made by `validate` (a VALIDATED source's rows)."""

    good: pd.DataFrame
    rejections: list[Rejection]
    rows: list[int] = dataclass_field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejections})


def shorten(value: Any, limit: int = 60) -> str:
    """A short printable form of a value for a rejection message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _missing(series: pd.Series) -> pd.Series:
    missing = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        missing |= series.astype("string").str.strip().eq("").fillna(False).astype(bool)
    return missing


Reason: TypeAlias = str | pd.Series

KEY_SEPARATOR = "/"


def _empty(field: Field, index: pd.Index) -> pd.Series:
    """A column of missing values with the dtype its kind has when present, so that `.dt` and
    arithmetic work on a column the source did not send (a cases export without closed_at)."""
    if field.kind == "datetime":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    if field.kind == "float":
        return pd.Series(np.nan, index=index, dtype="float64")
    if field.kind == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.Series([None] * len(index), index=index, dtype=object)


def _dates(parsed: pd.Series) -> pd.Series:
    """`datetime.date` values, None where missing (NaT is not a date any driver accepts)."""
    return parsed.dt.date.astype(object).where(parsed.notna(), None)


def _text(series: pd.Series) -> pd.Series:
    """Text as the store keeps it: stripped, NA where missing."""
    return series.astype("string").str.strip()


def _keys(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series | None:
    """Each row's key as rejections show it (stripped text, parts joined by KEY_SEPARATOR), NA
    where a part is missing or blank; None when the frame lacks a key column."""
    if not key or any(name not in frame for name in key):
        return None
    parts = [_text(frame[name]).replace("", pd.NA) for name in key]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep=KEY_SEPARATOR)
    return joined


def _coerce(series: pd.Series, field: Field, present: pd.Series) -> tuple[pd.Series, pd.Series, Reason]:
    """Return (converted values, mask of present values that failed conversion, the reason:
    one text for all, or a text per row)."""
    if field.kind == "text":
        as_text = _text(series)
        return as_text, pd.Series(False, index=series.index), ""
    if field.kind in ("int", "float"):
        numbers = pd.to_numeric(series.where(present), errors="coerce").astype("float64")
        finite = np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan))
        bad = present & ~pd.Series(finite, index=series.index)
        if field.kind == "int":
            # beyond 2**53 a float no longer holds every whole number, and casting it to Int64 fails
            inexact = present & ~bad & ((numbers % 1 != 0) | (numbers.abs() > 2**53))
            reasons = pd.Series("not a finite number", index=series.index).where(
                ~inexact, "not a whole number"
            )
            bad |= inexact
            return numbers.where(~bad).round().astype("Int64"), bad, reasons
        return numbers, bad, "not a finite number"
    if field.kind in ("datetime", "date"):
        return _coerce_time(series, field, present)
    if field.kind == "json":
        values = series.map(_parse_json)
        bad = present & values.map(lambda v: v is _INVALID)
        return values.where(~bad), bad, "not a JSON object"
    if field.kind == "geometry":
        values = series.map(_parse_json)
        problems = values.where(present).map(lambda v: geometry_problem(v) if v is not None else None)
        bad = present & problems.notna()
        return values.where(~bad), bad, "invalid GeoJSON geometry: " + problems.fillna("")
    raise ValueError(f"unknown field kind {field.kind!r}")


_INVALID = object()


def _parse_json(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return _INVALID
        return parsed if isinstance(parsed, dict) else _INVALID
    return _INVALID


def _coerce_time(series: pd.Series, field: Field, present: pd.Series) -> tuple[pd.Series, pd.Series, Reason]:
    if field.kind == "date":
        parsed = pd.to_datetime(series.where(present), errors="coerce", format="mixed")
        bad = present & parsed.isna()
        return _dates(parsed), bad, "not a date"
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC"), pd.Series(False, index=series.index), ""
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series, present.copy(), "time without a time zone"
    as_text = series.where(present).map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    text = as_text.astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    unparsable = present & parsed.isna()
    naive = present & ~unparsable & ~text.str.contains(HAS_OFFSET).fillna(False).astype(bool)
    reasons = pd.Series("not an ISO 8601 time", index=series.index).where(
        unparsable, "time without a time zone"
    )
    return parsed.where(~naive), naive | unparsable, reasons


def validate(frame: pd.DataFrame, contract: Contract, source: str) -> ValidationResult:
    """Check `frame` against `contract`; never raises on bad rows.

    Returns the good rows with the contract's columns in order, converted to their kinds
    (times as UTC), and one Rejection per failed check. Columns the contract does not know
    are dropped; a missing optional column is added empty, with its kind's dtype. Keys are
    compared as stored (stripped), so "C-1" and "C-1 " are duplicates. A rejection's `row` is
    the frame's index label when the index is unique and integer (adapters set it to their record
    numbers), else the row's position."""
    labels = frame.index
    numbered = pd.api.types.is_integer_dtype(labels.dtype) and labels.is_unique
    rows = labels.to_numpy() if numbered else np.arange(len(frame))
    frame = frame.reset_index(drop=True)
    n = len(frame)
    keys = _keys(frame, contract.key)
    rejections: list[Rejection] = []
    bad_rows = np.zeros(n, dtype=bool)
    out: dict[str, pd.Series] = {}

    def reject(mask: pd.Series, field: str, reason: Reason, values: pd.Series | None) -> None:
        nonlocal bad_rows
        for i in np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)):
            key = None if keys is None or pd.isna(keys.iat[i]) else str(keys.iat[i])
            value = "<missing>" if values is None or _is_missing(values.iat[i]) else shorten(values.iat[i])
            why = reason if isinstance(reason, str) else str(reason.iat[i])
            rejections.append(Rejection(source, contract.name, int(rows[i]), key, field, value, why))
        bad_rows |= mask.to_numpy(dtype=bool, na_value=False)

    for field in contract.fields:
        if field.name not in frame:
            if field.required:
                reject(pd.Series(True, index=frame.index), field.name, "required column is missing", None)
            out[field.name] = _empty(field, frame.index)
            continue
        raw = frame[field.name]
        missing = _missing(raw)
        if field.kind in ("json", "geometry"):
            # JSON's own null (a store or a file saying "no value") is a missing value
            missing |= raw.map(lambda v: isinstance(v, str) and v.strip() == "null").astype(bool)
        if field.required:
            reject(missing, field.name, "required value is missing", raw)
        present = ~missing
        values, failed, reason = _coerce(raw, field, present)
        reject(failed, field.name, reason, raw)
        ok = present & ~failed
        if field.choices is not None:
            reject(
                ok & ~values.isin(field.choices), field.name, f"not one of {', '.join(field.choices)}", raw
            )
        if field.minimum is not None:
            reject(
                ok & (values.astype("float64") < field.minimum), field.name, f"below {field.minimum:g}", raw
            )
        if field.maximum is not None:
            reject(
                ok & (values.astype("float64") > field.maximum), field.name, f"above {field.maximum:g}", raw
            )
        if field.pattern is not None:
            matches = values.astype("string").str.fullmatch(field.pattern).fillna(False).astype(bool)
            reject(ok & ~matches, field.name, f"does not match {field.pattern}", raw)
        if field.max_length is not None:
            reject(
                ok & (values.astype("string").str.len() > field.max_length),
                field.name,
                f"longer than {field.max_length} characters",
                raw,
            )
        out[field.name] = (
            values.where(present, None) if field.kind in ("text", "json", "geometry") else values
        )

    if keys is not None:
        # compared as converted (stripped text, whole numbers), as the store's unique constraint sees them
        stored = pd.DataFrame({name: out[name] for name in contract.key}, index=frame.index)
        duplicate = stored.duplicated(keep="first") & stored.notna().all(axis=1)
        reject(duplicate, KEY_SEPARATOR.join(contract.key), "duplicate key in this batch", keys)

    good = pd.DataFrame(out, index=frame.index)[~bad_rows].reset_index(drop=True)
    return ValidationResult(good=good, rejections=rejections, rows=[int(r) for r in rows[~bad_rows]])


def conform(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The contract's columns in order with their kinds' dtypes, for rows already known to
    fit (a VALIDATED source): no per-row checks, so it costs milliseconds, not seconds. The
    same dtypes as `validate` gives: a missing column is empty with its kind's dtype, dates are
    `datetime.date` (SQLite returns them as text, PostgreSQL as dates)."""
    out: dict[str, pd.Series] = {}
    for field in contract.fields:
        if field.name not in frame:
            out[field.name] = _empty(field, frame.index)
            continue
        values = frame[field.name]
        if field.kind == "float":
            values = pd.to_numeric(values, errors="coerce").astype("float64")
        elif field.kind == "int":
            values = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif field.kind == "datetime" and not isinstance(values.dtype, pd.DatetimeTZDtype):
            values = pd.to_datetime(values, utc=True, format="ISO8601")
        elif field.kind == "date":
            values = _dates(pd.to_datetime(values, format="mixed"))
        elif field.kind in ("json", "geometry"):
            values = values.map(_parse_json).map(lambda v: None if v is _INVALID else v)
        out[field.name] = values
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)
