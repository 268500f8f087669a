"""The JSON API's doors (/api/v1): every route declares a permission, strangers get 401 JSON with
a bearer challenge, the OpenAPI document, who a session or token is (/me), what each role may
read, and API tokens (a revoked one refused and audited)."""

from __future__ import annotations

import pytest
from api_checks import OWN, audited, bearer

from security import tokens
from security.guard import ANYONE, PERMISSION_ATTR


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


def test_unknown_api_paths_answer_json_404(clients):
    for path in ("/api/v1/no-such", "/api/v2/cases", "/open311/v2/nothing.json"):
        response = clients["leader"].get(path)
        assert response.status_code == 404, path
        assert response.is_json, path
