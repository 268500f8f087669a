"""CSV exports through the JSON API (every matching row, scoped, capped, formula-safe, audited)
and the audit log endpoints, which only administrators read."""

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
    assert detail["rows"] == len(rows) and detail["status"] == "closed" and detail["department"] is None


def test_department_head_export_holds_their_department_only(clients, cases):
    rows = _csv(clients["department_head"].get("/api/v1/cases/export.csv"))
    assert len(rows) == (cases["department"] == OWN).sum()
    assert {row["department"] for row in rows} == {OWN}


def test_export_is_cut_at_the_cap_and_says_so(app):
    from api.base import csv_response
    from security.scope import WHOLE_PARK
    from services import records

    with app.server.test_request_context("/api/v1/cases/export.csv"):
        frame, total = records.cases_for_export(WHOLE_PARK, cap=10)
        assert len(frame) == 10 and total > 10
        response = csv_response(frame, "cases.csv", total=total)
    assert response.headers["X-Export-Truncated"] == f"10 of {total} rows"


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
