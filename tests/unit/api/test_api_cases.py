"""Reading cases through the JSON API: department scoping inside the reads (through a session
and through a token, and the audit rows of a refused attempt or a probe), filters, pages, and
bad query values answered as JSON errors."""

from __future__ import annotations

import pandas as pd
import pytest
from api_checks import OTHER, OWN, audited, bearer


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
