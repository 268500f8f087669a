"""SenML resolution against every example of RFC 8428 (tests/fixtures/senml), and the rules the
examples do not show: relative times, base values and sums, versions, must-understand fields,
records that are refused and what happens to the rest of their pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_sources.feeds.problems import BAD_RECORD, NOT_A_PACK, NOT_FINITE, UNSUPPORTED
from data_sources.feeds.senml import NameMapping, PackError, SensorQuantity, resolve

SENML = Path(__file__).resolve().parent.parent / "fixtures" / "senml"
EXAMPLES = sorted(p.name.removesuffix(".gen.resolved.json") for p in SENML.glob("ex*.gen.resolved.json"))
# The clock of the moment each resolved form was generated, for records without a time.
GENERATED_AT = {"ex1": 1498780179.0, "ex2": 1498780179.0, "ex9": 1498780179.0, "ex7": 1499109309.0}
ANY_NOW = 1.7e9  # examples whose records all carry absolute times must not depend on the clock


def _load(name: str) -> object:
    return json.loads((SENML / name).read_text(encoding="utf-8"))


def _same(got: dict, expected: dict) -> None:
    assert sorted(got) == sorted(expected), (got, expected)
    for key, value in expected.items():
        if isinstance(value, float) or key == "t":
            assert got[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert got[key] == value, key


def test_every_example_with_a_resolved_form_is_tested():
    assert len(EXAMPLES) == 12
    assert {p.name.removesuffix(".gen.json") for p in SENML.glob("ex*.gen.json")} == {*EXAMPLES, "ex13"}


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_resolves_to_its_resolved_form_field_by_field(example):
    records, problems = resolve(_load(f"{example}.gen.json"), GENERATED_AT.get(example, ANY_NOW))
    expected = _load(f"{example}.gen.resolved.json")
    got = [r.to_json() for r in records]
    assert problems == []
    if example == "ex7":
        # the generator's resolved form leaves the data value out; we keep it (refused later,
        # as not a numeric reading) and say so here rather than hide it
        data = [g for g in got if "vd" in g]
        assert data == [{"n": "urn:dev:ow:10e2073a01080063:nfv-reader", "t": 1499109309.0, "vd": "aGkgCg"}]
        got = [g for g in got if "vd" not in g]
    assert len(got) == len(expected)
    for one, other in zip(got, expected, strict=True):
        _same(one, other)


def test_example_13_times_relative_to_the_base_time_are_absolute():
    records, problems = resolve(_load("ex13.gen.json"), ANY_NOW)
    assert problems == []
    got = [(r.name, r.unit, r.time, r.value) for r in records]
    assert got == [
        ("2001:db8::3", "/", 1320078429.0, 0.5),
        ("2001:db8::4", "/", 1320078429.0, 0.5),
        ("2001:db8::3", "/", pytest.approx(1320078429.1), 0.0),
        ("2001:db8::4", "/", pytest.approx(1320078429.1), 0.0),
    ]


def test_times_below_2_to_the_28_are_relative_to_the_clock():
    now = 1_765_000_000.0
    records, _ = resolve(
        [{"n": "a:x", "v": 1, "t": -60}, {"n": "a:x", "v": 2}, {"n": "a:x", "v": 3, "t": 5}], now
    )
    assert [r.time for r in records] == [now - 60, now, now + 5]
    # a base time that is itself relative makes the sum relative too
    records, _ = resolve([{"bt": -120, "n": "a:x", "v": 1, "t": 20}], now)
    assert records[0].time == now - 100


def test_base_value_and_base_sum_are_added_and_units_carry_forward():
    pack = [
        {"bn": "urn:dev:m-1:", "bv": 100, "bs": 1000, "bu": "kWh", "n": "e", "v": 1, "s": 5},
        {"n": "e", "v": 2.5, "u": "Wh"},
        {"n": "e", "s": 7},
    ]
    records, problems = resolve(pack, ANY_NOW)
    assert problems == []
    assert [(r.value, r.sum, r.unit) for r in records] == [
        (101, 1005, "kWh"),
        (102.5, None, "Wh"),
        (None, 1007, "kWh"),
    ]


def test_a_base_only_record_sets_bases_and_yields_nothing():
    records, problems = resolve([{"bn": "urn:dev:x:"}, {"n": "t", "v": 1}], ANY_NOW)
    assert ([r.name for r in records], problems) == (["urn:dev:x:t"], [])


def test_a_later_base_name_replaces_the_earlier_one():
    records, _ = resolve(
        [{"bn": "a:", "n": "x", "v": 1}, {"bn": "b:", "n": "x", "v": 2}, {"n": "y", "v": 3}], ANY_NOW
    )
    assert [r.name for r in records] == ["a:x", "b:x", "b:y"]


def test_a_newer_version_than_10_is_not_read():
    records, problems = resolve([{"bver": 11, "n": "a:x", "v": 1}, {"n": "a:y", "v": 2}], ANY_NOW)
    assert records == []
    assert [(p.position, p.reason) for p in problems] == [(0, UNSUPPORTED), (1, UNSUPPORTED)]


def test_a_must_understand_field_refuses_only_its_record():
    records, problems = resolve([{"n": "a:x", "v": 1, "foo_": 1}, {"n": "a:y", "v": 2}], ANY_NOW)
    assert [r.name for r in records] == ["a:y"]
    assert [(p.position, p.field, p.reason) for p in problems] == [(0, "foo_", UNSUPPORTED)]


def test_a_malformed_base_name_refuses_the_rest_of_the_pack_not_files_it_elsewhere():
    pack = [{"bn": "a:", "n": "x", "v": 1}, {"bn": 5, "n": "x", "v": 2}, {"n": "y", "v": 3}]
    records, problems = resolve(pack, ANY_NOW)
    assert [r.name for r in records] == ["a:x"]
    assert [(p.position, p.field, p.reason) for p in problems] == [
        (1, "bn", BAD_RECORD),
        (2, "bn", BAD_RECORD),
    ]
    assert "earlier record" in problems[1].detail


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"n": "a:x", "v": float("nan")}, "v", NOT_FINITE),
        ({"n": "a:x", "v": float("inf")}, "v", NOT_FINITE),
        ({"n": "a:x", "v": 1, "t": float("-inf")}, "t", NOT_FINITE),
        ({"n": "a:x", "v": "12"}, "v", BAD_RECORD),
        ({"n": "a:x", "v": True}, "v", BAD_RECORD),
        ({"n": "a:x", "vb": 1}, "vb", BAD_RECORD),
        ({"n": "a:x", "v": 1, "vs": "1"}, "vs", BAD_RECORD),
        ({"n": "a:x"}, "v", BAD_RECORD),
        ({"v": 1}, "n", BAD_RECORD),
        ({"n": "-a:x", "v": 1}, "n", BAD_RECORD),
        ({"n": "a x:y", "v": 1}, "n", BAD_RECORD),
        ("text", "record", BAD_RECORD),
    ],
    ids=["nan", "inf", "time-inf", "string-v", "bool-v", "int-vb", "two-values", "no-value", "no-name",
         "name-starts-with-dash", "name-with-space", "not-an-object"],
)  # fmt: skip
def test_a_bad_record_is_refused_with_its_field_and_the_next_is_kept(record, field, reason):
    records, problems = resolve([record, {"n": "a:ok", "v": 1}], ANY_NOW)
    assert [r.name for r in records] == ["a:ok"]
    assert [(p.position, p.field, p.reason) for p in problems] == [(0, field, reason)]


def test_a_pack_that_is_not_an_array_is_refused_whole():
    with pytest.raises(PackError) as caught:
        resolve({"n": "a:x", "v": 1}, ANY_NOW)
    assert caught.value.problem.reason == NOT_A_PACK


def test_names_split_at_the_last_separator_unless_mapped():
    names = NameMapping(
        names={"urn:dev:ow:10e2073a01080063": SensorQuantity(sensor_id="ow-1", quantity="humidity")}
    )
    assert names.split("urn:dev:aq-017:pm25") == ("urn:dev:aq-017", "pm25")
    assert names.split("urn:dev:ow:10e2073a01080063") == ("ow-1", "humidity")
    assert names.split("temperature") is None
    assert names.split("urn:dev:aq-017:") is None
    assert NameMapping(separator="/").split("2001:db8::2/temperature") == ("2001:db8::2", "temperature")
