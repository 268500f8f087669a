"""Another system's cases as our `cases` contract, through a mapping written in YAML: which of
its columns holds which field, its values in ours (a hotline's 办理状态 → our statuses, its
诉求类型 → our case types), the forms of its dates and the zone of its naive times, constants
(the channel), how to build an id, and a column holding "POINT(lon lat)". Shared by
`flask cases import-csv` (CsvCaseMapping adds the file's encoding and delimiter) and the
`sql_cases` source (data_sources/adapters/sql_cases.py).

A mapping is checked when it is loaded: a key naming no field, a field given twice, a required
field given by nothing, is refused naming the key (MappingError). A row is rejected with a
reason naming its column and value when a value has no mapping, a time fits none of the forms,
or a point is not one; the other rows are kept. `domain` may be left out: the import takes it
from the case-type catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from data_sources.adapters.csv_file import Delimiter, Encoding, ZoneName
from data_sources.contracts import CASES
from data_sources.errors import SourceMisconfigured
from data_sources.validation import HAS_OFFSET, Rejection, localise, shorten

FIELDS = frozenset(CASES.columns)
TIME_FIELDS = frozenset(f.name for f in CASES.fields if f.kind == "datetime")
# left out of a mapping, these come from elsewhere: domain from the case-type catalogue
DERIVED = frozenset({"domain"})
ISO = "ISO8601"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"^\s*(?:SRID=\d+;\s*)?POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)\s*$", re.IGNORECASE)


class MappingError(SourceMisconfigured):
    """A mapping file that cannot be read or does not make sense; the message names the key."""


class ValueMap(BaseModel):
    """The other system's values of one field in ours. Written either as a plain map
    `{已办结: closed}` or as `{map: {...}, default: accepted}` to give unmapped values one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    map: dict[str, str]
    default: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        return {"map": value} if isinstance(value, dict) and "map" not in value else value

    @field_validator("map", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # a vendor's status codes are numbers in YAML; the values read are compared as text
        if isinstance(value, dict):
            return {_key(k): str(v) for k, v in value.items()}
        return value


class CaseMapping(BaseModel):
    """How one other system's rows become cases (see the module's docstring and the README)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = {}  # its column → our field
    values: dict[str, ValueMap] = {}  # our field → its values in ours
    dates: dict[str, list[str]] = {}  # our time field → strptime forms, tried in order
    timezone: ZoneName = None  # the zone its naive times are in, e.g. Asia/Shanghai
    constants: dict[str, str] = {}  # our field → one value for every row, e.g. channel
    id_template: str | None = None  # e.g. "NYC311-{Unique Key}": its columns in braces
    point: str | None = None  # its column holding WKT "POINT(lon lat)", giving lon and lat

    @field_validator("dates", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_as_text(cls, value: Any) -> Any:
        return {k: str(v) for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> CaseMapping:
        given: dict[str, str] = {}  # field → the key that gives it

        def give(field: str, key: str) -> None:
            if field not in FIELDS:
                raise ValueError(
                    f"{key}: {field!r} is not a field of cases (fields: {', '.join(CASES.columns)})"
                )
            if field in given:
                raise ValueError(f"{key}: {field!r} is already given by {given[field]}")
            given[field] = key

        for column, field in self.columns.items():
            give(field, f"columns.{column}")
        for field in self.constants:
            give(field, f"constants.{field}")
        if self.id_template is not None:
            if not _PLACEHOLDER.search(self.id_template):
                raise ValueError(
                    "id_template: it names no column; write columns in braces, e.g. 'X-{工单编号}'"
                )
            give("id", "id_template")
        if self.point is not None:
            give("lon", "point")
            give("lat", "point")
        for field in self.values:
            if field not in FIELDS:
                raise ValueError(f"values.{field}: not a field of cases")
            if not given.get(field, "").startswith("columns."):
                raise ValueError(f"values.{field}: no column gives {field!r}; map one in `columns`")
        for field, forms in self.dates.items():
            if field not in TIME_FIELDS:
                raise ValueError(
                    f"dates.{field}: not a time field of cases ({', '.join(sorted(TIME_FIELDS))})"
                )
            if not forms:
                raise ValueError(f"dates.{field}: give at least one form, e.g. '%Y-%m-%d %H:%M:%S'")
            bad = [f for f in forms if f != ISO and "%" not in f]
            if bad:
                raise ValueError(f"dates.{field}: {bad[0]!r} is not a strptime form (e.g. '%Y/%m/%d %H:%M')")
        absent = [
            f.name for f in CASES.fields if f.required and f.name not in given and f.name not in DERIVED
        ]
        if absent:
            raise ValueError(
                f"columns: nothing gives the required field(s) {', '.join(absent)} (map a column or a constant)"
            )
        return self

    @property
    def needed_columns(self) -> list[tuple[str, str]]:
        """(column, the key that needs it) for every column of the other system it reads."""
        needed = [(column, f"columns.{column}") for column in self.columns]
        if self.id_template is not None:
            needed += [(c, "id_template") for c in _PLACEHOLDER.findall(self.id_template)]
        if self.point is not None:
            needed.append((self.point, "point"))
        return needed


class CsvCaseMapping(CaseMapping):
    """A mapping for a CSV export: also its encoding (gb18030 for a 12345 export) and delimiter."""

    encoding: Encoding = "utf-8-sig"
    delimiter: Delimiter = ","


# any pydantic model: the sharing platform's mapping (data_sources/adapters/sharing_mapping.py) too
M = TypeVar("M", bound=BaseModel)


def load_mapping(path: Path, model: type[M]) -> M:
    """The mapping in the YAML file at `path`; raises MappingError naming the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"mapping {path}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping {path}: not valid YAML: {exc}") from None
    return parse_mapping(raw, model, f"mapping {path}")


