"""Open311Source on real GeoReport v2 responses (Chicago JSON, Toronto XML) and against a local
HTTP server for the ways a city's endpoint fails."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from data_sources.adapters.open311 import Open311Source
from data_sources.contracts import CASES
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import PARSE_REJECTIONS, SourceMonitor
from data_sources.validation import validate

OPEN311 = Path(__file__).resolve().parent.parent / "fixtures" / "open311"
CHICAGO = OPEN311 / "chicago_service_requests.json"
TORONTO = OPEN311 / "toronto_requests_many.xml"
DEFAULTS = {"default_case_type": "other"}


def from_file(path: Path | str, **options) -> Open311Source:
    return Open311Source("open311-test", {"path": str(path), **DEFAULTS, **options})


def cases(src: Open311Source):
    book = HealthBook()
    snapshot = SourceMonitor(src, book).read("cases")
    return snapshot.frame, book.recent_rejections(src.name)


def test_chicago_json_becomes_cases():
    frame, rejections = cases(from_file(CHICAGO))
    assert rejections == []
    assert list(frame["id"]) == ["14-01100669", "14-01100627"]
    first = frame.iloc[0]
    assert (first["status"], first["channel"], first["domain"], first["case_type"]) == (
        "accepted", "portal", "urban_management", "other",
    )  # fmt: skip
    assert first["reported_at"] == pd.Timestamp("2014-07-12T15:58:43", tz="UTC")  # 10:58:43-05:00
    assert first["address"] == "1540 W 17TH ST, CHICAGO, IL, 60608"
    assert (first["lon"], first["lat"]) == pytest.approx((-87.66475146237676, 41.858724777757864))
    assert pd.isna(first["closed_at"]) and pd.isna(
        first["sla_deadline"]
    )  # open: updated_datetime says nothing


def test_toronto_xml_with_empty_elements_becomes_cases():
    frame, rejections = cases(from_file(TORONTO, service_types={"CSROWR-12": "road_damage"}))
    assert rejections == []
    assert list(frame["id"]) == ["101005420892", "101005420894"]
    first = frame.iloc[0]
    assert first["case_type"] == "road_damage"
    assert first["reported_at"] == pd.Timestamp("2018-07-30T04:01:00", tz="UTC")  # 00:01-04:00
    assert first["sla_deadline"] == pd.Timestamp("2018-08-03T04:01:00", tz="UTC")  # expected_datetime
    assert pd.isna(first["closed_at"])  # <updated_datetime/> is empty
    assert pd.isna(first["description"])  # <description/> is empty
    assert (first["lon"], first["lat"]) == pytest.approx((-79.272306875, 43.691104288))


def test_a_single_request_document_reads():
    frame, _ = cases(from_file(OPEN311 / "requests_single.xml"))
    assert list(frame["id"]) == ["101005420892"]


def write_json(tmp_path: Path, requests: list) -> Path:
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests, ensure_ascii=False), encoding="utf-8")
    return path


def request(ident: str = "R1", **fields) -> dict:
    return {
        "service_request_id": ident,
        "status": "open",
        "service_code": "001",
        "requested_datetime": "2024-03-01T08:00:00+08:00",
        **fields,
    }


def test_a_closed_request_is_closed_when_it_was_last_updated(tmp_path):
    path = write_json(tmp_path, [request(status="closed", updated_datetime="2024-03-02T10:00:00+08:00")])
    frame, _ = cases(from_file(path))
    assert frame.loc[0, "status"] == "closed"
    assert frame.loc[0, "closed_at"] == pd.Timestamp("2024-03-02T02:00:00", tz="UTC")


def test_an_unknown_status_is_rejected_by_the_validator(tmp_path):
    frame, rejections = cases(
        from_file(write_json(tmp_path, [request("R1", status="acknowledged"), request("R2")]))
    )
    assert [(r.row, r.key, r.field) for r in rejections] == [(0, "R1", "status")]
    assert list(frame["id"]) == ["R2"]


def test_strict_rejects_unmapped_service_codes_naming_them(tmp_path):
    path = write_json(
        tmp_path, [request("R1", service_code="001"), request("R2", service_code="999"), request("R3")]
    )
    src = Open311Source(
        "open311-test", {"path": str(path), "service_types": {"001": "garbage"}, "strict": True}
    )
    frame, rejections = cases(src)
    assert list(frame["id"]) == ["R1", "R3"]
    assert list(frame["case_type"]) == ["garbage", "garbage"]
    assert [(r.row, r.key, r.field, r.reason) for r in rejections] == [
        (1, "R2", "case_type", "service_code '999' is not in service_types (strict)")
    ]


def test_without_strict_unmapped_codes_get_the_default_case_type(tmp_path):
    path = write_json(tmp_path, [request("R1", service_code="001"), request("R2", service_code="999")])
    frame, rejections = cases(from_file(path, service_types={"001": "garbage"}, default_case_type="other"))
    assert rejections == [] and list(frame["case_type"]) == ["garbage", "other"]


def test_channel_and_domain_are_options(tmp_path):
    frame, _ = cases(
        from_file(write_json(tmp_path, [request()]), channel="hotline_12345", domain="environment")
    )
    assert (frame.loc[0, "channel"], frame.loc[0, "domain"]) == ("hotline_12345", "environment")


def test_a_request_with_only_a_token_is_rejected_with_the_reason(tmp_path):
    path = write_json(tmp_path, [{"token": "12345", "status": "open"}, request("R2"), "not an object"])
    frame, rejections = cases(from_file(path))
    assert list(frame["id"]) == ["R2"]
    assert [(r.row, r.field) for r in rejections] == [(0, "id"), (2, "(request)")]
    assert "only a token" in rejections[0].reason


def test_numeric_ids_become_text_and_long_descriptions_are_cut(tmp_path):
    frame, rejections = cases(from_file(write_json(tmp_path, [request(12345, description="长" * 3000)])))
    assert rejections == []
    assert frame.loc[0, "id"] == "12345"
    assert len(frame.loc[0, "description"]) == 2000 and frame.loc[0, "description"].endswith("…")


def test_offsets_in_the_file_are_kept_for_the_validator(tmp_path):
    raw = from_file(write_json(tmp_path, [request()])).fetch("cases")
    assert raw.loc[0, "reported_at"] == "2024-03-01T08:00:00+08:00"
    assert validate(raw, CASES, "s").good.loc[0, "reported_at"] == pd.Timestamp(
        "2024-03-01T00:00:00", tz="UTC"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "neither GeoReport v2 JSON nor XML"),
        (b"service_request_id,status\n1,open\n", "neither GeoReport v2 JSON nor XML"),
        (b"[{]", "not valid JSON"),
        (b'{"service_requests": []}', "an array of requests, not dict"),
        (b"<service_requests><request>", "not valid XML"),
        (b"<html><body>Bad gateway</body></html>", "the root element is <html>"),
        (b"<?xml version='1.0'?><errors><error><code>403</code><description>api_key missing</description>"
         b"</error></errors>", "error response: api_key missing"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><service_requests/>', "DOCTYPE is not read"),
    ],
)  # fmt: skip
def test_a_document_that_is_not_georeport_is_refused(tmp_path, body, message):
    path = tmp_path / "body"
    path.write_bytes(body)
    with pytest.raises(SourceMisconfigured, match=message):
        from_file(path).fetch("cases")


# A UTF-16LE document without a byte-order mark: expat recognises the encoding from "<\0", so an
# ASCII search for "<!DOCTYPE" in the raw bytes finds nothing.
ENTITY_IN_UTF16 = (
    '<!DOCTYPE r [<!ENTITY b "boom">]><service_requests><request><service_request_id>&b;'
    "</service_request_id><status>open</status><service_code>001</service_code>"
    "<requested_datetime>2024-03-01T08:00:00+08:00</requested_datetime></request></service_requests>"
).encode("utf-16-le")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ENTITY_IN_UTF16, "DOCTYPE is not read"),
        ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'.encode("utf-16-le"),
         "DOCTYPE is not read"),
        (b'<!DOCTYPE r PUBLIC "-//x//y" "http://127.0.0.1:1/x.dtd"><service_requests/>', "DOCTYPE is not read"),
    ],
    ids=["internal-entity-utf16le", "external-dtd-utf16le", "external-dtd-ascii"],
)  # fmt: skip
def test_a_dtd_is_refused_in_any_encoding_and_never_expanded(tmp_path, body, message):
    path = tmp_path / "requests.xml"
    path.write_bytes(body)
    with pytest.raises(SourceMisconfigured, match=message) as refused:
        from_file(path).fetch("cases")
    assert "boom" not in str(refused.value)


def test_a_file_larger_than_max_bytes_is_refused_without_being_read(tmp_path):
    size = CHICAGO.stat().st_size
    assert len(from_file(CHICAGO, max_bytes=size).fetch("cases")) == 2
    with pytest.raises(
        SourceMisconfigured, match=rf"larger than max_bytes \({size - 1} bytes\): it is {size} bytes"
    ):
        from_file(CHICAGO, max_bytes=size - 1).fetch("cases")
    sparse = tmp_path / "history.json"
    with sparse.open("wb") as file:
        file.truncate(2**30)  # a gigabyte that takes no disk and would take seconds to read
    with pytest.raises(SourceMisconfigured, match=f"it is {2**30} bytes"):
        from_file(sparse).fetch("cases")


def test_a_missing_file_is_unavailable_and_relative_paths_use_base_dir(tmp_path):
    with pytest.raises(SourceUnavailable, match="no such file"):
        Open311Source("o", {"path": "gone.json", **DEFAULTS}, base_dir=str(tmp_path)).fetch("cases")
    src = Open311Source("o", {"path": "toronto_requests_many.xml", **DEFAULTS}, base_dir=str(OPEN311))
    assert len(src.fetch("cases")) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"path": "a.json", "url": "http://127.0.0.1/requests.json"}, "exactly one of `path` and `url`"),
        ({}, "exactly one of `path` and `url`"),
        ({"url": "ftp://example.org/requests.xml"}, "url: .*http"),
        ({"path": "a.json", "default_case_type": None}, "`default_case_type` is required unless `strict`"),
        ({"path": "a.json", "timeout_s": 0}, "timeout_s"),
        ({"path": "a.json", "max_bytes": 0}, "max_bytes"),
        ({"path": "a.json", "api_key": "x"}, "api_key"),
    ],
)
def test_bad_options_are_refused_naming_the_key(options, message):
    with pytest.raises(SourceMisconfigured, match=message):
        Open311Source("o", {**DEFAULTS, **options})


def test_it_provides_only_cases():
    with pytest.raises(ContractError, match="alerts"):
        from_file(CHICAGO).fetch("alerts")


# --- over HTTP, against a real server on loopback ---------------------------------------------


def test_parse_rejections_are_attached_for_the_monitor(tmp_path):
    path = write_json(tmp_path, [request("R1"), request("R2", service_code="x")])
    src = Open311Source("o", {"path": str(path), "service_types": {"001": "garbage"}, "strict": True})
    frame = src.fetch("cases")
    assert list(frame.index) == [0]
    assert [r.row for r in frame.attrs[PARSE_REJECTIONS]] == [1]
