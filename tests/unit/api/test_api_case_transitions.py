"""Case steps through POST /api/v1/cases/{id}/transitions and the timeline: the domain decides,
the store writes state, event and audit row together, within the department scope, and two
officers acting at once cannot both win."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from api_checks import OTHER, OWN, audited
from sqlalchemy import insert, select

from store.models import Case, CaseEvent


def _post(client, csrf, case_id, body):
    return client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers={"X-CSRFToken": csrf})


def _row(engine, case_id):
    with engine.connect() as c:
        return dict(c.execute(select(Case.__table__).where(Case.id == case_id)).first()._mapping)


def _events(engine, case_id):
    with engine.connect() as c:
        rows = c.execute(
            select(CaseEvent.__table__).where(CaseEvent.case_id == case_id).order_by(CaseEvent.pk)
        )
        return [dict(r._mapping) for r in rows]


_COUNTER = iter(range(1, 1_000_000))


def _pick(cases, status, *, department=None, channel=None):
    """A fresh case for one test (a copy of a demo case, brought to `status` as just reported):
    tests never share a case, and the small demo park need not hold one in every status."""
    frame = cases if department is None else cases[cases["department"] == department]
    template = frame.iloc[0].to_dict()
    case_id = f"T{next(_COUNTER):06d}-{status}"
    now = datetime.now(UTC) - timedelta(minutes=30)
    stamps = {"accepted": ["accepted_at"], "dispatched": ["accepted_at", "dispatched_at"]}.get(status, [])
    row = {
        **{k: (None if pd.isna(v) else v) for k, v in template.items() if k in Case.__table__.c},
        "id": case_id,
        "status": status,
        "channel": channel or template["channel"],
        "reported_at": now,
        **dict.fromkeys(("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")),
        **dict.fromkeys(stamps, now + timedelta(minutes=5)),
        "satisfaction": None,
        "version": 1,
        "reopen_count": 0,
    }
    row = {k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
    with ENGINE[0].begin() as c:
        c.execute(insert(Case.__table__).values(**row))
        c.execute(
            insert(CaseEvent.__table__).values(case_id=case_id, action="reported", actor="test", at=now)
        )
    return case_id


ENGINE: list = []


# This module writes cases into its store; the directory's other modules count the cases of the
# package's app against the frame read at its start, so the case loop gets an app of its own.
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from apps import build_app

    return build_app(tmp_path_factory.mktemp("case-loop"), demo_cases=800)


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
    from signin import signed_in

    return {
        role: signed_in(app, role)[0]
        for role in ("leader", "department_head", "duty_officer", "viewer", "admin")
    }


@pytest.fixture(autouse=True)
def _engine(engine):
    ENGINE[:] = [engine]


@pytest.fixture(scope="module")
def duty(app):
    from signin import signed_in

    return signed_in(app, "duty_officer")


@pytest.fixture(scope="module")
def head(app):
    from signin import signed_in

    return signed_in(app, "department_head")


def test_a_duty_officer_walks_a_hotline_case_from_report_to_close(duty, engine, cases):
    client, csrf = duty
    case_id = _pick(cases, "reported", channel="hotline_12345")
    steps = [
        {"action": "accept"},
        {"action": "dispatch", "department": OWN},
        {"action": "start"},
        {"action": "handle", "note": "cover replaced"},
        {"action": "verify"},
        {"action": "close", "satisfaction": 5},
    ]
    version = _row(engine, case_id)["version"]
    for body in steps:
        response = _post(client, csrf, case_id, {**body, "version": version})
        assert response.status_code == 200, response.get_json()
        timeline = response.get_json()
        assert timeline["version"] == version + 1
        version = timeline["version"]
    assert timeline["status"] == "closed"
    assert timeline["actions"] == ["reopen"]
    assert timeline["clock"]["stage"] is None
    assert [s["standing"] for s in timeline["clock"]["stages"]] != []
    row = _row(engine, case_id)
    assert row["status"] == "closed" and row["satisfaction"] == 5 and row["department"] == OWN
    loop = [e for e in _events(engine, case_id) if e["to_status"]]
    assert [e["action"] for e in loop] == [s["action"] for s in steps]
    assert all(e["actor"] == "duty" for e in loop)
    audit = audited(engine, "case.change", "duty")
    mine = audit[(audit["target"] == f"case:{case_id}") & (audit["outcome"] == "ok")]
    assert sorted(d["action"] for d in mine["detail"]) == sorted(s["action"] for s in steps)


def test_an_illegal_step_is_refused_with_why_and_changes_nothing(duty, engine, cases):
    client, csrf = duty
    case_id = _pick(cases, "reported")
    before, events = _row(engine, case_id), _events(engine, case_id)
    response = _post(
        client, csrf, case_id, {"action": "close", "version": before["version"], "satisfaction": 4}
    )
    assert response.status_code == 422
    assert "reported" in response.get_json()["message"]
    assert _row(engine, case_id) == before and _events(engine, case_id) == events
    refused = audited(engine, "case.change", "duty")
    assert ((refused["target"] == f"case:{case_id}") & (refused["outcome"] == "denied")).any()


def test_the_refusal_is_in_the_callers_language(duty, cases, engine):
    client, csrf = duty
    case_id = _pick(cases, "reported")
    version = _row(engine, case_id)["version"]
    response = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": "reject", "version": version, "reason": "invalid"},
        headers={"X-CSRFToken": csrf, "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    assert "说明" in response.get_json()["message"]


def test_two_officers_acting_at_once_one_wins_the_other_is_told(app, engine, cases):
    from signin import signed_in

    case_id = _pick(cases, "reported")
    version = _row(engine, case_id)["version"]
    officers = [signed_in(app, "duty_officer") for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def act(client, csrf):
        barrier.wait()
        answers.append(_post(client, csrf, case_id, {"action": "accept", "version": version}).status_code)

    threads = [threading.Thread(target=act, args=officer) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    assert _row(engine, case_id)["version"] == version + 1
    assert [e["action"] for e in _events(engine, case_id) if e["to_status"]] == ["accept"]


def test_a_stale_version_answers_409_and_changes_nothing(duty, engine, cases):
    client, csrf = duty
    case_id = _pick(cases, "reported")
    version = _row(engine, case_id)["version"]
    assert _post(client, csrf, case_id, {"action": "accept", "version": version}).status_code == 200
    before = _row(engine, case_id)
    late = _post(
        client, csrf, case_id, {"action": "reject", "version": version, "note": "dup", "reason": "invalid"}
    )
    assert late.status_code == 409
    assert "changed" in late.get_json()["message"]
    assert _row(engine, case_id) == before


def test_a_department_head_works_own_cases_and_cannot_dispatch_outside(head, duty, engine, cases):
    client, csrf = head
    own = _pick(cases, "accepted", department=OWN)
    version = _row(engine, own)["version"]
    outside = _post(client, csrf, own, {"action": "dispatch", "version": version, "department": OTHER})
    assert outside.status_code == 422
    assert "within itself" in outside.get_json()["message"]
    assert _row(engine, own)["version"] == version
    inside = _post(client, csrf, own, {"action": "dispatch", "version": version})
    assert inside.status_code == 200
    assert inside.get_json()["actions"] == ["start", "handle", "return"]
    back = _post(client, csrf, own, {"action": "return", "version": version + 1, "note": "belongs to water"})
    assert back.status_code == 200 and back.get_json()["status"] == "returned"
    # verification stays with the centre
    assert _post(client, csrf, own, {"action": "accept", "version": version + 2}).status_code == 422


def test_another_departments_case_reads_as_missing_and_is_audited(head, engine, cases):
    client, csrf = head
    theirs = _pick(cases, "reported", department=OTHER)
    before = _row(engine, theirs)
    response = _post(client, csrf, theirs, {"action": "start", "version": before["version"]})
    assert response.status_code == 404
    assert client.get(f"/api/v1/cases/{theirs}/timeline").status_code == 404
    assert _row(engine, theirs) == before
    probes = audited(engine, "scope.denied", "dept-head")
    assert (probes["target"] == f"case:{theirs}").any()


@pytest.mark.parametrize("role", ["leader", "viewer", "admin"])
def test_roles_that_may_not_act_are_refused(clients, role, cases, engine):
    case_id = cases["id"].iloc[0]
    client = clients[role]
    with client.session_transaction() as session:
        csrf = session["csrf"]
    response = _post(client, csrf, case_id, {"action": "accept", "version": 1})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"action": "accept"},  # no version
        {"action": "accept", "version": "1"},
        {"action": "accept", "version": 0},
        {"action": "accept", "version": True},
        {"action": "fly", "version": 1},
        {"action": "close", "version": 1, "satisfaction": 9},
        {"action": "reject", "version": 1, "reason": "boring", "note": "x"},
        {"action": "return", "version": 1, "note": "x" * 2001},
        {"action": "accept", "version": 1, "extra": "<script>"},
    ],
)
def test_malformed_bodies_answer_422_naming_the_field(duty, cases, body):
    client, csrf = duty
    response = _post(client, csrf, cases["id"].iloc[0], body)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("invalid parameters")


def test_a_session_without_its_csrf_token_cannot_act(duty, cases):
    client, _csrf = duty
    response = client.post(
        f"/api/v1/cases/{cases['id'].iloc[0]}/transitions", json={"action": "accept", "version": 1}
    )
    assert response.status_code == 403


def test_the_timeline_shows_the_clock_and_the_steps_the_caller_may_take(duty, cases):
    client, _csrf = duty
    case_id = _pick(cases, "dispatched")
    timeline = client.get(f"/api/v1/cases/{case_id}/timeline").get_json()
    assert timeline["status"] == "dispatched"
    assert timeline["clock"]["stage"] == "handle"
    assert [s["stage"] for s in timeline["clock"]["stages"]] == ["accept", "dispatch", "handle", "verify"]
    assert set(timeline["actions"]) == {"start", "handle", "return"}
    assert timeline["events"][0]["action"] == "reported"
