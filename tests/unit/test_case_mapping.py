"""Mappings of other systems' cases (data_sources/case_mapping.py): refused naming the key when
they do not make sense; rows read through them with times in their zone, numeric codes, WKT
points and built ids, each unreadable value rejecting only its own row with a reason."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from config.settings import ROOT
from data_sources.case_mapping import (
    CaseMapping,
    CsvCaseMapping,
    MappingError,
    load_mapping,
    map_cases,
    parse_mapping,
)

BASE = {
    "columns": {"bh": "id", "lx": "case_type", "zt": "status", "sj": "reported_at"},
    "constants": {"channel": "grid_patrol"},
}


def mapping(**changes) -> CaseMapping:
    return parse_mapping({**BASE, **changes}, CaseMapping, "mapping test")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colums": {}}, "colums: Extra inputs are not permitted"),
        ({"columns": {**BASE["columns"], "x": "kind"}}, "columns.x: 'kind' is not a field of cases"),
        (
            {"columns": {**BASE["columns"], "x": "status"}},
            "columns.x: 'status' is already given by columns.zt",
        ),
        (
            {"constants": {"channel": "a", "status": "closed"}},
            "constants.status: 'status' is already given by columns.zt",
        ),
        (
            {"columns": {"lx": "case_type", "zt": "status", "sj": "reported_at"}},
            "nothing gives the required field(s) id",
        ),
        ({"values": {"department": {"a": "b"}}}, "values.department: no column gives 'department'"),
        ({"dates": {"status": "%Y"}}, "dates.status: not a time field of cases"),
        ({"dates": {"reported_at": "YYYY-MM-DD"}}, "dates.reported_at: 'YYYY-MM-DD' is not a strptime form"),
        ({"timezone": "Asia/Beijing"}, "timezone: unknown time zone 'Asia/Beijing'"),
        ({"id_template": "X-1"}, "id_template: it names no column"),
    ],
)
def test_a_mapping_that_makes_no_sense_is_refused_naming_the_key(changes, message):
    with pytest.raises(MappingError) as caught:
        mapping(**changes)
    assert message in str(caught.value)


def test_a_csv_mapping_checks_its_encoding_and_the_examples_load():
    with pytest.raises(
        MappingError, match="encoding: Value error, unknown encoding 'gbk2'|encoding: unknown encoding 'gbk2'"
    ):
        parse_mapping({**BASE, "encoding": "gbk2"}, CsvCaseMapping, "m")
    for name in ("hotline_12345", "city_311"):
        assert load_mapping(ROOT / "config" / "imports" / f"{name}.yaml", CsvCaseMapping).columns


def test_rows_are_read_through_forms_zones_codes_and_points_and_bad_values_rejected():
    m = mapping(
        columns={"lx": "case_type", "zt": "status", "sj": "reported_at", "wz": "address"},
        values={"status": {1: "reported", 2: "accepted", 9: "closed"}},
        dates={"reported_at": ["%Y年%m月%d日 %H时%M分"]},
        timezone="America/New_York",
        point="zb",
        id_template="V-{bh}",
    )
    frame = pd.DataFrame(
        {
            "bh": [1, 2, 3, 4, 5, 6],
            "lx": ["a", "b", "c", "d", "e", "f"],
            "zt": [1, 2.0, 9, 7, 1, 1],
            "sj": [
                "2026年03月01日 08时30分",
                datetime(2026, 3, 1, 9, 0),  # noqa: DTZ001 - a database's naive timestamp
                "2026-03-01T10:00:00+08:00",  # an offset is kept
                "2026年03月01日 08时30分",
                "2026年11月01日 01时30分",  # happens twice in New York
                "yesterday",
            ],
            "zb": [
                "POINT(116.40 39.90)",
                "SRID=4326;POINT (116.41 39.91)",
                None,
                "POINT(1)",
                "POINT(1 2)",
                "POINT(1 2)",
            ],
            "wz": ["  ", "Main St 1", "x", "y", "z", "w"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    good, rejections = map_cases(frame, m, source="vendor", where="test")
    assert list(good.index) == [10, 11, 12]
    assert list(good["id"]) == ["V-1", "V-2", "V-3"]
    assert list(good["status"]) == ["reported", "accepted", "closed"]
    assert [t.isoformat() for t in good["reported_at"]] == [
        "2026-03-01T13:30:00+00:00",
        "2026-03-01T14:00:00+00:00",
        "2026-03-01T02:00:00+00:00",
    ]
    assert good["lon"].tolist()[:2] == [116.40, 116.41] and pd.isna(good["lon"].iat[2])
    assert pd.isna(good["address"].iat[0])  # blank is missing
    reasons = {(r.row, r.field): r.reason for r in rejections}
    assert reasons[(13, "status")] == "zt value not in the mapping's values.status"
    assert reasons[(13, "lon")] == "zb is not a WKT point 'POINT(lon lat)'"
    assert (
        reasons[(14, "reported_at")]
        == "sj: this local time is ambiguous or does not exist in America/New_York"
    )
    assert reasons[(15, "reported_at")] == "sj: not a time in the form '%Y年%m月%d日 %H时%M分' or ISO 8601"
    assert {r.key for r in rejections} == {"V-4", "V-5", "V-6"}


def test_naive_times_without_a_zone_are_rejected_and_missing_columns_refused():
    frame = pd.DataFrame({"bh": ["1"], "lx": ["a"], "zt": ["closed"], "sj": ["2026-03-01 08:30"]})
    good, rejections = map_cases(frame, mapping(), source="s", where="test")
    assert good.empty
    assert rejections[0].reason == "sj: time without a time zone (give the mapping a timezone)"
    with pytest.raises(MappingError, match=r"columns\.zt: there is no column 'zt' \(it has bh, lx, sj\)"):
        map_cases(frame.drop(columns="zt"), mapping(), source="s", where="test")
