"""The JSON API (/api/v1) in-process on a small demo park, as each role through a signed-in
session and through API tokens: who may read what, department scoping inside the reads (and
the audit rows of a refused attempt), exports, errors as JSON, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import os

import pandas as pd
import pytest
from signin import signed_in

from app import build_dash
from config.settings import load_settings
from security import audit, tokens
from security.guard import ANYONE, PERMISSION_ATTR

OWN = "urban_management"  # the demo department head's department
OTHER = "ecology_environment"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
            patch.delenv(key)
        yield build_dash(load_settings(data_dir=tmp_path_factory.mktemp("api"), demo_cases=800))


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def cases(app) -> pd.DataFrame:
    with app.server.app_context():
        from services.data import snapshot

        return snapshot("cases").frame


@pytest.fixture(scope="module")
def clients(app):
    return {
        role: signed_in(app, role)[0]
        for role in ("leader", "department_head", "duty_officer", "viewer", "admin")
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def leader_token(engine):
    return tokens.issue(engine, "portal-x", "leader", actor="admin")[0]


@pytest.fixture(scope="module")
def head_token(engine):
    return tokens.issue(engine, "portal-dept", "department_head", actor="admin", department=OWN)[0]


def audited(engine, action: str, actor: str) -> pd.DataFrame:
    return audit.query(engine, audit.AuditFilter(actions=(action,), actor=actor))


def test_every_api_and_open311_route_declares_a_permission(app):
    server = app.server
    rules = [r for r in server.url_map.iter_rules() if r.rule.startswith(("/api/", "/open311/"))]
    assert len(rules) >= 12
    for rule in rules:
        fn, declared = server.view_functions[rule.endpoint], None
        while fn is not None and declared is None:
            declared = getattr(fn, PERMISSION_ATTR, None)
            fn = getattr(fn, "__wrapped__", None)
        assert declared is not None, f"{rule.rule} declares no permission (security.guard.requires)"
        if rule.rule == "/api/v1/openapi.json":
            assert declared == ANYONE


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me", "/api/v1/cases", "/api/v1/openapi.json", "/api/v1/no-such", "/open311/v2/requests.json"],
)
def test_anonymous_requests_get_401_json_with_a_bearer_challenge(app, path):
    response = app.server.test_client().get(path)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_document_lists_every_path_and_serves_no_ui(clients):
    response = clients["viewer"].get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.0.3"
    assert {
        "/api/v1/me",
        "/api/v1/kpis",
        "/api/v1/departments",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/export.csv",
        "/api/v1/audit",
        "/api/v1/audit/export.csv",
        "/open311/v2/services.{format}",
        "/open311/v2/requests.{format}",
        "/open311/v2/requests/{service_request_id}.{format}",
    } <= set(spec["paths"])
    assert set(spec["components"]["securitySchemes"]) == {"token", "session"}
    limit = next(p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 1000
    # Swagger UI and ReDoc load from CDNs: not served
    for path in ("/api/v1/swagger-ui", "/api/v1/redoc", "/api/v1/docs"):
        assert clients["viewer"].get(path).status_code == 404


def test_security_error_page_survives_flask_smorest(clients):
    # flask-smorest would register an app-wide HTTPException handler answering JSON everywhere
    response = clients["viewer"].get("/sources")
    assert response.status_code == 403
    assert response.content_type.startswith("text/html")


def test_me_describes_a_user_and_a_token(app, clients, head_token):
    me = clients["department_head"].get("/api/v1/me").get_json()
    assert me["kind"] == "user" and me["roles"] == ["department_head"]
    assert me["department"] == OWN and me["scoped_department"] == OWN
    assert "read_records" in me["permissions"] and "read_audit" not in me["permissions"]
    token = app.server.test_client().get("/api/v1/me", headers=bearer(head_token))
    assert token.get_json()["name"] == "token:portal-dept"
    assert token.get_json()["kind"] == "token"
    assert "Set-Cookie" not in token.headers  # a token request starts no session


def test_viewer_sees_figures_but_no_records(clients, cases):
    viewer = clients["viewer"]
    assert viewer.get("/api/v1/kpis").status_code == 200
    assert len(viewer.get("/api/v1/departments").get_json()) >= 20
    for path in ("/api/v1/cases", f"/api/v1/cases/{cases['id'].iloc[0]}", "/api/v1/cases/export.csv"):
        response = viewer.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"] == "forbidden"


def test_duty_officer_reads_cases_but_may_not_export(clients):
    duty = clients["duty_officer"]
    assert duty.get("/api/v1/cases?limit=1").status_code == 200
    assert duty.get("/api/v1/cases/export.csv").status_code == 403
    assert duty.get("/api/v1/audit").status_code == 403


def test_department_head_reads_only_their_department(clients, app, head_token, cases):
    own = cases[cases["department"] == OWN]
    by_session = clients["department_head"].get("/api/v1/cases?limit=1000").get_json()
    by_token = app.server.test_client().get("/api/v1/cases?limit=1000", headers=bearer(head_token)).get_json()
    for body in (by_session, by_token):
        assert body["department"] == OWN
        assert body["total"] == len(own) > 0
        assert {item["department"] for item in body["items"]} == {OWN}
    named = clients["department_head"].get(f"/api/v1/cases?department={OWN}&limit=1").get_json()
    assert named["total"] == len(own)
    kpis = clients["department_head"].get("/api/v1/kpis").get_json()
    assert kpis["department"] == OWN


def test_leader_reads_the_whole_park_or_one_department(clients, cases):
    whole = clients["leader"].get("/api/v1/cases?limit=1").get_json()
    assert whole["department"] is None and whole["total"] == len(cases)
    one = clients["leader"].get(f"/api/v1/cases?department={OTHER}&limit=1").get_json()
    assert one["total"] == (cases["department"] == OTHER).sum()


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/export.csv", "/api/v1/kpis"])
def test_department_head_naming_another_department_is_refused_and_audited(
    app, clients, engine, head_token, path
):
    before = len(audited(engine, "scope.denied", "dept-head"))
    response = clients["department_head"].get(f"{path}?department={OTHER}")
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    rows = audited(engine, "scope.denied", "dept-head")
    assert len(rows) == before + 1
    assert rows.iloc[0]["outcome"] == "denied" and rows.iloc[0]["target"] == path
    assert rows.iloc[0]["detail"] == {"requested": OTHER, "own": OWN}
    # the same through the department head's token
    token = app.server.test_client().get(f"{path}?department={OTHER}", headers=bearer(head_token))
    assert token.status_code == 403
    assert not audited(engine, "scope.denied", "token:portal-dept").empty


@pytest.mark.parametrize(
    "query", [f"department={OWN}&department={OTHER}", f"department={OTHER}&department={OWN}"]
)
@pytest.mark.parametrize("role", ["department_head", "leader"])
def test_a_repeated_department_parameter_is_refused(clients, role, query):
    response = clients[role].get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == {"query": {"department": ["give this parameter once"]}}
    assert "items" not in body


def test_a_case_outside_the_scope_reads_as_missing(clients, cases):
    other = cases.loc[cases["department"] == OTHER, "id"].iloc[0]
    own = cases.loc[cases["department"] == OWN, "id"].iloc[0]
    assert clients["department_head"].get(f"/api/v1/cases/{other}").status_code == 404
    missing = clients["department_head"].get("/api/v1/cases/no-such-case")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not found"
    assert clients["department_head"].get(f"/api/v1/cases/{own}").get_json()["id"] == own
    case = clients["leader"].get(f"/api/v1/cases/{other}").get_json()
    assert case["department"] == OTHER
    assert set(case) == set(cases.columns)


def test_probing_another_departments_case_is_audited_but_still_reads_as_missing(clients, engine, cases):
    other = cases.loc[cases["department"] == OTHER, "id"].iloc[1]
    own = cases.loc[cases["department"] == OWN, "id"].iloc[1]
    before = len(audited(engine, "scope.denied", "dept-head"))
    response = clients["department_head"].get(f"/api/v1/cases/{other}")
    assert response.status_code == 404
    # the same answer as for a case that does not exist
    assert response.get_json() == {"error": "not found", "message": f"no case {other!r}"}
    missing = clients["department_head"].get("/api/v1/cases/no-such")
    assert missing.get_json() == {"error": "not found", "message": "no case 'no-such'"}
    rows = audited(engine, "scope.denied", "dept-head")
    assert len(rows) == before + 1  # the missing one and the own one are not audited
    assert rows.iloc[0]["outcome"] == "denied" and rows.iloc[0]["target"] == f"case:{other}"
    assert rows.iloc[0]["detail"]["own"] == OWN
    assert clients["department_head"].get(f"/api/v1/cases/{own}").status_code == 200
    assert len(audited(engine, "scope.denied", "dept-head")) == before + 1
    leader_before = len(audited(engine, "scope.denied", "leader"))
    clients["leader"].get("/api/v1/cases/no-such")
    assert len(audited(engine, "scope.denied", "leader")) == leader_before


def test_scope_for_leaves_the_known_department_check_to_resolve_scope(app, monkeypatch):
    import api.base
    from security.scope import WHOLE_PARK
    from services.reference import department_ids

    seen = {}

    def spy(principal, requested, **kwargs):
        seen.update(kwargs)
        return WHOLE_PARK

    monkeypatch.setattr(api.base, "resolve_scope", spy)
    with app.server.test_request_context("/api/v1/cases"):
        api.base.scope_for(None, OTHER, what="/api/v1/cases")
    assert seen == {"what": "/api/v1/cases", "known": department_ids}


def test_an_unknown_department_is_403_for_a_department_head_and_400_for_the_park(clients, engine):
    before = len(audited(engine, "scope.denied", "dept-head"))
    refused = clients["department_head"].get("/api/v1/cases?department=no_such_department")
    assert refused.status_code == 403  # refused before the id is looked up: which exist does not leak
    assert len(audited(engine, "scope.denied", "dept-head")) == before + 1
    leader_before = len(audited(engine, "scope.denied", "leader"))
    unknown = clients["leader"].get("/api/v1/kpis?department=no_such_department")
    assert unknown.status_code == 400
    assert "unknown department 'no_such_department'" in unknown.get_json()["message"]
    assert len(audited(engine, "scope.denied", "leader")) == leader_before


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=1001",
        "limit=10.5",
        "offset=-1",
        "since=not-a-date",
        "since=0001-01-01",
        "until=9999-12-31T23:59:59",
        "since=2026-02-01&until=2026-01-01",
        "status=teleported",
        "limit=5&limit=6",
        "no_such_parameter=1",
        "department=" + "x" * 40,
        "department=no_such_department",
    ],
)
def test_bad_query_values_answer_json_errors(clients, query):
    response = clients["leader"].get(f"/api/v1/cases?{query}")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] in ("bad request", "invalid request") and body["message"]


def test_bad_audit_query_values_answer_json_errors(clients):
    for query in ("action=no.such", "outcome=maybe", "since=yesterday", "limit=x"):
        response = clients["admin"].get(f"/api/v1/audit?{query}")
        assert response.status_code == 422, query
        assert "invalid parameters" in response.get_json()["message"]


def test_pages_are_newest_first_and_do_not_overlap(clients, cases):
    leader = clients["leader"]
    first = leader.get("/api/v1/cases?limit=50").get_json()
    second = leader.get("/api/v1/cases?limit=50&offset=50").get_json()
    assert first["total"] == second["total"] == len(cases)
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 100
    times = [pd.Timestamp(c["reported_at"]) for c in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True)
    assert times[0] == cases["reported_at"].max()
    assert first["fetched_at"] and first["stale"] is False


def test_filters_narrow_the_cases(clients, cases):
    leader = clients["leader"]
    closed = leader.get("/api/v1/cases?status=closed&domain=urban_management&limit=1").get_json()
    expected = cases[(cases["status"] == "closed") & (cases["domain"] == "urban_management")]
    assert closed["total"] == len(expected) > 0
    # a date without offset is the park's midnight (Asia/Shanghai)
    since = pd.Timestamp("2026-11-01T00:00:00+08:00")
    recent = leader.get("/api/v1/cases?since=2026-11-01&limit=1").get_json()
    assert recent["total"] == (cases["reported_at"] >= since).sum()


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


def test_tokens_read_the_api_and_a_revoked_one_is_refused_and_audited(app, engine, leader_token):
    client = app.server.test_client()
    assert client.get("/api/v1/cases?limit=1", headers=bearer(leader_token)).status_code == 200
    token, pk = tokens.issue(engine, "portal-gone", "leader", actor="admin")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    tokens.revoke(engine, pk, actor="admin")
    response = client.get("/api/v1/cases", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    refused = audited(engine, "token.refused", "token:portal-gone")
    assert refused.iloc[0]["target"] == f"token:{pk}" and refused.iloc[0]["detail"] == {"reason": "revoked"}
    assert client.get("/api/v1/me", headers=bearer("os_not-a-token")).status_code == 401


def test_viewer_token_may_not_read_records(app, engine):
    token, _ = tokens.issue(engine, "wall-display", "viewer", actor="admin")
    client = app.server.test_client()
    assert client.get("/api/v1/kpis", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 403


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


def test_unknown_api_paths_answer_json_404(clients):
    for path in ("/api/v1/no-such", "/api/v2/cases", "/open311/v2/nothing.json"):
        response = clients["leader"].get(path)
        assert response.status_code == 404, path
        assert response.is_json, path
