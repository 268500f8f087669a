"""The intake checks every feed message passes: a payload becomes readings in the `readings`
contract and rejections, each with a reason (data_sources.feeds.problems) and counted by it.

In order: a payload over `max_payload_bytes` is refused unread; it must be UTF-8 JSON (NaN and
Infinity, which Python's json would read, are read only to be refused per record as not finite);
then it is decoded as SenML or mapped plain JSON; each value must be numeric (SenML's string,
boolean and data values are refused as not readings: the readings contract holds numbers), its
full name must map to a sensor and quantity, the sensor must be registered, its unit must be the
quantity's registered unit (a reading without a unit takes it), its time must lie within
`max_future_s` ahead and `max_age_days` behind the clock, and the same sensor, quantity and time
twice in one batch keeps the first. All of it is pure: the clock and the catalogue are given."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, NamedTuple

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from data_sources.contracts import READINGS
from data_sources.feeds import plain_json, senml
from data_sources.feeds.problems import (
    BAD_NAME,
    DUPLICATE,
    IN_FUTURE,
    IN_PAST,
    NOT_JSON,
    NOT_NUMERIC,
    TOO_LARGE,
    TOO_LONG,
    UNKNOWN_SENSOR,
    WRONG_UNIT,
    Problem,
)
from data_sources.feeds.senml import NameMapping
from data_sources.validation import Rejection, shorten

# datetime's own range; a time outside it is refused before it is converted
_LATEST = datetime.max.replace(tzinfo=UTC).timestamp()
_EARLIEST = datetime.min.replace(tzinfo=UTC).timestamp()
_LIMITS = {name: READINGS.field(name).max_length or 0 for name in ("sensor_id", "quantity", "unit")}
_LONGEST = min(_LIMITS.values())  # a reading whose parts are all this short needs no closer look


class Reading(NamedTuple):
    """One row of the readings contract (the field names are its columns)."""

    sensor_id: str
    quantity: str
    unit: str | None
    value: float
    at: datetime


class SenmlFormat(NameMapping):
    """SenML JSON, its names split by the mapping's `separator` unless listed in `names`."""

    kind: Literal["senml"] = "senml"


PayloadFormat = Annotated[SenmlFormat | plain_json.JsonFormat, Field(discriminator="kind")]


