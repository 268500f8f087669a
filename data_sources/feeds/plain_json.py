"""A mapped plain-JSON format for simple devices that cannot speak SenML, e.g.

    {"dev": "aq-017", "ts": 1700000000, "pm25": 42.1, "pm10": 80}

read with a mapping that names the key holding the sensor (`sensor`, with an optional
`sensor_prefix` to make it a registered id such as `urn:dev:aq-017`), the key holding the time
(`time`: seconds since 1970 or ISO 8601 text with an offset; a message without it is stamped with
the time it was received), and the keys that are quantities with their units. Keys not mapped
(a battery level, a firmware version) are ignored. A payload is one such object or an array of
them; each quantity of each object becomes one reading."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from data_sources.feeds.problems import BAD_RECORD, NOT_A_PACK, NOT_FINITE, NOT_NUMERIC, Problem
from data_sources.validation import shorten


class JsonQuantity(BaseModel):
    """One mapped key: the quantity it is (default: the key itself) and its unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: str | None = Field(default=None, min_length=1)
    unit: str | None = Field(default=None, min_length=1)


class JsonFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["json"] = "json"
    sensor: str = Field(min_length=1)
    sensor_prefix: str = ""
    time: str = Field(default="ts", min_length=1)
    quantities: dict[str, JsonQuantity] = Field(min_length=1)


class Measured(NamedTuple):
    """One value read from a plain-JSON object, its time in seconds since 1970 (UTC)."""

    position: int
    sensor_id: str
    quantity: str
    unit: str | None
    value: float
    time: float


def read(document: Any, mapping: JsonFormat, now: float) -> tuple[list[Measured], list[Problem]]:
    """The values of a parsed document (an object or an array of objects) under `mapping`;
    objects are numbered by their position in the array. Never raises for bad content."""
    objects = document if isinstance(document, list) else [document]
    found: list[Measured] = []
    problems: list[Problem] = []
    for position, item in enumerate(objects):
        if not isinstance(item, dict):
            problems.append(Problem(position, "payload", shorten(item), NOT_A_PACK, "expected a JSON object"))
            continue
        sensor = item.get(mapping.sensor)
        if not isinstance(sensor, str | int) or isinstance(sensor, bool) or not str(sensor).strip():
            detail = f"the sensor key {mapping.sensor!r} is missing or not text"
            problems.append(Problem(position, mapping.sensor, shorten(sensor), BAD_RECORD, detail))
            continue
        sensor_id = mapping.sensor_prefix + str(sensor).strip()
        time = _time(item.get(mapping.time), now)
        if isinstance(time, str):
            problems.append(
                Problem(position, mapping.time, shorten(item.get(mapping.time)), BAD_RECORD, time)
            )
            continue
        present = [key for key in mapping.quantities if key in item]
        if not present:
            detail = f"none of the mapped quantities ({', '.join(mapping.quantities)})"
            problems.append(Problem(position, "payload", shorten(item), BAD_RECORD, detail))
        for key in present:
            spec = mapping.quantities[key]
            quantity = spec.quantity or key
            name = f"{sensor_id}:{quantity}"
            value = item[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem(position, key, shorten(value), NOT_NUMERIC, f"{key!r}", name))
            elif not math.isfinite(value):
                problems.append(Problem(position, key, shorten(value), NOT_FINITE, f"{key!r}", name))
            else:
                found.append(Measured(position, sensor_id, quantity, spec.unit, float(value), time))
    return found, problems


def _time(value: Any, now: float) -> float | str:
    """Seconds since 1970 from a number or ISO 8601 text with an offset; a text saying why not."""
    if value is None:
        return now
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else "the time is not a finite number"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return "the time is neither seconds since 1970 nor ISO 8601"
        if moment.tzinfo is None:
            return "the time has no UTC offset"
        return moment.timestamp()
    return "the time is neither seconds since 1970 nor ISO 8601"
