"""The intake checks: each kind of bad payload or reading is refused with its reason and counted,
and the good readings of the same payload are kept; the mapped plain-JSON format; and the bad
payloads ../shared/tools/replay_senml.py mixes into its stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from data_sources.contracts import READINGS
from data_sources.feeds import problems as why
from data_sources.feeds.intake import (
    Intake,
    IntakeLimits,
    Reading,
    SenmlFormat,
    SensorCatalog,
    decode_payload,
    dedupe,
)
from data_sources.feeds.plain_json import JsonFormat
from data_sources.validation import validate

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
T = NOW.timestamp()
CATALOG = SensorCatalog(
    {"urn:dev:aq-017": {"pm25": "ug/m3", "co": "mg/m3"}, "urn:dev:beijing-aotizhongxin": {}, "urn:dev:x": {}}
)
LIMITS = IntakeLimits()
SENML = SenmlFormat()


def decode(payload: object, *, fmt=SENML, catalog=CATALOG, limits=LIMITS) -> Intake:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_payload(raw, fmt, NOW, limits, catalog)


def reasons(intake: Intake) -> list[tuple[int, str]]:
    return [(p.position, p.reason) for p in intake.problems]


def test_a_good_pack_becomes_readings_in_the_contract():
    pack = [
        {"bn": "urn:dev:aq-017:", "bt": T - 60, "n": "pm25", "u": "ug/m3", "v": 42.1},
        {"n": "co", "u": "mg/m3", "v": 0.8, "t": 30},
    ]
    intake = decode(pack)
    assert intake.problems == []
    assert intake.readings == [
        Reading("urn:dev:aq-017", "pm25", "ug/m3", 42.1, NOW - timedelta(seconds=60)),
        Reading("urn:dev:aq-017", "co", "mg/m3", 0.8, NOW - timedelta(seconds=30)),
    ]
    frame = intake.frame()
    result = validate(frame, READINGS, "mqtt")
    assert result.rejections == []
    assert list(result.good.columns) == READINGS.columns
    assert isinstance(frame["at"].dtype, pd.DatetimeTZDtype) and str(frame["at"].dt.tz) == "UTC"


def test_a_reading_without_a_unit_takes_its_quantitys_registered_unit():
    intake = decode([{"n": "urn:dev:aq-017:pm25", "v": 10}])
    assert intake.readings[0].unit == "ug/m3" and intake.readings[0].at == NOW


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json at all", why.NOT_JSON),
        (b'{"bn": "x"', why.NOT_JSON),
        (b"\xff\xfe[]", why.NOT_JSON),
        (b'{"n": "urn:dev:aq-017:pm25", "v": 1}', why.NOT_A_PACK),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", why.NOT_JSON),
    ],
    ids=["text", "truncated", "not-utf8", "object-not-array", "nested-too-deep"],
)
def test_a_payload_that_is_not_a_senml_pack_is_refused_whole(payload, reason):
    intake = decode(payload, limits=IntakeLimits(max_payload_bytes=10**6))
    assert (intake.readings, reasons(intake)) == ([], [(0, reason)])


def test_a_payload_over_the_cap_is_refused_unread():
    payload = b"[" + b'{"n":"pm25","v":1},' * 60000 + b'{"n":"pm25","v":1}]'  # replay_senml's, 1.1 MB
    intake = decode(payload)
    assert reasons(intake) == [(0, why.TOO_LARGE)]
    assert str(len(payload)) in intake.problems[0].detail
    # the cap is a setting: the same payload under a larger cap is read (and its names refused)
    assert intake.counts == {why.TOO_LARGE: 1}
    assert decode(payload, limits=IntakeLimits(max_payload_bytes=2 * 10**6)).counts == {why.BAD_NAME: 60001}


def test_nan_and_infinities_are_refused_per_record_and_the_good_ones_kept():
    payload = b'[{"bn": "urn:dev:aq-017:", "n": "pm25", "v": NaN}, {"n": "pm25", "v": Infinity, "t": 1},' \
              b' {"n": "pm25", "v": -Infinity, "t": 2}, {"n": "pm25", "v": 1e999, "t": 3}, {"n": "pm25", "v": 5, "t": 4}]'  # fmt: skip
    intake = decode(payload)
    assert [r.value for r in intake.readings] == [5.0]
    assert reasons(intake) == [
        (0, why.NOT_FINITE),
        (1, why.NOT_FINITE),
        (2, why.NOT_FINITE),
        (3, why.NOT_FINITE),
    ]


def test_unknown_sensor_wrong_unit_and_unmapped_name_are_each_refused():
    pack = [
        {"bn": "urn:dev:unknown-sensor:", "n": "pm25", "u": "ug/m3", "v": 1},
        {"bn": "urn:dev:aq-017:", "n": "co", "u": "ug/m3", "v": 800},
        {"bn": "", "n": "pm25", "v": 3},
        {"bn": "urn:dev:aq-017:", "n": "pm25", "u": "ug/m3", "v": 4},
        {"n": "temp", "u": "Cel", "v": 21},  # a quantity without a registered unit: any unit
    ]
    intake = decode(pack)
    assert [(r.quantity, r.value) for r in intake.readings] == [("pm25", 4), ("temp", 21)]
    assert reasons(intake) == [(0, why.UNKNOWN_SENSOR), (1, why.WRONG_UNIT), (2, why.BAD_NAME)]
    assert intake.problems[1].detail == "co is measured in mg/m3, not ug/m3"
    assert intake.problems[0].name == "urn:dev:unknown-sensor:pm25"


def test_without_a_catalogue_sensors_and_units_are_not_checked():
    intake = decode([{"n": "urn:dev:unknown-sensor:pm25", "u": "furlongs", "v": 1}], catalog=None)
    assert intake.problems == [] and intake.readings[0].sensor_id == "urn:dev:unknown-sensor"


def test_times_beyond_the_configured_bounds_are_refused():
    limits = IntakeLimits(max_future_s=60, max_age_days=1)
    pack = [
        {"bn": "urn:dev:x:", "bt": T, "n": "a", "v": 1, "t": 61},
        {"n": "a", "v": 2, "t": 59},
        {"n": "a", "v": 3, "t": -86401},
        {"n": "a", "v": 4, "t": -86399},
        {"bt": 4102444800, "n": "a", "v": 5},  # replay_senml's far-future pack: 2100-01-01
        {"bt": 1e300, "n": "a", "v": 6},
        {"bt": 3e8, "n": "a", "v": 7},  # a clock never set: 1979
    ]
    intake = decode(pack, limits=limits)
    assert [r.value for r in intake.readings] == [2, 4]
    assert reasons(intake) == [
        (0, why.IN_FUTURE), (2, why.IN_PAST), (4, why.IN_FUTURE), (5, why.IN_FUTURE), (6, why.IN_PAST)
    ]  # fmt: skip
    # the default bounds read a replayed archive from 2013 and still refuse 1979
    archive = decode(
        [{"bn": "urn:dev:x:", "bt": datetime(2013, 3, 1, tzinfo=UTC).timestamp(), "n": "a", "v": 1}]
    )
    assert archive.problems == []
    assert decode([{"bn": "urn:dev:x:", "bt": 3e8, "n": "a", "v": 1}]).counts == {why.IN_PAST: 1}


def test_duplicates_in_a_batch_keep_the_first():
    pack = [
        {"bn": "urn:dev:x:", "bt": T, "n": "a", "v": 1},
        {"n": "a", "v": 2},
        {"n": "b", "v": 3},
        {"n": "a", "v": 4, "t": 1},
    ]
    intake = decode(pack)
    assert [(r.quantity, r.value) for r in intake.readings] == [("a", 1), ("b", 3), ("a", 4)]
    assert reasons(intake) == [(1, why.DUPLICATE)]


def test_duplicates_across_messages_are_dropped_when_batched():
    one = decode([{"bn": "urn:dev:x:", "bt": T, "n": "a", "v": 1}])
    again = decode([{"bn": "urn:dev:x:", "bt": T, "n": "a", "v": 1}, {"n": "b", "v": 2}])
    batch = dedupe([one, again])
    assert [r.quantity for r in batch.readings] == ["a", "b"]
    assert batch.counts == {why.DUPLICATE: 1}


def test_string_boolean_data_values_and_sums_are_not_readings():
    pack = [
        {"bn": "urn:dev:x:", "n": "label", "vs": "Machine Room"},
        {"n": "open", "vb": False},
        {"n": "nfv", "vd": "aGkgCg"},
        {"n": "energy", "s": 12.5},
        {"n": "temp", "v": 23.1},
    ]
    intake = decode(pack)
    assert [r.quantity for r in intake.readings] == ["temp"]
    assert [(p.field, p.reason) for p in intake.problems] == [
        ("vs", why.NOT_NUMERIC), ("vb", why.NOT_NUMERIC), ("vd", why.NOT_NUMERIC), ("s", why.NOT_NUMERIC)
    ]  # fmt: skip


def test_fields_longer_than_the_contract_allows_are_refused():
    intake = decode([{"n": "urn:dev:x:" + "q" * 33, "v": 1}], catalog=None)
    assert reasons(intake) == [(0, why.TOO_LONG)] and intake.problems[0].field == "quantity"


# ../shared/tools/replay_senml.py's BAD list, as it publishes them, each with the reason it gets
REPLAY_BAD = [
    (b"not json at all", why.NOT_JSON),
    (b'{"bn": "x"', why.NOT_JSON),
    (b'[{"n": "pm25", "v": NaN}]', why.NOT_FINITE),
    (json.dumps([{"bn": "urn:dev:unknown-sensor:", "n": "pm25", "u": "ug/m3", "v": 1}]).encode(), why.UNKNOWN_SENSOR),
    (json.dumps([{"bn": "urn:dev:far-future:", "bt": 4102444800, "n": "pm25", "u": "ug/m3", "v": 1}]).encode(), why.IN_FUTURE),
    (b"[" + b'{"n":"pm25","v":1},' * 60000 + b'{"n":"pm25","v":1}]', why.TOO_LARGE),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "reason"), REPLAY_BAD, ids=lambda v: v if isinstance(v, str) else None)
def test_each_bad_payload_of_the_replay_tool_is_refused_with_its_reason(payload, reason):
    catalog = SensorCatalog({**CATALOG.units, "urn:dev:far-future": {}})
    intake = decode(payload, catalog=catalog)
    assert intake.readings == []
    assert intake.counts == {reason: 1}


def test_the_replay_tools_packs_are_read():
    # a pack as replay_senml.py builds it from the UCI Beijing CSV (hours in Beijing time)
    hour = datetime(2013, 3, 1, 0, tzinfo=UTC) - timedelta(hours=8)
    recs = [
        {"n": "pm25", "u": "ug/m3", "v": 4.0},
        {"n": "co", "u": "ug/m3", "v": 300.0},
        {"n": "temp", "u": "Cel", "v": -0.7},
    ]
    recs[0] = {"bn": "urn:dev:beijing-aotizhongxin:", "bt": hour.timestamp(), **recs[0]}
    intake = decode(recs)
    assert intake.problems == []
    assert [(r.sensor_id, r.quantity, r.at) for r in intake.readings] == [
        ("urn:dev:beijing-aotizhongxin", q, hour) for q in ("pm25", "co", "temp")
    ]


def test_the_catalogue_is_read_from_a_sensors_frame():
    sensors = pd.DataFrame(
        {
            "id": ["urn:dev:aq-001", "urn:dev:cam-001"],
            "thresholds": [{"pm25": {"unit": "ug/m3", "warning": 75, "critical": 115}}, None],
        }
    )
    assert SensorCatalog.from_sensors(sensors).units == {
        "urn:dev:aq-001": {"pm25": "ug/m3"},
        "urn:dev:cam-001": {},
    }


JSON = JsonFormat(
    sensor="dev",
    sensor_prefix="urn:dev:",
    time="ts",
    quantities={"pm25": {"unit": "ug/m3"}, "CO": {"quantity": "co", "unit": "mg/m3"}},
)


def test_plain_json_is_read_through_its_mapping():
    intake = decode({"dev": "aq-017", "ts": T - 10, "pm25": 42.1, "CO": 0.7, "battery": 88}, fmt=JSON)
    assert intake.problems == []
    at = NOW - timedelta(seconds=10)
    assert intake.readings == [
        Reading("urn:dev:aq-017", "pm25", "ug/m3", 42.1, at),
        Reading("urn:dev:aq-017", "co", "mg/m3", 0.7, at),
    ]


def test_plain_json_times_may_be_iso_or_absent():
    iso = decode([{"dev": "aq-017", "ts": "2026-12-06T15:59:00+08:00", "pm25": 1}], fmt=JSON)
    assert iso.readings[0].at == NOW - timedelta(minutes=1)
    assert decode({"dev": "aq-017", "pm25": 1}, fmt=JSON).readings[0].at == NOW


@pytest.mark.parametrize(
    ("item", "field", "reason"),
    [
        ({"ts": T, "pm25": 1}, "dev", why.BAD_RECORD),
        ({"dev": "aq-017", "ts": "yesterday", "pm25": 1}, "ts", why.BAD_RECORD),
        ({"dev": "aq-017", "ts": "2026-12-06T08:00:00", "pm25": 1}, "ts", why.BAD_RECORD),
        ({"dev": "aq-017", "ts": T, "battery": 1}, "payload", why.BAD_RECORD),
        ({"dev": "aq-017", "ts": T, "pm25": "42"}, "pm25", why.NOT_NUMERIC),
        ({"dev": "aq-999", "ts": T, "pm25": 1}, "sensor_id", why.UNKNOWN_SENSOR),
        ("aq-017", "payload", why.NOT_A_PACK),
    ],
    ids=[
        "no-sensor",
        "bad-time",
        "naive-time",
        "no-quantity",
        "text-value",
        "unknown-sensor",
        "not-an-object",
    ],
)
def test_a_bad_plain_json_object_is_refused_and_the_next_kept(item, field, reason):
    intake = decode([item, {"dev": "aq-017", "ts": T, "pm25": 7}], fmt=JSON)
    assert [r.value for r in intake.readings] == [7]
    assert [(p.position, p.field, p.reason) for p in intake.problems] == [(0, field, reason)]


def test_rejections_carry_the_reason_and_detail_for_the_sources_page():
    intake = decode([{"bn": "urn:dev:aq-017:", "n": "co", "u": "ug/m3", "v": 1}])
    (rejection,) = intake.rejections("mqtt-park")
    assert (rejection.source, rejection.contract, rejection.row, rejection.key, rejection.field) == (
        "mqtt-park", "readings", 0, "urn:dev:aq-017:co", "u"
    )  # fmt: skip
    assert rejection.reason == "wrong unit: co is measured in mg/m3, not ug/m3"
