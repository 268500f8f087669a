"""CSV exports through the JSON API (every matching row streamed from the store, scoped,
formula-safe, audited) and the audit log endpoints, which only administrators read."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
from api_checks import OTHER, OWN, audited


def _csv(response) -> list[dict[str, str]]:
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_is_a_csv_download_with_every_matching_row_and_is_audited(clients, engine, cases):
    before = len(audited(engine, "export", "leader"))
    response = clients["leader"].get("/api/v1/cases/export.csv?status=closed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "cases-20" in disposition
    assert "X-Export-Truncated" not in response.headers
    rows = _csv(response)
    assert len(rows) == (cases["status"] == "closed").sum()
    assert list(rows[0]) == list(cases.columns)
    assert any("号" in (row["address"] or "") for row in rows)  # Chinese survives
    assert rows[0]["reported_at"].endswith("+08:00")  # the park's time
    entries = audited(engine, "export", "leader")
    assert len(entries) == before + 1
    detail = entries.iloc[0]["detail"]
    assert entries.iloc[0]["target"] == "cases"
    assert detail["rows"] == len(rows) and detail["status"] == ["closed"] and detail["department"] is None


def test_department_head_export_holds_their_department_only(clients, cases):
    rows = _csv(clients["department_head"].get("/api/v1/cases/export.csv"))
    assert len(rows) == (cases["department"] == OWN).sum()
    assert {row["department"] for row in rows} == {OWN}


def test_export_is_streamed_from_the_store_and_never_read_from_the_snapshot(clients, cases, monkeypatch):
    from services import records, scoping

    def no_snapshot(*_args, **_kwargs):
        raise AssertionError("an export must query the store, not hold the snapshot")

    monkeypatch.setattr(scoping, "scoped_snapshot", no_snapshot)
    monkeypatch.setattr(records, "snapshot", no_snapshot)
    monkeypatch.setattr(records, "EXPORT_CHUNK_ROWS", 100)
    response = clients["leader"].get("/api/v1/cases/export.csv", buffered=False)
    assert response.is_streamed
    pieces = list(response.response)  # the header, then one piece per chunk of 100 rows
    response.close()
    assert len(pieces) == 1 + -(-len(cases) // 100)
    rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(rows) == len(cases) == int(response.headers["X-Export-Rows"])
    assert sorted(r["id"] for r in rows) == sorted(cases["id"])
    reported = [r["reported_at"] for r in rows]
    assert reported == sorted(reported, reverse=True)  # newest report first


def test_export_of_a_window_of_days_holds_the_cases_reported_in_it(clients, cases):
    import datetime as dt

    response = clients["leader"].get("/api/v1/cases/export.csv?days=30")
    assert "-30d-" in response.headers["Content-Disposition"]
    since = pd.Timestamp(dt.datetime.now(dt.UTC)) - pd.Timedelta(days=30)
    assert len(_csv(response)) == (cases["reported_at"] >= since).sum()
    both = clients["leader"].get("/api/v1/cases/export.csv?days=30&since=2026-01-01")
    assert both.status_code == 422


def test_export_with_no_matching_case_still_names_its_columns(clients, cases):
    response = clients["leader"].get("/api/v1/cases/export.csv?domain=no-such-domain")
    assert response.headers["X-Export-Rows"] == "0"
    header = response.data.decode("utf-8-sig").splitlines()
    assert header == [",".join(cases.columns)]


def test_export_quotes_text_that_would_run_as_a_formula(app):
    from api.base import csv_response

    frame = pd.DataFrame(
        {"description": ['=HYPERLINK("http://evil")', "+1", "平常"], "value": [-1.5, 2.0, 3.0]}
    )
    with app.server.test_request_context("/"):
        body = csv_response(frame, "x.csv", total=3).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["description"] for r in rows] == ['\'=HYPERLINK("http://evil")', "'+1", "平常"]
    assert rows[0]["value"] == "-1.5"  # numbers are not text


def test_audit_log_is_for_administrators_and_its_export_is_audited(clients, engine):
    assert clients["leader"].get("/api/v1/audit").status_code == 403
    assert clients["leader"].get("/api/v1/audit/export.csv").status_code == 403
    clients["department_head"].get(f"/api/v1/cases?department={OTHER}")  # something to find
    page = clients["admin"].get("/api/v1/audit?action=scope.denied,access.denied&limit=5").get_json()
    assert 0 < len(page["items"]) <= 5 and page["total"] >= len(page["items"])
    assert {item["action"] for item in page["items"]} <= {"scope.denied", "access.denied"}
    denied = clients["admin"].get("/api/v1/audit?action=scope.denied&actor=dept-head&limit=1").get_json()
    assert denied["items"][0]["detail"]["requested"] == OTHER
    response = clients["admin"].get("/api/v1/audit/export.csv?outcome=denied")
    rows = _csv(response)
    assert rows and {row["outcome"] for row in rows} == {"denied"}
    details = [json.loads(row["detail"]) for row in rows if row["detail"]]  # details as JSON
    assert details and all(isinstance(d, dict) for d in details)
    entry = audited(engine, "export", "admin").iloc[0]
    assert entry["target"] == "audit" and entry["detail"]["rows"] == len(rows)


def test_bad_audit_query_values_answer_json_errors(clients):
    for query in ("action=no.such", "outcome=maybe", "since=yesterday", "limit=x"):
        response = clients["admin"].get(f"/api/v1/audit?{query}")
        assert response.status_code == 422, query
        assert "invalid parameters" in response.get_json()["message"]


OLD_CAP = 200_000  # the most rows a download held before exports were streamed


def test_export_of_a_store_larger_than_the_old_cap_is_complete_and_streamed(tmp_path):
    """A store of more cases than the old cap: every one is in the download, which arrives in
    pieces of one chunk each (never the whole file in memory), and a department head's holds
    only their department's, with formula-like text still quoted."""
    from apps import build_app
    from signin import signed_in

    from services.records import CASE_TABLE, EXPORT_CHUNK_ROWS
    from store.bulk import write_frame
    from store.engine import begin_write

    app = build_app(tmp_path, demo_cases=0)
    services = app.server.extensions["onescreen"]
    count = OLD_CAP + 7_001
    at = pd.Timestamp("2026-11-01T00:00:00Z") + pd.to_timedelta(range(count), unit="s")
    frame = pd.DataFrame(
        {
            "id": [f"B{i:07d}" for i in range(count)],
            "channel": "hotline_12345",
            "domain": "city",
            "case_type": "litter",
            "department": [OWN if i % 3 == 0 else OTHER for i in range(count)],
            "status": "reported",
            "reported_at": at,
            "description": ["=cmd|' /C calc'!A0" if i % 1000 == 0 else "ok" for i in range(count)],
        }
    )
    with begin_write(services.engine) as connection:
        write_frame(connection, CASE_TABLE, frame)

    leader, _ = signed_in(app, "leader")
    response = leader.get("/api/v1/cases/export.csv", buffered=False)
    assert response.is_streamed and "X-Export-Truncated" not in response.headers
    assert int(response.headers["X-Export-Rows"]) == count
    lines, pieces, largest = 0, 0, 0
    for piece in response.response:
        pieces += 1
        largest = max(largest, len(piece))
        lines += piece.count(b"\r\n")
    response.close()
    assert lines == 1 + count  # the header and every case
    assert pieces == 1 + -(-count // EXPORT_CHUNK_ROWS)
    assert largest < 2_000_000  # one chunk's text at a time, not the ~20 MB file

    head, _ = signed_in(app, "department_head")
    rows = _csv(head.get("/api/v1/cases/export.csv"))
    assert len(rows) == len(range(0, count, 3)) and {r["department"] for r in rows} == {OWN}
    assert {r["description"] for r in rows} == {"ok", "'=cmd|' /C calc'!A0"}


def test_overview_export_link_downloads_the_cases_behind_the_charts_shown(app, clients):
    """The Overview's link names the scope and the charts' window, and downloads exactly the
    cases its charts count (a department head: their department's)."""
    from urllib.parse import parse_qs, urlparse

    from pages.overview import EXPORT_DAYS, _export_href
    from security.scope import Scope
    from services.kpis import cases_by

    scope = Scope(OWN)
    href = _export_href(scope)
    assert parse_qs(urlparse(href).query) == {"days": [str(EXPORT_DAYS)], "department": [OWN]}
    with app.server.test_request_context("/"):
        charted = int(cases_by(scope, "domain", EXPORT_DAYS).sum())
    rows = _csv(clients["department_head"].get(href))
    assert charted > 0 and len(rows) == charted
    assert {r["department"] for r in rows} == {OWN}
