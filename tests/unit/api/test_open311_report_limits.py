"""POST /open311/v2/requests on the same kind of app as test_open311_report.py: reports are limited
per token, a retry (the same report, an Idempotency-Key, two copies at once) files nothing new, and
a reporter's name and contacts are kept nowhere."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from api_checks import bearer
from open311_reporting import LIMIT, PATH, _case, _count, _form, first_cell, report_app, reporter_token
from sqlalchemy.engine import make_url

from security import tokens


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