def parse_mapping(raw: Any, model: type[M], where: str) -> M:
    """`raw` (a mapping read from YAML) checked as `model`; MappingError names the key."""
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            (f"{'.'.join(str(p) for p in e['loc'])}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise MappingError(f"{where}: {problems}") from None


def map_cases(
    frame: pd.DataFrame, mapping: CaseMapping, *, source: str, where: str
) -> tuple[pd.DataFrame, list[Rejection]]:
    """`frame` (the other system's rows, its column names, indexed by row number) as case rows:
    the fields the mapping gives, text stripped (empty is missing), times as UTC, same index.
    Rows with a value the mapping cannot read are left out and rejected (one Rejection per
    problem, `row` its index label); nothing else is checked here (the import validates).
    Raises MappingError when `frame` lacks a column the mapping reads."""
    header = [str(c) for c in frame.columns]
    for column, key in mapping.needed_columns:
        if column not in frame:
            raise MappingError(f"{where}: {key}: there is no column {column!r} (it has {', '.join(header)})")
    out: dict[str, pd.Series] = {}
    problems: list[tuple[pd.Series, str, pd.Series, pd.Series | str]] = []  # mask, field, values, reason
    for column, field in mapping.columns.items():
        if field in TIME_FIELDS:
            times, bad, reason = _times(frame[column], mapping.dates.get(field, []), mapping.timezone, column)
            out[field] = times
            problems.append((bad, field, frame[column], reason))
            continue
        text = _text(frame[column])
        value_map = mapping.values.get(field)
        if value_map is not None:
            mapped = text.map(value_map.map)
            unmapped = text.notna() & mapped.isna()
            if value_map.default is not None:
                mapped = mapped.mask(unmapped, value_map.default)
            else:
                problems.append(
                    (unmapped, field, text, f"{column} value not in the mapping's values.{field}")
                )
            text = mapped.where(mapped.notna(), None)
        out[field] = text
    for field, value in mapping.constants.items():
        out[field] = pd.Series(value, index=frame.index, dtype="string")
    if mapping.id_template is not None:
        out["id"] = _from_template(frame, mapping.id_template)
    if mapping.point is not None:
        text = _text(frame[mapping.point])
        parts = text.str.extract(_POINT)
        bad = text.notna() & parts[0].isna()
        problems.append((bad, "lon", text, f"{mapping.point} is not a WKT point 'POINT(lon lat)'"))
        out["lon"] = pd.to_numeric(parts[0], errors="coerce")
        out["lat"] = pd.to_numeric(parts[1], errors="coerce")
    mapped = pd.DataFrame(out, index=frame.index)
    keys = mapped["id"] if "id" in mapped else pd.Series(pd.NA, index=frame.index)
    rejections: list[Rejection] = []
    dropped = pd.Series(False, index=frame.index)
    for mask, field, values, reason in problems:
        for row in mask[mask].index:
            why = reason if isinstance(reason, str) else str(reason.at[row])
            case_id = None if pd.isna(keys.at[row]) else str(keys.at[row])
            rejections.append(
                Rejection(source, "cases", int(row), case_id, field, shorten(values.at[row]), why)
            )
        dropped |= mask
    rejections.sort(key=lambda r: r.row)
    return (mapped[~dropped] if dropped.any() else mapped), rejections


def _key(value: Any) -> str:
    """A value as the maps compare it: text, whole numbers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(series: pd.Series) -> pd.Series:
    """Stripped text (object dtype), None where missing or blank; a database's whole numbers
    without '.0'. A plain loop: pandas' string methods took three times as long on 100,000 rows."""
    if pd.api.types.is_float_dtype(series.dtype) and ((series.dropna() % 1) == 0).all():
        series = series.astype("Int64")
    values = [_stripped(v) for v in series.to_numpy(dtype=object)]
    return pd.Series(values, index=series.index, dtype=object)


def _stripped(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return _key(value) or None


def _from_template(frame: pd.DataFrame, template: str) -> pd.Series:
    """Each row's id from `template`; NA where a column it names is empty."""
    pieces = _PLACEHOLDER.split(template)  # literal, column, literal, column, ..., literal
    result = pd.Series(pieces[0], index=frame.index, dtype="string")
    for i in range(1, len(pieces), 2):
        result = result + _text(frame[pieces[i]]).astype("string") + pieces[i + 1]
    return result


def _times(
    raw: pd.Series, forms: list[str], zone: str | None, column: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC times, NaT where missing or unreadable; mask of present values that could not be
    read; the reason per row). Each form is tried in turn, then ISO 8601; a database's datetime
    values are read as ISO text. A naive time is in `zone`; without a zone it is rejected."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC"), pd.Series(False, index=raw.index), pd.Series("", index=raw.index)
    values = raw.map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else v)
    text = _text(values)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    reasons = pd.Series("", index=raw.index, dtype=object)
    left = text.notna()
    wanted = [f for f in forms if f != ISO] + [ISO]
    for form in wanted:
        if not left.any():
            break
        if form == ISO:
            aware = left & text.str.contains(HAS_OFFSET).fillna(False).astype(bool)
            parsed = pd.to_datetime(text.where(aware), format=ISO, errors="coerce", utc=True)
            result = result.mask(aware & parsed.notna(), parsed)
            left &= ~(aware & parsed.notna())
            naive = pd.to_datetime(text.where(left), format=ISO, errors="coerce")
        else:
            naive = pd.to_datetime(text.where(left), format=form, errors="coerce", utc="%z" in form)
            if "%z" in form:
                result = result.mask(left & naive.notna(), naive)
                left &= ~naive.notna()
                continue
        read = left & naive.notna()
        if not read.any():
            continue
        if zone is None:
            reasons = reasons.mask(read, f"{column}: time without a time zone (give the mapping a timezone)")
        else:
            utc = localise(naive.where(read), zone)
            result = result.mask(read & utc.notna(), utc)
            reasons = reasons.mask(
                read & utc.isna(), f"{column}: this local time is ambiguous or does not exist in {zone}"
            )
        left &= ~read
    shown = ", ".join(repr(f) for f in wanted[:-1]) + (" or " if len(wanted) > 1 else "") + "ISO 8601"
    reasons = reasons.mask(left, f"{column}: not a time in the form {shown}")
    bad = text.notna() & result.isna()
    return result, bad, reasons
