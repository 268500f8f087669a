"""The Open311 GeoReport v2 read endpoints in-process on a small demo park: the spec's field
names, its defaults (the last 90 days, at most 1000 requests), its filters and errors, and the
same access rules as the JSON API (tokens, roles, department scoping). XML and paging:
test_open311_xml_paging.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import yaml
from api_checks import OWN
from signin import signed_in

from config.settings import ROOT
from security import audit, tokens

# GeoReport v2, GET service list and GET service requests: the fields of each element
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
    "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


@pytest.fixture(scope="module")
def portal(app, engine):
    """A city portal's client holding a leader's token."""
    token = tokens.issue(engine, "city-portal", "leader", actor="admin")[0]
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def department(app, engine):
    token = tokens.issue(engine, "bureau-portal", "department_head", actor="admin", department=OWN)[0]
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_services_are_the_case_types_with_the_spec_fields(portal):
    response = portal.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.get_json()
    catalogue = yaml.safe_load((ROOT / "config" / "case_types.yaml").read_text(encoding="utf-8"))
    codes = {t["id"] for domain in catalogue["domains"].values() for t in domain["types"]}
    assert {s["service_code"] for s in services} == codes
    for service in services:
        assert set(service) == SERVICE_FIELDS
        assert service["metadata"] is False and service["type"] == "realtime"
        assert service["group"] in catalogue["domains"]
    manhole = next(s for s in services if s["service_code"] == "um.manhole_cover_missing")
    assert manhole["service_name"] == "井盖缺失" and "urgent" in manhole["keywords"].split(",")
    english = portal.get("/open311/v2/services.json", headers={"Accept-Language": "en"}).get_json()
    assert next(s for s in english if s["service_code"] == "um.manhole_cover_missing")["service_name"] == (
        "Missing manhole cover"
    )


def test_requests_default_to_the_last_90_days_with_the_spec_fields(portal, cases):
    response = portal.get("/open311/v2/requests.json")
    assert response.status_code == 200
    requests = response.get_json()
    recent = cases[cases["reported_at"] >= pd.Timestamp(datetime.now(UTC) - timedelta(days=90))]
    assert len(requests) == min(len(recent), 1000) > 0
    by_id = cases.set_index("id")
    for request in requests:
        assert set(request) == REQUEST_FIELDS
        case = by_id.loc[request["service_request_id"]]
        # a rejected case is finished too: closed to the resident
        assert request["status"] == ("closed" if case["status"] in ("closed", "rejected") else "open")
        assert request["service_code"] == case["case_type"]
        assert request["agency_responsible"] == case["department"]
        assert request["requested_datetime"].endswith("+08:00")  # the park's time, with offset
        assert pd.Timestamp(request["requested_datetime"]) == case["reported_at"]
        if pd.notna(case["sla_deadline"]):
            assert pd.Timestamp(request["expected_datetime"]) == case["sla_deadline"]
        assert pd.Timestamp(request["updated_datetime"]) >= pd.Timestamp(request["requested_datetime"])
        assert request["lat"] == pytest.approx(case["lat"]) and request["long"] == pytest.approx(case["lon"])
    times = [pd.Timestamp(r["requested_datetime"]) for r in requests]
    assert times == sorted(times, reverse=True)


def test_requests_filter_by_status_code_and_dates(portal, cases):
    closed = portal.get("/open311/v2/requests.json?status=closed").get_json()
    assert closed and {r["status"] for r in closed} == {"closed"}
    opened = portal.get("/open311/v2/requests.json?status=open").get_json()
    assert {r["status"] for r in opened} <= {"open"}
    both = portal.get("/open311/v2/requests.json?status=open,closed").get_json()
    assert len(both) == min(len(closed) + len(opened), 1000)
    code = cases["case_type"].value_counts().index[0]
    typed = portal.get(f"/open311/v2/requests.json?service_code={code}").get_json()
    assert typed and {r["service_code"] for r in typed} == {code}
    oldest = cases["reported_at"].min()
    start = (oldest - timedelta(minutes=1)).isoformat()
    end = (oldest + timedelta(days=10)).isoformat()
    window = portal.get("/open311/v2/requests.json", query_string={"start_date": start, "end_date": end})
    expected = cases[
        (cases["reported_at"] >= oldest - timedelta(minutes=1))
        & (cases["reported_at"] < oldest + timedelta(days=10))
    ]
    assert len(window.get_json()) == len(expected) > 0


def test_request_ids_override_the_other_parameters(portal, cases):
    oldest = cases.sort_values("reported_at")["id"].iloc[:2].tolist()  # years ago: outside 90 days
    response = portal.get(f"/open311/v2/requests.json?service_request_id={','.join(oldest)}&status=open")
    assert sorted(r["service_request_id"] for r in response.get_json()) == sorted(oldest)


def test_one_request_is_a_list_of_one_and_a_missing_one_a_georeport_error(portal, cases):
    case_id = cases["id"].iloc[0]
    one = portal.get(f"/open311/v2/requests/{case_id}.json").get_json()
    assert len(one) == 1 and one[0]["service_request_id"] == case_id
    missing = portal.get("/open311/v2/requests/no-such.json")
    assert missing.status_code == 404
    assert missing.get_json()[0]["code"] == 404 and missing.get_json()[0]["description"]


@pytest.mark.parametrize(
    "path", ["/open311/v2/requests.csv", "/open311/v2/services.csv", "/open311/v2/requests/1.csv"]
)
def test_an_unknown_format_is_refused_naming_xml_and_json(portal, path):
    response = portal.get(path)
    assert response.status_code == 400
    description = response.get_json()[0]["description"]
    assert "format not supported" in description and ".xml" in description and ".json" in description


@pytest.mark.parametrize(
    "query",
    [
        "start_date=yesterday",
        "status=pending",
        "start_date=2020-01-01&end_date=2021-01-01",  # more than 90 days
        "start_date=2021-01-02&end_date=2021-01-01",
        "status=open&status=closed",
        "service_request_id=" + ",".join(["x"] * 1001),
    ],
)
def test_bad_parameters_answer_georeport_errors_not_500(portal, query):
    response = portal.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)  # GeoReport's code
    error = response.get_json()[0]
    assert error["code"] == response.status_code and error["description"]


def test_unknown_client_parameters_are_ignored(portal):
    assert portal.get("/open311/v2/requests.json?jurisdiction_id=park&api_key=x").status_code == 200


def test_department_token_reads_its_department_only(department, cases):
    requests = department.get("/open311/v2/requests.json").get_json()
    assert requests and {r["agency_responsible"] for r in requests} == {OWN}
    other = cases.loc[cases["department"] != OWN, "id"].iloc[0]
    assert department.get(f"/open311/v2/requests/{other}.json").status_code == 404
    listed = department.get(f"/open311/v2/requests.json?service_request_id={other}").get_json()
    assert listed == []


def test_access_needs_a_token_or_session_that_may_read_records(app, engine):
    anonymous = app.server.test_client().get("/open311/v2/requests.json")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    token = tokens.issue(engine, "wall", "viewer", actor="admin")[0]
    viewer = app.server.test_client()
    viewer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert viewer.get("/open311/v2/services.json").status_code == 200  # the catalogue, not records
    refused = viewer.get("/open311/v2/requests.json")
    assert refused.status_code == 403
    assert refused.get_json()[0]["code"] == 403
    client, _ = signed_in(app, "duty_officer")
    assert client.get("/open311/v2/requests.json").status_code == 200


@pytest.mark.parametrize("query", ["service_request_id=", "service_request_id=&status=open"])
def test_an_empty_request_id_is_a_georeport_error_not_the_last_90_days(portal, query):
    response = portal.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    (error,) = response.get_json()
    assert error["code"] == 400 and "service_request_id is empty" in error["description"]


def _denied(engine) -> pd.DataFrame:
    return audit.query(engine, audit.AuditFilter(actions=("scope.denied",), actor="token:bureau-portal"))


def test_probing_another_departments_request_is_audited_but_reads_as_missing(department, engine, cases):
    other = cases.loc[cases["department"] != OWN, "id"].iloc[1]
    own = cases.loc[cases["department"] == OWN, "id"].iloc[1]
    before = len(_denied(engine))
    response = department.get(f"/open311/v2/requests/{other}.json")
    assert response.status_code == 404
    assert response.get_json() == [{"code": 404, "description": f"no service request {other!r}"}]
    rows = _denied(engine)
    assert len(rows) == before + 1
    assert rows.iloc[0]["outcome"] == "denied" and rows.iloc[0]["target"] == f"case:{other}"
    # a missing one and an own one leave no such row
    assert department.get("/open311/v2/requests/no-such.json").status_code == 404
    assert department.get(f"/open311/v2/requests/{own}.json").status_code == 200
    assert len(_denied(engine)) == before + 1
    # asking for it among others in the list: answered without it, and audited too
    listed = department.get(f"/open311/v2/requests.json?service_request_id={own},{other},no-such")
    assert [r["service_request_id"] for r in listed.get_json()] == [own]
    rows = _denied(engine)
    assert len(rows) == before + 2 and rows.iloc[0]["detail"]["cases"] == [other]
