"""POST /open311/v2/requests (GeoReport v2, "POST Service Request") in-process on a small demo
park: a citizen app's reporter token files a case in the `reported` state on the snap-and-report
channel with its event and audit row; every bad input is refused with GeoReport's error list
naming the field and nothing written; only the reporter role may report; reports are limited
per token; a retry files nothing new; a reporter's name and contacts are kept nowhere."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from api_checks import audited, bearer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from security import tokens
from security.scope import WHOLE_PARK
from services.case_query import CaseFilter, case_page
from services.case_types import home_of, limits_of
from store.models import Case, CaseEvent, Feature

LIMIT = 5  # reports per token per minute in this app
CODE = "um.manhole_cover_damaged"
PATH = "/open311/v2/requests.json"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app of its own: these tests file cases (the package's app is read by others)."""
    from apps import build_app

    return build_app(
        tmp_path_factory.mktemp("open311-report"), demo_cases=300, open311_reports_per_minute=LIMIT
    )


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def cell(engine):
    """A unit cell of the park and a point inside it (its outline's mean: the cells are rectangles)."""
    with engine.connect() as c:
        cell_id, geometry = c.execute(
            select(Feature.id, Feature.geometry)
            .where(Feature.layer == "grid_unit")
            .order_by(Feature.id)
            .limit(1)
        ).one()
    ring = geometry["coordinates"][0][:-1]
    return cell_id, sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


_CLIENTS = iter(range(1, 1000))


def reporter_token(engine, role: str = "reporter") -> str:
    return tokens.issue(engine, f"citizen-app-{next(_CLIENTS)}", role, actor="admin")[0]


@pytest.fixture
def token(engine):
    """A fresh reporter token per test: each has its own rate window."""
    return reporter_token(engine)


def _count(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Case)).scalar_one()


def _case(engine, case_id):
    with engine.connect() as c:
        return dict(c.execute(select(Case.__table__).where(Case.id == case_id)).one()._mapping)


def _events(engine, case_id):
    with engine.connect() as c:
        return [
            dict(r._mapping)
            for r in c.execute(select(CaseEvent.__table__).where(CaseEvent.case_id == case_id))
        ]


def _form(cell, **extra):
    _, lat, lon = cell
    return {
        "service_code": CODE,
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": "井盖松动",
        **extra,
    }


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


def test_too_many_reports_get_429_with_retry_after_and_other_tokens_go_on(app, engine, cell, token):
    client = app.server.test_client()
    for n in range(LIMIT):  # different descriptions: each a new report
        assert (
            client.post(PATH, data=_form(cell, description=f"report {n}"), headers=bearer(token)).status_code
            == 201
        )
    before = _count(engine)
    refused = client.post(PATH, data=_form(cell, description="one too many"), headers=bearer(token))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (
        refused.get_json()[0]["code"] == 429 and "at most 5 a minute" in refused.get_json()[0]["description"]
    )
    assert _count(engine) == before
    other = reporter_token(engine)
    assert (
        client.post(PATH, data=_form(cell, description="another app"), headers=bearer(other)).status_code
        == 201
    )


def test_a_retry_of_the_same_report_files_one_case(app, engine, cell, token):
    client = app.server.test_client()
    form = _form(cell, device_id="device-42", description="垃圾桶满溢")
    first = client.post(PATH, data=form, headers=bearer(token))
    again = client.post(PATH, data=form, headers=bearer(token))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"]
    # another device, or another text, is another report
    other_device = client.post(PATH, data={**form, "device_id": "device-43"}, headers=bearer(token))
    assert other_device.status_code == 201
    other_text = client.post(PATH, data={**form, "description": "垃圾桶破损"}, headers=bearer(token))
    assert other_text.status_code == 201


def test_an_idempotency_key_names_one_report(app, engine, cell, token):
    client = app.server.test_client()
    headers = {**bearer(token), "Idempotency-Key": "retry-7f3a"}
    first = client.post(PATH, data=_form(cell, description="路灯不亮"), headers=headers)
    again = client.post(PATH, data=_form(cell, description="路灯不亮"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    reused = client.post(PATH, data=_form(cell, description="另一件事"), headers=headers)
    assert reused.status_code == 422
    assert reused.get_json()[0]["description"].startswith("Idempotency-Key: already used")


def test_a_same_report_a_minute_later_is_a_new_case(app, engine, cell):
    from security.principal import Principal
    from security.roles import Role
    from services.case_reports import file_report, parse_report

    principal = Principal("token", "token:clock-app", "clock-app", (Role.REPORTER,), token_pk=987_654)
    with app.server.test_request_context():
        report = parse_report(_form(cell, description="同一处积水"))
        first = file_report(report, principal)
        at = _case(engine, first.case_id)["reported_at"]
        assert file_report(report, principal, now=at + timedelta(seconds=59)) == type(first)(
            first.case_id, False
        )
        later = file_report(report, principal, now=at + timedelta(seconds=61))
    assert later.created and later.case_id != first.case_id


def test_two_copies_sent_at_once_file_one_case(app, engine, cell, token):
    form = _form(cell, device_id="twin", description="两次点击同时发出")
    answers: list = []

    def send() -> None:
        answers.append(app.server.test_client().post(PATH, data=form, headers=bearer(token)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.get_json()[0]["service_request_id"] for a in answers}) == 1


def test_a_reporters_name_and_contacts_are_kept_nowhere(app, engine, cell, token):
    personal = {
        "first_name": "Xiaoyu7431",
        "last_name": "Qianmo9920",
        "email": "reporter.8812@example.invalid",
        "phone": "13912345678",
        "device_id": "device-pd-5561",
    }
    client = app.server.test_client()
    response = client.post(PATH, data=_form(cell, account_id="acct-3390", **personal), headers=bearer(token))
    assert response.status_code == 201
    case_id = response.get_json()[0]["service_request_id"]
    secrets = [*personal.values(), "acct-3390"]
    # the store, audit log included: every byte of the SQLite file and its write-ahead log
    database = Path(make_url(app.server.extensions["onescreen"].settings.store_url).database)
    stored = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
    assert [s for s in secrets if s.encode() in stored] == []
    # what the API answers and exports
    reader = bearer(tokens.issue(engine, "privacy-check", "leader", actor="admin")[0])
    answers = [
        client.get(f"/open311/v2/requests/{case_id}.json", headers=reader),
        client.get(f"/open311/v2/requests/{case_id}.xml", headers=reader),
        client.get(PATH, headers=reader),
        client.get("/api/v1/cases/export.csv", headers=reader),
    ]
    assert [a.status_code for a in answers] == [200] * len(answers), answers[-1].get_data(as_text=True)[:300]
    texts = "".join(a.get_data(as_text=True) for a in answers)
    assert case_id in texts
    assert [s for s in secrets if s in texts] == []


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