class IntakeLimits(BaseModel):
    """The configurable bounds. A SenML pack is a few hundred bytes per record; 256 KiB is a
    thousand records, and anything near 1 MB is a device gone wrong or an attack. Twenty years
    back still reads a replayed archive (the UCI Beijing series starts in 2013) and refuses a
    device whose clock was never set (1970)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_payload_bytes: int = Field(default=256 * 1024, gt=0)
    max_future_s: float = Field(default=300.0, ge=0)
    max_age_days: float = Field(default=7305.0, gt=0)


@dataclass(frozen=True, slots=True)
class SensorCatalog:
    """The registered sensors and, per sensor, the unit of each quantity it has thresholds for
    (a quantity not listed is accepted in any unit: there is nothing to compare it with)."""

    units: Mapping[str, Mapping[str, str | None]]

    @classmethod
    def from_sensors(cls, sensors: pd.DataFrame) -> SensorCatalog:
        """From a `sensors` contract frame (id, thresholds {quantity: {"unit": ...}})."""
        units: dict[str, dict[str, str | None]] = {}
        for sensor_id, thresholds in zip(
            sensors["id"], sensors.get("thresholds", [None] * len(sensors)), strict=True
        ):
            limits = thresholds if isinstance(thresholds, dict) else {}
            units[str(sensor_id)] = {
                str(quantity): (spec.get("unit") if isinstance(spec, dict) else None)
                for quantity, spec in limits.items()
            }
        return cls(units)


@dataclass
class Intake:
    """What one payload (or batch) gave: accepted readings and refused records."""

    readings: list[Reading] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        """Refused records by reason."""
        return Counter(problem.reason for problem in self.problems)

    def frame(self) -> pd.DataFrame:
        """The accepted readings as a `readings` contract frame (times aware UTC)."""
        frame = pd.DataFrame(self.readings, columns=list(Reading._fields))
        frame["value"] = frame["value"].astype("float64")
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    def rejections(self, source: str) -> list[Rejection]:
        """The problems as the monitor's Rejection records (row: the record's position)."""
        return [
            Rejection(source, READINGS.name, p.position, p.name, p.field, p.value, p.message)
            for p in self.problems
        ]

    def extend(self, other: Intake) -> None:
        self.readings.extend(other.readings)
        self.problems.extend(other.problems)


class _Candidate(NamedTuple):
    position: int
    name: str
    reading: Reading


def _parse_constant(word: str) -> float:
    return float(word)  # NaN, Infinity, -Infinity: kept to be refused per record, not per payload


def decode_payload(
    payload: bytes | bytearray,
    payload_format: SenmlFormat | plain_json.JsonFormat,
    now: datetime,
    limits: IntakeLimits,
    catalog: SensorCatalog | None,
) -> Intake:
    """Decode and check one message. Never raises for bad content. `catalog` None skips the
    sensor and unit checks (for a caller that applies them itself)."""
    if len(payload) > limits.max_payload_bytes:
        size = f"{len(payload)} bytes, over max_payload_bytes ({limits.max_payload_bytes})"
        return Intake(problems=[Problem(0, "payload", f"<{len(payload)} bytes>", TOO_LARGE, size)])
    try:
        document = json.loads(payload.decode("utf-8"), parse_constant=_parse_constant)
    except UnicodeDecodeError as exc:
        detail = f"not UTF-8 (byte {exc.start})"
        return Intake(problems=[Problem(0, "payload", shorten(payload[:40]), NOT_JSON, detail)])
    except (ValueError, RecursionError) as exc:
        return Intake(problems=[Problem(0, "payload", shorten(payload[:40]), NOT_JSON, str(exc))])
    stamp = now.timestamp()
    if isinstance(payload_format, plain_json.JsonFormat):
        measured, problems = plain_json.read(document, payload_format, stamp)
        made = [
            _reading(
                m.position, f"{m.sensor_id}:{m.quantity}", (m.sensor_id, m.quantity), m.unit, m.value, m.time
            )
            for m in measured
        ]
    else:
        try:
            records, problems = senml.resolve(document, stamp)
        except senml.PackError as exc:
            return Intake(problems=[exc.problem])
        made = [_from_record(record, payload_format) for record in records]
    candidates = [item for item in made if isinstance(item, _Candidate)]
    problems.extend(item for item in made if isinstance(item, Problem))
    checked = check(candidates, now, limits, catalog)
    checked.problems[:0] = problems
    checked.problems.sort(key=lambda p: p.position)
    return checked


def _from_record(record: senml.Record, names: NameMapping) -> _Candidate | Problem:
    if record.value is None:
        kind = next(
            key
            for key, value in (
                ("vs", record.string_value),
                ("vb", record.bool_value),
                ("vd", record.data_value),
                ("s", record.sum),
            )
            if value is not None
        )
        detail = f"a {'sum' if kind == 's' else 'non-numeric value'} ({kind}) is not a reading"
        value = {
            "vs": record.string_value,
            "vb": record.bool_value,
            "vd": record.data_value,
            "s": record.sum,
        }[kind]
        return Problem(record.position, kind, shorten(value), NOT_NUMERIC, detail, record.name)
    return _reading(
        record.position, record.name, names.split(record.name), record.unit, record.value, record.time
    )


def _reading(
    position: int, name: str, parts: tuple[str, str] | None, unit: str | None, value: float, time: float
) -> _Candidate | Problem:
    if parts is None:
        return Problem(
            position, "n", shorten(name), BAD_NAME, f"{name!r}: map it in the source's names", name
        )
    if not math.isfinite(time) or time >= _LATEST:
        return Problem(position, "t", shorten(time), IN_FUTURE, "beyond the year 9999", name)
    if time <= _EARLIEST:
        return Problem(position, "t", shorten(time), IN_PAST, "before the year 1", name)
    return _Candidate(
        position, name, Reading(parts[0], parts[1], unit, value, datetime.fromtimestamp(time, UTC))
    )


def check(
    candidates: Iterable[_Candidate], now: datetime, limits: IntakeLimits, catalog: SensorCatalog | None
) -> Intake:
    """The reading-level checks (sensor, unit, lengths, time bounds, duplicates) of decoded
    readings; each refused one becomes a Problem naming why."""
    latest = now + timedelta(seconds=limits.max_future_s)
    earliest = now - timedelta(days=limits.max_age_days)
    seen: set[tuple[str, str, datetime]] = set()
    out = Intake()
    for position, name, reading in candidates:
        problem = None
        too_long = None
        if max(len(reading.sensor_id), len(reading.quantity), len(reading.unit or "")) > _LONGEST:
            too_long = next((k for k, n in _LIMITS.items() if len(getattr(reading, k) or "") > n), None)
        units = catalog.units.get(reading.sensor_id) if catalog is not None else None
        if too_long is not None:
            value = getattr(reading, too_long)
            problem = Problem(
                position, too_long, shorten(value), TOO_LONG, f"over {_LIMITS[too_long]} characters", name
            )
        elif catalog is not None and units is None:
            problem = Problem(
                position, "sensor_id", shorten(reading.sensor_id), UNKNOWN_SENSOR, reading.sensor_id, name
            )
        elif (
            units is not None
            and units.get(reading.quantity)
            and reading.unit not in (None, units[reading.quantity])
        ):
            detail = f"{reading.quantity} is measured in {units[reading.quantity]}, not {reading.unit}"
            problem = Problem(position, "u", shorten(reading.unit), WRONG_UNIT, detail, name)
        elif reading.at > latest:
            detail = f"{reading.at.isoformat()} is more than {limits.max_future_s:g} s ahead"
            problem = Problem(position, "t", reading.at.isoformat(), IN_FUTURE, detail, name)
        elif reading.at < earliest:
            detail = f"{reading.at.isoformat()} is more than {limits.max_age_days:g} days old"
            problem = Problem(position, "t", reading.at.isoformat(), IN_PAST, detail, name)
        if problem is not None:
            out.problems.append(problem)
            continue
        key = (reading.sensor_id, reading.quantity, reading.at)
        if key in seen:
            detail = f"{reading.sensor_id} {reading.quantity} at {reading.at.isoformat()} again"
            out.problems.append(Problem(position, "t", reading.at.isoformat(), DUPLICATE, detail, name))
            continue
        seen.add(key)
        if reading.unit is None and units is not None and units.get(reading.quantity):
            reading = reading._replace(unit=units[reading.quantity])
        out.readings.append(reading)
    return out


def dedupe(batches: Iterable[Intake]) -> Intake:
    """Several messages' intakes as one batch, a reading seen twice across them kept once (the
    first): a QoS 1 message may arrive twice."""
    out = Intake()
    seen: set[tuple[str, str, datetime]] = set()
    for batch in batches:
        out.problems.extend(batch.problems)
        for reading in batch.readings:
            key = (reading.sensor_id, reading.quantity, reading.at)
            if key in seen:
                detail = f"{reading.sensor_id} {reading.quantity} at {reading.at.isoformat()} again"
                out.problems.append(Problem(0, "t", reading.at.isoformat(), DUPLICATE, detail))
                continue
            seen.add(key)
            out.readings.append(reading)
    return out
