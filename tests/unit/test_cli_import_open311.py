"""`flask --app app cases import-open311`: the real GeoReport files keep every request, a
re-import updates and never duplicates, and a non-conformant server's requests are read where
they can be read unambiguously and rejected with their position and reason where not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apps import build_app
from sqlalchemy import func, select

from security import audit
from store.models import Case, CaseEvent

ROOT = Path(__file__).resolve().parents[2]
OPEN311 = ROOT / "tests" / "fixtures" / "open311"
MAPPING = ROOT / "config" / "imports" / "open311.yaml"
POTHOLE = "CSROWR-12"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("open311-import"), demo_cases=300, demo_live=False)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


def run(app, origin, mapping=MAPPING):
    return app.server.test_cli_runner().invoke(
        args=["cases", "import-open311", str(origin), "--mapping", str(mapping)]
    )


def case(engine, case_id):
    with engine.connect() as connection:
        row = connection.execute(select(Case.__table__).where(Case.id == case_id)).first()
    return None if row is None else dict(row._mapping)


def count(engine, *where):
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()


def request(ident, **fields):
    base = {
        "service_request_id": ident,
        "status": "open",
        "service_code": POTHOLE,
        "requested_datetime": "2026-11-30T09:30:00+08:00",
        "lat": 39.9,
        "long": 116.4,
        "description": "路面坑洼",
    }
    return {**base, **fields}


def test_the_real_files_keep_every_request_and_a_reimport_updates_them(app, engine):
    chicago = run(app, OPEN311 / "chicago_service_requests.json")
    assert chicago.exit_code == 0, chicago.output
    assert chicago.output.splitlines() == ["imported 2, updated 0, rejected 0"]
    toronto = run(app, OPEN311 / "toronto_requests_many.xml")
    assert toronto.output.splitlines() == ["imported 2, updated 0, rejected 0"]
    single = run(app, OPEN311 / "requests_single.xml")
    assert single.output.splitlines() == ["imported 0, updated 1, rejected 0"]
    again = run(app, OPEN311 / "chicago_service_requests.json")
    assert again.output.splitlines() == ["imported 0, updated 2, rejected 0"]
    assert count(engine, Case.id.in_(["14-01100669", "14-01100627", "101005420892", "101005420894"])) == 4
    light = case(engine, "14-01100669")
    assert (light["case_type"], light["domain"], light["status"]) == (
        "um.street_light_out",
        "urban_management",
        "accepted",
    )
    assert light["reported_at"] == datetime(2014, 7, 12, 15, 58, 43, tzinfo=UTC)
    pothole = case(engine, "101005420892")
    assert pothole["sla_deadline"] == datetime(2018, 8, 3, 4, 1, tzinfo=UTC)  # the server's own
    with engine.connect() as connection:
        events = connection.execute(
            select(CaseEvent.action, CaseEvent.actor).where(CaseEvent.case_id == "14-01100669")
        ).all()
    assert [tuple(e) for e in events] == [("imported", "cli")]
    runs = audit.query(engine, audit.AuditFilter(actions=("case.import",), target="chicago_service_requests"))
    assert [r["imported"] for r in runs["detail"]] == [0, 2]  # newest first


def test_a_non_conformant_server_is_read_where_unambiguous_and_rejected_with_reasons(app, engine, tmp_path):
    requests = [
        request("N-1", status="Closed", updated_datetime="2026-12-01 10:00:00+08:00"),  # 1: space for T
        request("N-2", status="OPEN", requested_datetime="2026-11-30 09:30:00"),  # 2: no zone: park's
        request("N-3", service_code="ZZZ-9"),  # 3: unknown service code
        request("N-4", lat=None, long=None),  # 4: no place: kept
        request("N-5", long=None),  # 5: one coordinate
        request("N-6", lat=95.0),  # 6: impossible
        request("N-7", requested_datetime="11/30/2026 09:30"),  # 7: malformed
        request("N-8", requested_datetime="2026-11-30"),  # 8: no time of day
        request("N-1", description="again"),  # 9: repeats request 1
        request("N-10", description="长" * 3000),  # 10: cut, kept
        request("N-11", description="<script>alert('x')</script><b>=SUM(A1)</b>"),  # 11: as text
        request("N-12", status="pending"),  # 12: neither open nor closed
        request("N-13", lat=0, long=0),  # 13: a server's "no place"
        request("N-14", lat="north", long=116.4),  # 14: not a number
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    result = run(app, path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "note: 1 time had no time zone and Asia/Shanghai time was assumed"
    assert lines[1] == "imported 6, updated 0, rejected 8"
    rejected = {line.split(" (")[0]: line for line in lines[2:]}
    assert list(rejected) == [f"request {n}" for n in (3, 5, 6, 7, 8, 9, 12, 14)]
    assert "service_code 'ZZZ-9' is not in service_types" in rejected["request 3"]
    assert "lat without the other coordinate" in rejected["request 5"]
    assert "lat: above 90" in rejected["request 6"]
    assert "requested_datetime: not an ISO 8601 time (value '11/30/2026 09:30')" in rejected["request 7"]
    assert "a date without a time of day" in rejected["request 8"]
    assert rejected["request 9"] == "request 9 (N-1): id: case id 'N-1' repeats request 1"
    assert "status is not one of" in rejected["request 12"]
    assert "lat: not a finite number" in rejected["request 14"]
    closed = case(engine, "N-1")
    assert (closed["status"], closed["closed_at"]) == ("closed", datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert case(engine, "N-2")["reported_at"] == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    assert case(engine, "N-4")["lon"] is None and case(engine, "N-13")["lat"] is None
    assert len(case(engine, "N-10")["description"]) == 2000
    assert case(engine, "N-11")["description"] == "<script>alert('x')</script><b>=SUM(A1)</b>"
    runs = audit.query(engine, audit.AuditFilter(actions=("case.import",), target="requests.json"))
    assert runs["detail"].iloc[0] == {
        "source": "open311:requests.json",
        "imported": 6,
        "updated": 0,
        "rejected": 8,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "no such file"),
        ("not json at all", "neither GeoReport v2 JSON nor XML"),
        ('{"service_requests": []}', "an array of requests"),
    ],
)
def test_nothing_readable_exits_non_zero_naming_the_problem(app, tmp_path, body, message):
    path = tmp_path / "requests.json"
    if body is not None:
        path.write_text(body, encoding="utf-8")
    result = run(app, path)
    assert result.exit_code == 1 and message in result.output


def test_a_mapping_that_makes_no_sense_is_refused_naming_the_key(app, tmp_path):
    mapping = tmp_path / "open311.yaml"
    mapping.write_text("service_types: {A: um.road_damaged}\nchanel: portal\ntimezone: Mars/Olympus\n")
    result = run(app, OPEN311 / "chicago_service_requests.json", mapping)
    assert result.exit_code == 1
    assert "chanel" in result.output and "timezone" in result.output
