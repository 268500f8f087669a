"""POST /open311/v2/requests (GeoReport v2, "POST Service Request") in-process on a small demo
park: a citizen app's reporter token files a case in the `reported` state on the snap-and-report
channel with its event and audit row; every bad input is refused with GeoReport's error list
naming the field and nothing written; only the reporter role may report. Rate limits, retries
and personal data: test_open311_report_limits.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from api_checks import audited, bearer
from open311_reporting import (
    CODE,
    PATH,
    _case,
    _count,
    _events,
    _form,
    first_cell,
    report_app,
    reporter_token,
)
from sqlalchemy import select

from security import tokens
from security.scope import WHOLE_PARK
from services.case_query import CaseFilter, case_page
from services.case_types import home_of, limits_of
from store.models import Case, Feature


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return report_app(tmp_path_factory)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def cell(engine):
    return first_cell(engine)


@pytest.fixture
def token(engine):
    """A fresh reporter token per test: each has its own rate window."""
    return reporter_token(engine)


def test_a_report_files_a_reported_case_with_its_event_and_audit(app, engine, cell, token):
    client = app.server.test_client()
    before = _count(engine)
    # the specification's way: a form with api_key
    response = client.post(PATH, data=_form(cell, api_key=token, description="路口井盖松动，有异响"))
    assert response.status_code == 201, response.get_data(as_text=True)
    (answer,) = response.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    case_id = answer["service_request_id"]
    assert _count(engine) == before + 1
    case = _case(engine, case_id)
    domain, department = home_of(CODE)
    assert (case["status"], case["channel"], case["case_type"]) == ("reported", "snap_report", CODE)
    assert (case["domain"], case["department"], case["grid_cell"]) == (domain, department, cell[0])
    assert case["description"] == "路口井盖松动，有异响" and case["version"] == 1
    assert case["sla_deadline"] == case["reported_at"] + limits_of(CODE).total
    (event,) = _events(engine, case_id)
    client_name = f"token:{tokens.list_tokens(engine)[-1]['client']}"
    assert (event["action"], event["to_status"], event["actor"]) == ("reported", "reported", client_name)
    (row,) = audited(engine, "case.change", client_name).to_dict("records")
    assert row["target"] == f"case:{case_id}" and row["outcome"] == "ok"
    assert row["detail"]["action"] == "report" and row["detail"]["to"] == "reported"
    # it shows where cases are read: the Open311 list (newest first) and the Cases page's grid
    reader = bearer(tokens.issue(engine, "city-portal", "leader", actor="admin")[0])
    listed = client.get(PATH, headers=reader).get_json()
    assert listed[0]["service_request_id"] == case_id and listed[0]["status"] == "open"
    grid, _ = case_page(engine, CaseFilter(channel=("snap_report",), status=("reported",)), WHOLE_PARK,
                        ZoneInfo("Asia/Shanghai"), start=0, end=100)  # fmt: skip
    assert case_id in [row["id"] for row in grid]


def test_a_json_body_with_a_bearer_token_answers_xml(app, engine, cell, token):
    response = app.server.test_client().post(
        "/open311/v2/requests.xml", json=_form(cell, lat=cell[1], long=cell[2]), headers=bearer(token)
    )
    assert response.status_code == 201
    assert response.content_type == "text/xml; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request><service_request_id>'
    )


def test_an_address_id_gives_the_place_and_grid_cell(app, engine, token):
    with engine.connect() as c:
        house, geometry, properties = c.execute(
            select(Feature.id, Feature.geometry, Feature.properties)
            .where(Feature.layer == "house_number")
            .limit(1)
        ).one()
    response = app.server.test_client().post(
        PATH, data={"service_code": CODE, "address_id": house}, headers=bearer(token)
    )
    assert response.status_code == 201
    case = _case(engine, response.get_json()[0]["service_request_id"])
    assert case["grid_cell"] == properties["grid_cell"] and case["address"] == properties["name"]
    assert [case["lon"], case["lat"]] == geometry["coordinates"][:2]


def test_a_citizens_own_point_wins_over_the_address_ids(app, engine, cell, token):
    with engine.connect() as c:
        house, properties = c.execute(
            select(Feature.id, Feature.properties)
            .where(Feature.layer == "house_number", Feature.properties["grid_cell"].as_string() != cell[0])
            .limit(1)
        ).one()
    client = app.server.test_client()
    response = client.post(PATH, data=_form(cell, address_id=house), headers=bearer(token))
    case = _case(engine, response.get_json()[0]["service_request_id"])
    assert (case["grid_cell"], case["lat"], case["address"]) == (
        cell[0],
        float(_form(cell)["lat"]),
        properties["name"],
    )
    outside = client.post(
        PATH, data=_form(cell, address_id=house, lat="39.9", long="116.4"), headers=bearer(token)
    )
    assert outside.status_code == 400 and "outside the park" in outside.get_json()[0]["description"]


BAD = {
    "unknown service code": ({"service_code": "um.teleporter_broken"}, ["service_code: unknown service"]),
    "no service code": ({"service_code": ""}, ["service_code: required"]),
    "no place": ({"lat": "", "long": ""}, ["lat: a place is needed"]),
    "latitude out of range": ({"lat": "91"}, ["lat: '91' is not a number of degrees from -90 to 90"]),
    "longitude not a number": ({"long": "east"}, ["long: 'east' is not a number"]),
    "not finite": ({"lat": "nan"}, ["lat: 'nan' is not a number"]),
    "outside the park": ({"lat": "39.9042", "long": "116.4074"}, ["lat: (39.904200, 116.407400) is outside the park"]),
    "latitude without longitude": ({"long": ""}, ["long: lat and long go together"]),
    "over-long description": ({"description": "x" * 2001}, ["description: 2001 characters; at most 2000"]),
    "control character": ({"description": "a\x00b"}, ["description: control characters are not allowed"]),
    "an attribute": ({"attribute[depth]": "3"}, ["attribute[depth]: service 'um.manhole_cover_damaged' has no attributes"]),
    "media url not http": ({"media_url": "javascript:alert(1)"}, ["media_url: an http or https address"]),
    "unknown address id": ({"lat": "", "long": "", "address_id": "HN999999"}, ["address_id: no address 'HN999999'"]),
    "two problems at once": (
        {"service_code": "nope", "description": "y" * 3000},
        ["service_code: unknown service 'nope'", "description: 3000 characters"],
    ),
}  # fmt: skip


@pytest.mark.parametrize(("fields", "messages"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    app, engine, cell, token, fields, messages
):
    before = _count(engine)
    response = app.server.test_client().post(PATH, data=_form(cell, **fields), headers=bearer(token))
    assert response.status_code == 400
    errors = response.get_json()
    assert [e["code"] for e in errors] == [400] * len(messages)
    for error, message in zip(errors, messages, strict=True):
        assert error["description"].startswith(message), error
    assert _count(engine) == before


def test_a_refusal_in_xml_is_georeports_error_list(app, cell, token):
    response = app.server.test_client().post(
        "/open311/v2/requests.xml", data=_form(cell, service_code="nope"), headers=bearer(token)
    )
    assert response.status_code == 400
    assert "<errors><error><code>400</code><description>service_code: unknown service" in response.get_data(
        as_text=True
    )


def test_markup_is_kept_as_text_and_read_back_as_text(app, engine, cell, token):
    text = '<script>alert("x")</script> <b>&amp;</b> =HYPERLINK("http://evil")'
    client = app.server.test_client()
    response = client.post(PATH, data=_form(cell, description=text), headers=bearer(token))
    case_id = response.get_json()[0]["service_request_id"]
    assert _case(engine, case_id)["description"] == text
    reader = bearer(tokens.issue(engine, "markup-reader", "leader", actor="admin")[0])
    read = client.get(f"/open311/v2/requests/{case_id}.json", headers=reader).get_json()
    assert read[0]["description"] == text
    xml = client.get(f"/open311/v2/requests/{case_id}.xml", headers=reader).get_data(as_text=True)
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &lt;b&gt;&amp;amp;&lt;/b&gt;' in xml


@pytest.mark.parametrize("role", ["leader", "duty_officer", "department_head", "viewer"])
def test_a_token_of_a_role_that_may_not_report_is_refused(app, engine, cell, role):
    token = tokens.issue(engine, f"not-a-reporter-{role}", role, actor="admin",
                         department="urban_management" if role == "department_head" else None)[0]  # fmt: skip
    before = _count(engine)
    response = app.server.test_client().post(PATH, data=_form(cell), headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()[0]["code"] == 403
    assert _count(engine) == before


def test_a_signed_in_duty_officer_may_not_report(app, engine, cell):
    from signin import signed_in

    client, csrf = signed_in(app, "duty_officer")
    assert client.post(PATH, data=_form(cell), headers={"X-CSRFToken": csrf}).status_code == 403


def test_no_token_an_unknown_or_a_revoked_one_gets_401(app, engine, cell):
    client = app.server.test_client()
    before = _count(engine)
    assert client.post(PATH, data=_form(cell)).status_code == 401
    unknown = client.post(PATH, data=_form(cell, api_key="os_not-a-token"))
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"].startswith("Bearer")
    token, pk = tokens.issue(engine, "retired-app", "reporter", actor="admin")
    tokens.revoke(engine, pk, actor="admin")
    assert client.post(PATH, data=_form(cell, api_key=token)).status_code == 401
    assert client.post(PATH, data=_form(cell), headers=bearer(token)).status_code == 401
    assert _count(engine) == before


def test_a_reporter_reads_back_its_own_reports_and_nothing_else(app, engine, cell, token):
    client = app.server.test_client()
    assert client.get("/open311/v2/services.json", headers=bearer(token)).status_code == 200
    mine = client.post(PATH, data=_form(cell, description="我的上报"), headers=bearer(token)).get_json()[0]
    own = mine["service_request_id"]
    listed = client.get(PATH, headers=bearer(token))
    assert listed.status_code == 200 and [r["service_request_id"] for r in listed.get_json()] == [own]
    assert listed.get_json()[0]["status"] == "open" and listed.headers["X-Total-Count"] == "1"
    assert client.get(f"/open311/v2/requests/{own}.json", headers=bearer(token)).status_code == 200
    with engine.connect() as c:
        demo_case = c.execute(select(Case.id).where(Case.channel == "snap_report").limit(1)).scalar_one()
    assert client.get(f"/open311/v2/requests/{demo_case}.json", headers=bearer(token)).status_code == 404
    by_id = client.get(f"{PATH}?service_request_id={demo_case},{own}", headers=bearer(token)).get_json()
    assert [r["service_request_id"] for r in by_id] == [own]
    stranger = bearer(reporter_token(engine))  # another app does not see this one's reports
    assert client.get(PATH, headers=stranger).get_json() == []
    assert client.get(f"/open311/v2/requests/{own}.json", headers=stranger).status_code == 404
    for path in ("/api/v1/cases", f"/api/v1/cases/{own}", "/api/v1/kpis", "/api/v1/departments"):
        assert client.get(path, headers=bearer(token)).status_code == 403, path


def test_the_reporter_role_is_for_tokens_never_for_users(engine):
    from security.users import UserError, create_user

    with pytest.raises(UserError, match="a role for a citizen app's API token, not for a user"):
        create_user(engine, "app-user", ["reporter", "viewer"], password=None, actor="admin")


def test_the_openapi_document_describes_the_report(app, token):
    spec = app.server.test_client().get("/api/v1/openapi.json", headers=bearer(token)).get_json()
    operations = spec["paths"]["/open311/v2/requests.{format}"]
    assert {"get", "post"} <= set(operations)
    post = operations["post"]
    assert set(post["responses"]) >= {"200", "201", "400", "401", "403", "422", "429"}
    assert {"application/x-www-form-urlencoded", "application/json"} <= set(post["requestBody"]["content"])
