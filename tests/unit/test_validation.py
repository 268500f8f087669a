"""The validator keeps the rows that fit a contract, rejects the others with a reason naming the
source, the row and the field, and never raises on bad data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from data_sources.contracts import (
    CASES,
    CHAINS,
    ENTERPRISE_FIGURES,
    ENTERPRISES,
    FEATURES,
    SENSORS,
    Contract,
    Field,
)
from data_sources.validation import conform, validate


def case(**overrides):
    row = {
        "id": "C1",
        "channel": "hotline_12345",
        "domain": "urban_management",
        "case_type": "garbage_overflow",
        "status": "accepted",
        "reported_at": "2024-03-01T08:00:00+08:00",
    }
    row.update(overrides)
    return row


def check(rows, contract=CASES, **frame_kwargs):
    return validate(pd.DataFrame(rows, **frame_kwargs), contract, "test-source")


def reasons(result):
    return [(r.row, r.field, r.reason) for r in result.rejections]


def test_good_rows_are_kept_in_order_with_the_contracts_columns():
    result = check([case(id="C3"), case(id="C1"), case(id="C2")])
    assert result.rejections == []
    assert list(result.good["id"]) == ["C3", "C1", "C2"]
    assert list(result.good.columns) == CASES.columns


def test_bad_rows_are_dropped_and_the_good_ones_around_them_kept_in_order():
    result = check([case(id="C1"), case(id="C2", status="lost"), case(id="C3"), case(id="C4", status=None)])
    assert list(result.good["id"]) == ["C1", "C3"]
    assert result.rejected_rows == 2


def test_missing_required_value_is_rejected_and_blank_text_counts_as_missing():
    result = check([case(channel=None), case(id="C2", channel="   ")])
    assert reasons(result) == [
        (0, "channel", "required value is missing"),
        (1, "channel", "required value is missing"),
    ]


def test_missing_required_column_rejects_every_row():
    rows = [case(id="C1"), case(id="C2")]
    for row in rows:
        del row["status"]
    result = check(rows)
    assert reasons(result) == [
        (0, "status", "required column is missing"),
        (1, "status", "required column is missing"),
    ]
    assert result.good.empty


def test_missing_optional_columns_are_added_empty():
    result = check([case()])
    assert result.good.loc[0, "address"] is None or pd.isna(result.good.loc[0, "address"])
    assert {"grid_cell", "satisfaction", "repeat_of"} <= set(result.good.columns)


def test_unknown_columns_are_dropped():
    result = check([case(internal_note="do not show", 备注="x")])
    assert result.rejections == []
    assert "internal_note" not in result.good and "备注" not in result.good


def test_times_with_offsets_are_converted_to_utc():
    result = check(
        [case(reported_at="2024-03-01T08:00:00+08:00"), case(id="C2", reported_at="2024-03-01T00:30:00Z")]
    )
    assert list(result.good["reported_at"]) == [
        pd.Timestamp("2024-03-01T00:00:00", tz="UTC"),
        pd.Timestamp("2024-03-01T00:30:00", tz="UTC"),
    ]
    assert str(result.good["reported_at"].dt.tz) == "UTC"


def test_aware_datetime_values_are_converted_to_utc():
    shanghai = pd.Timestamp("2024-03-01 08:00", tz="Asia/Shanghai")
    assert check([case(reported_at=shanghai)]).good.loc[0, "reported_at"] == pd.Timestamp(
        "2024-03-01", tz="UTC"
    )
    frame = pd.DataFrame([case()])
    frame["reported_at"] = pd.Series([datetime(2024, 3, 1, 8, tzinfo=UTC)]).dt.tz_convert("Asia/Shanghai")
    result = validate(frame, CASES, "s")
    assert result.good.loc[0, "reported_at"] == pd.Timestamp("2024-03-01 08:00", tz="UTC")
    assert str(result.good["reported_at"].dt.tz) == "UTC"


@pytest.mark.parametrize(
    "value", ["2024-03-01T08:00:00", "2024-03-01 08:00", "2024-03-01", "2024-03-01T08"], ids=str
)
def test_naive_times_are_rejected(value):
    result = check([case(reported_at=value)])
    assert reasons(result) == [(0, "reported_at", "time without a time zone")]


def test_naive_datetime64_column_is_rejected_as_without_time_zone():
    frame = pd.DataFrame([case()])
    frame["reported_at"] = pd.to_datetime(["2024-03-01 08:00"])
    result = validate(frame, CASES, "s")
    assert reasons(result) == [(0, "reported_at", "time without a time zone")]


def test_unparsable_time_is_rejected():
    result = check([case(reported_at="yesterday+08:00"), case(id="C2", reported_at="2024-13-45T00:00:00Z")])
    assert [r.reason for r in result.rejections] == ["not an ISO 8601 time", "not an ISO 8601 time"]


def test_dates_are_coerced_and_bad_ones_rejected():
    rows = [
        {"id": "E1", "name": "甲公司", "industry_code": "3914", "founded_on": "2015-06-01"},
        {"id": "E2", "name": "乙公司", "industry_code": "3914", "founded_on": "not a date"},
    ]
    result = check(rows, ENTERPRISES)
    assert result.good.loc[0, "founded_on"] == date(2015, 6, 1)
    assert reasons(result) == [(1, "founded_on", "not a date")]


def test_numbers_are_coerced_from_text():
    result = check([case(lon="114.60", lat=" 38.04 ", satisfaction="5")])
    good = result.good.iloc[0]
    assert (good["lon"], good["lat"], good["satisfaction"]) == (114.60, 38.04, 5)
    assert result.good["satisfaction"].dtype == "Int64"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x", "not a finite number"),
        ("inf", "not a finite number"),
        ("4.5", "not a whole number"),
        ("1e30", "not a whole number"),
    ],
)
def test_bad_whole_numbers_are_rejected_without_raising(value, reason):
    rows = [{"enterprise_id": "E1", "year": value}, {"enterprise_id": "E2", "year": "2021"}]
    result = check(rows, ENTERPRISE_FIGURES)
    assert reasons(result) == [(0, "year", reason)]
    assert list(result.good["year"]) == [2021]


def test_bad_floats_are_rejected():
    result = check([case(lon="east"), case(id="C2", lon="nan"), case(id="C3", lon="-inf")])
    assert [r.reason for r in result.rejections] == ["not a finite number"] * 3


def test_choices_are_enforced():
    result = check([case(status="Accepted"), case(id="C2", status="closed")])
    assert reasons(result) == [
        (
            0,
            "status",
            "not one of reported, accepted, dispatched, in_progress, handled, verified, closed, returned, rejected",
        )
    ]


def test_ranges_are_enforced():
    result = check(
        [
            case(lon="181"),
            case(id="C2", lat="-90.5"),
            case(id="C3", satisfaction="0"),
            case(id="C4", lon="180"),
        ]
    )
    assert reasons(result) == [
        (0, "lon", "above 180"),
        (1, "lat", "below -90"),
        (2, "satisfaction", "below 1"),
    ]
    assert list(result.good["id"]) == ["C4"]


def test_pattern_must_match_the_whole_value():
    rows = [
        {"id": f"E{i}", "name": "企业", "industry_code": code}
        for i, code in enumerate(["3914", "39140", "C391", "391"])
    ]
    result = check(rows, ENTERPRISES)
    assert [r.row for r in result.rejections] == [1, 2, 3]
    assert all(r.reason == r"does not match \d{4}" for r in result.rejections)


def test_max_length_is_enforced_in_characters_not_bytes():
    result = check([case(address="长" * 200), case(id="C2", address="长" * 201)])
    assert reasons(result) == [(1, "address", "longer than 200 characters")]


def test_duplicate_keys_in_a_batch_keep_the_first():
    result = check([case(id="C1"), case(id="C2"), case(id="C1", status="closed")])
    assert reasons(result) == [(2, "id", "duplicate key in this batch")]
    assert list(result.good["status"]) == ["accepted", "accepted"]


def test_json_field_takes_objects_or_their_text():
    rows = [
        {"id": "S1", "kind": "aq", "lon": 114.6, "lat": 38.0, "thresholds": {"pm25": {"warning": 75}}},
        {"id": "S2", "kind": "aq", "lon": 114.6, "lat": 38.0, "thresholds": '{"pm25": {"warning": 75}}'},
        {"id": "S3", "kind": "aq", "lon": 114.6, "lat": 38.0, "thresholds": "[1, 2]"},
        {"id": "S4", "kind": "aq", "lon": 114.6, "lat": 38.0, "thresholds": "{not json"},
    ]
    result = check(rows, SENSORS)
    assert list(result.good["thresholds"]) == [{"pm25": {"warning": 75}}] * 2
    assert reasons(result) == [(2, "thresholds", "not a JSON object"), (3, "thresholds", "not a JSON object")]


def test_geometry_field_is_checked_and_the_problem_named():
    rows = [
        {"layer": "parts", "id": "P1", "geometry": {"type": "Point", "coordinates": [114.6, 38.0]}},
        {"layer": "parts", "id": "P2", "geometry": {"type": "Point", "coordinates": ["114.6", 38.0]}},
        {"layer": "parts", "id": "P3", "geometry": '{"type": "LineString", "coordinates": [[0, 0]]}'},
    ]
    result = check(rows, FEATURES)
    assert list(result.good["id"]) == ["P1"]
    assert [r.reason for r in result.rejections] == [
        "invalid GeoJSON geometry: coordinates is not a position [lon, lat(, alt)] of numbers",
        "invalid GeoJSON geometry: a LineString needs at least 2 positions",
    ]


def test_rejection_message_names_source_row_key_field_and_value():
    result = check([case(id="C1"), case(id="C9", status="lost")])
    (rejection,) = result.rejections
    assert (rejection.source, rejection.contract, rejection.row, rejection.key) == (
        "test-source",
        "cases",
        1,
        "C9",
    )
    assert rejection.message == (
        "test-source: cases row 1 (C9), field 'status': "
        "not one of reported, accepted, dispatched, in_progress, handled, verified, closed, returned, rejected (value 'lost')"
    )


def test_long_values_are_shortened_in_messages():
    result = check([case(address="x" * 500)])
    assert len(result.rejections[0].value) <= 60


def test_rows_are_named_by_the_frames_integer_index_when_the_adapter_numbered_them():
    # a CSV adapter indexes rows by line number, so the message points at the line
    result = check([case(id="C1"), case(id="C2", status="lost")], index=[2, 7])
    assert [(r.row, r.key) for r in result.rejections] == [(7, "C2")]
    assert list(result.good.index) == [0]


def test_rows_are_named_by_position_when_the_index_is_not_a_unique_integer():
    assert [r.row for r in check([case(), case(id="C2", status="x")], index=["a", "b"]).rejections] == [1]
    assert [r.row for r in check([case(), case(id="C2", status="x")], index=[5, 5]).rejections] == [1]


def test_every_failed_check_is_reported_but_a_row_counts_once():
    result = check([case(channel=None, status="lost", lon="999")])
    assert {r.field for r in result.rejections} == {"channel", "status", "lon"}
    assert result.rejected_rows == 1


def test_empty_frame_validates_to_an_empty_frame_with_the_columns():
    result = validate(pd.DataFrame(), CASES, "s")
    assert result.good.empty and list(result.good.columns) == CASES.columns
    assert result.rejections == []


def test_text_is_stripped_and_numbers_become_text():
    contract = Contract("t", (Field("code", "text", required=True),))
    result = validate(pd.DataFrame({"code": ["  A1 ", 42, np.int64(7)]}), contract, "s")
    assert list(result.good["code"]) == ["A1", "42", "7"]


@pytest.mark.parametrize(
    ("column", "dtype"),
    [
        ("closed_at", "datetime64[us, UTC]"),
        ("lon", "float64"),
        ("satisfaction", "Int64"),
    ],
)
def test_missing_optional_column_has_its_kinds_dtype_in_validate_and_conform(column, dtype):
    validated = check([case()]).good
    conformed = conform(pd.DataFrame([case()]), CASES)
    for frame in (validated, conformed):
        assert str(frame[column].dtype) == dtype
        assert frame[column].isna().all()
    assert validated["closed_at"].dt.tz is not None  # a cases export without closed_at still has .dt
    assert conformed["address"].iloc[0] is None


def test_conform_turns_stored_dates_into_dates_from_sqlite_text_and_postgresql_dates():
    base = {"id": "E1", "name": "甲", "industry_code": "3914"}
    from_sqlite = pd.DataFrame(
        [{**base, "founded_on": "2015-06-01"}, {**base, "id": "E2", "founded_on": None}]
    )
    from_postgresql = pd.DataFrame([{**base, "founded_on": date(2015, 6, 1)}, {**base, "id": "E2"}])
    for frame in (from_sqlite, from_postgresql):
        assert list(conform(frame, ENTERPRISES)["founded_on"]) == [date(2015, 6, 1), None]


def test_a_missing_date_is_none_not_nat():
    rows = [{"id": "E1", "name": "甲", "industry_code": "3914", "founded_on": None}]
    assert check(rows, ENTERPRISES).good.loc[0, "founded_on"] is None


def test_keys_that_differ_only_by_surrounding_space_are_duplicates():
    result = check([case(id="C-1"), case(id="C-1 "), case(id=" C-2")])
    assert reasons(result) == [(1, "id", "duplicate key in this batch")]
    assert list(result.good["id"]) == ["C-1", "C-2"]


def test_features_are_unique_per_layer_and_id_and_the_rejection_shows_the_joined_key():
    point = {"type": "Point", "coordinates": [114.6, 38.0]}
    rows = [
        {"layer": "part", "id": "P00001", "geometry": point},
        {"layer": "lamp", "id": "P00001", "geometry": point},
        {"layer": "part ", "id": "P00001", "geometry": point},
    ]
    result = check(rows, FEATURES)
    assert [(r.row, r.key, r.field, r.reason) for r in result.rejections] == [
        (2, "part/P00001", "layer/id", "duplicate key in this batch")
    ]
    assert list(result.good["layer"]) == ["part", "lamp"]


def test_chain_links_are_unique_per_chain_and_link():
    rows = [
        {"chain": "ev", "link": "battery", "stage": "upstream"},
        {"chain": "pv", "link": "battery", "stage": "upstream"},
        {"chain": "ev", "link": "battery", "stage": "midstream"},
    ]
    result = check(rows, CHAINS)
    assert [(r.row, r.key) for r in result.rejections] == [(2, "ev/battery")]


def test_enterprise_figures_are_unique_per_enterprise_and_year_as_stored():
    rows = [{"enterprise_id": "E1", "year": "2020"}, {"enterprise_id": "E1", "year": 2020.0}]
    result = check(rows, ENTERPRISE_FIGURES)
    assert [(r.row, r.field) for r in result.rejections] == [(1, "enterprise_id/year")]


def test_a_contract_key_must_name_its_fields():
    with pytest.raises(ValueError, match="'code'"):
        Contract("t", (Field("id", "text"),), key=("code",))
