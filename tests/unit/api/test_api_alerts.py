"""Alerts through the JSON API: the list (filtered, scoped, paged in the store), one alert with
its events, and every step of the lifecycle through POST /api/v1/alerts/{id}/transitions — the
domain decides, the store writes the change, its event and its audit row together, within the
department scope; two officers at once cannot both win; opening a case links the two once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from api_checks import OTHER, OWN, audited
from sqlalchemy import insert, select

from store.models import Alert, AlertEvent, Case, CaseEvent

_SERIAL = count(1)
RAISED = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


# This module writes alerts and cases into its store, so it has an app of its own.
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from apps import build_app

    return build_app(tmp_path_factory.mktemp("alerts-api"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def smoke(app) -> str:
    with app.server.app_context():
        from services.data import snapshot

        frame = snapshot("sensors").frame
    return str(frame.loc[frame["kind"] == "smoke", "id"].iloc[0])


@pytest.fixture(scope="module")
def duty(app):
    from signin import signed_in

    return signed_in(app, "duty_officer")


@pytest.fixture(scope="module")
def head(app):
    from signin import signed_in

    return signed_in(app, "department_head")


def new_alert(engine, sensor: str, *, department: str = OWN, state: str = "raised", **extra) -> str:
    """A fresh alert of the smoke rule for one test: tests never share an alert."""
    alert_id = f"A-19990101-{next(_SERIAL):05d}"
    row = {
        "id": alert_id, "rule": "smoke_alarm", "sensor_id": sensor, "quantity": "obscuration", "value": 2.5,
        "threshold": 2.0, "severity": "warning", "state": state, "raised_at": RAISED, "department": department,
        "version": 1, "detail": {"title": "alert_rule.smoke_alarm", "message": "alert_message.above",
                                 "values": {"value": "2.5", "threshold": "2", "unit": "%/m"}},
        **extra,
    }  # fmt: skip
    with engine.begin() as c:
        c.execute(insert(Alert.__table__).values(**row))
        c.execute(insert(AlertEvent.__table__).values(alert_id=alert_id, action="raised", actor="system",
                                                      at=RAISED, to_state="raised"))  # fmt: skip
    return alert_id


def row_of(engine, alert_id: str) -> dict:
    with engine.connect() as c:
        return dict(c.execute(select(Alert.__table__).where(Alert.id == alert_id)).first()._mapping)


def post(client, csrf, alert_id, body, **headers):
    return client.post(
        f"/api/v1/alerts/{alert_id}/transitions", json=body, headers={"X-CSRFToken": csrf, **headers}
    )


def clear(app, engine, alert_id: str) -> None:
    """The system's clear step, as the engine takes it when the readings are back to normal."""
    from domain.alert_lifecycle import Action, Step
    from services.alert_commands import apply_system_step
    from store.engine import begin_write

    with app.server.app_context(), begin_write(engine) as c:
        row = row_of(engine, alert_id)
        apply_system_step(c, row, Step(Action.CLEAR, row["version"], datetime.now(UTC)))


def test_a_duty_officer_walks_an_alert_from_raised_to_closed(app, duty, engine, smoke):
    client, csrf = duty
    alert_id = new_alert(engine, smoke)
    steps = [
        {"action": "acknowledge"},
        {"action": "assign", "department": OWN},
        {"action": "escalate", "note": "the detector keeps firing"},
        {"action": "resolve", "note": "burnt toast in the canteen"},
    ]
    version = 1
    for body in steps:
        response = post(client, csrf, alert_id, {**body, "version": version})
        assert response.status_code == 200, response.get_json()
        version = response.get_json()["version"]
    alert = response.get_json()
    # assigned to a department's queue: nobody in person yet
    assert (alert["state"], version, alert["owner"], alert["department"]) == ("resolved", 5, None, OWN)
    early = post(client, csrf, alert_id, {"action": "close", "version": version})
    assert early.status_code == 422 and "still active" in early.get_json()["message"]
    clear(app, engine, alert_id)
    assert row_of(engine, alert_id)["version"] == version  # the system's clearing is no version step
    closed = post(client, csrf, alert_id, {"action": "close", "version": version})
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    events = client.get(f"/api/v1/alerts/{alert_id}").get_json()["events"]
    assert [e["action"] for e in events] == ["raised", "acknowledge", "assign", "escalate", "resolve", "clear",
                                             "close"]  # fmt: skip
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[3]["note"] == "the detector keeps firing" and events[5]["actor"] == "system"
    rows = audited(engine, "alert.change", "duty")
    mine = rows[(rows["target"] == f"alert:{alert_id}") & (rows["outcome"] == "ok")]
    assert sorted(d["action"] for d in mine["detail"]) == sorted(["acknowledge", "assign", "escalate",
                                                                  "resolve", "close"])  # fmt: skip
    refused = rows[(rows["target"] == f"alert:{alert_id}") & (rows["outcome"] == "denied")]
    assert [d["refused"] for d in refused["detail"]] == ["still_active"]


def test_assigning_to_a_person_makes_them_the_owner(duty, engine, smoke):
    client, csrf = duty
    alert_id = new_alert(engine, smoke)
    response = post(client, csrf, alert_id, {"action": "assign", "version": 1, "assignee": "dept-head"})
    assert response.status_code == 200
    assert (response.get_json()["owner"], response.get_json()["department"]) == ("dept-head", OWN)
    nobody = post(client, csrf, alert_id, {"action": "assign", "version": 2, "assignee": "mallory"})
    assert nobody.status_code == 422 and "mallory" in nobody.get_json()["message"]


def test_open_case_files_one_linked_case_accepted_by_the_officer(duty, engine, smoke):
    client, csrf = duty
    alert_id = new_alert(engine, smoke, department="fire_rescue")
    response = post(client, csrf, alert_id, {"action": "open_case", "version": 1})
    assert response.status_code == 200, response.get_json()
    alert = response.get_json()
    case_id = alert["case_id"]
    assert case_id and alert["state"] == "acknowledged" and alert["version"] == 2
    with engine.connect() as c:
        case = dict(c.execute(select(Case.__table__).where(Case.id == case_id)).one()._mapping)
        case_events = [
            r.action for r in c.execute(select(CaseEvent.action).where(CaseEvent.case_id == case_id))
        ]
        linked = c.execute(select(Case.id).where(Case.alert_id == alert_id)).scalars().all()
    assert linked == [case_id]  # linked both ways, once
    assert (case["channel"], case["status"], case["case_type"], case["department"]) == (
        "iot_alert",
        "accepted",
        "ws.smoke_alarm",
        "fire_rescue",
    )
    assert case["alert_id"] == alert_id and alert_id in case["description"] and case["lon"] is not None
    assert case_events == ["reported", "accept"]
    assert (
        alert["events"][-1]["action"] == "open_case" and alert["events"][-1]["detail"]["case_id"] == case_id
    )
    changes = audited(engine, "case.change", "duty")
    assert sorted(d["action"] for d in changes[changes["target"] == f"case:{case_id}"]["detail"]) == [
        "accept",
        "report",
    ]
    again = post(client, csrf, alert_id, {"action": "open_case", "version": 2})
    assert again.status_code == 422 and case_id in again.get_json()["message"]
    with engine.connect() as c:
        assert c.execute(select(Case.id).where(Case.alert_id == alert_id)).scalars().all() == [case_id]


def test_a_department_head_acts_on_own_alerts_only_and_refusals_are_audited(head, engine, smoke):
    client, csrf = head
    theirs = new_alert(engine, smoke, department=OTHER)
    assert post(client, csrf, theirs, {"action": "acknowledge", "version": 1}).status_code == 404
    assert client.get(f"/api/v1/alerts/{theirs}").status_code == 404
    assert row_of(engine, theirs)["version"] == 1
    probes = audited(engine, "scope.denied", "dept-head")
    assert (probes["target"] == f"alert:{theirs}").sum() == 2
    own = new_alert(engine, smoke, department=OWN)
    assert client.get(f"/api/v1/alerts/{own}").get_json()["actions"] == ["acknowledge", "assign", "escalate",
                                                                         "resolve"]  # fmt: skip
    assert post(client, csrf, own, {"action": "acknowledge", "version": 1}).status_code == 200
    # opening a case and sending it to another department stay with the centre
    assert post(client, csrf, own, {"action": "open_case", "version": 2}).status_code == 422
    outside = post(client, csrf, own, {"action": "assign", "version": 2, "department": OTHER})
    assert outside.status_code == 422
    refused = audited(engine, "alert.change", "dept-head")
    assert sorted(refused[refused["target"] == f"alert:{own}"]["outcome"]) == ["denied", "denied", "ok"]


def test_two_officers_acting_at_once_one_wins_the_other_is_told(app, engine, smoke):
    from signin import signed_in

    alert_id = new_alert(engine, smoke)
    officers = [signed_in(app, "duty_officer") for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def act(client, csrf):
        barrier.wait()
        answers.append(post(client, csrf, alert_id, {"action": "acknowledge", "version": 1}).status_code)

    threads = [threading.Thread(target=act, args=officer) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    with engine.connect() as c:
        acks = c.execute(select(AlertEvent.pk).where(AlertEvent.alert_id == alert_id,
                                                     AlertEvent.action == "acknowledge")).all()  # fmt: skip
    assert len(acks) == 1 and row_of(engine, alert_id)["version"] == 2


def test_a_stale_version_answers_409_in_the_callers_language_and_changes_nothing(duty, engine, smoke):
    client, csrf = duty
    alert_id = new_alert(engine, smoke)
    assert post(client, csrf, alert_id, {"action": "acknowledge", "version": 1}).status_code == 200
    before = row_of(engine, alert_id)
    late = post(
        client, csrf, alert_id, {"action": "resolve", "version": 1, "note": "x"}, **{"Accept-Language": "zh"}
    )
    assert late.status_code == 409 and "版本" in late.get_json()["message"]
    assert row_of(engine, alert_id) == before
    failed = audited(engine, "alert.change", "duty")
    assert ((failed["target"] == f"alert:{alert_id}") & (failed["outcome"] == "failed")).any()


@pytest.mark.parametrize(
    "body",
    [
        {"action": "acknowledge"},  # no version
        {"action": "acknowledge", "version": "1"},
        {"action": "acknowledge", "version": 0},
        {"action": "acknowledge", "version": True},
        {"action": "fly", "version": 1},
        {"action": "clear", "version": 1},  # the system's step
        {"action": "resolve", "version": 1, "note": "x" * 2001},
        {"action": "assign", "version": 1, "assignee": ["duty"]},
        {"action": "acknowledge", "version": 1, "case_id": "20260101000001"},  # the service picks it
    ],
)
def test_malformed_bodies_answer_422_naming_the_field(duty, engine, smoke, body):
    client, csrf = duty
    alert_id = new_alert(engine, smoke)
    response = post(client, csrf, alert_id, body)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("invalid parameters")
    assert row_of(engine, alert_id)["version"] == 1


@pytest.mark.parametrize(
    "alert_id", ["A-1' OR '1'='1", "<img src=x onerror=alert(1)>", "A" * 500, "%00", "A-19990101-00001;DROP"]
)
def test_tampered_ids_read_as_missing(duty, alert_id):
    client, csrf = duty
    assert client.get(f"/api/v1/alerts/{alert_id}").status_code == 404
    assert post(client, csrf, alert_id, {"action": "acknowledge", "version": 1}).status_code == 404


def test_the_list_filters_and_pages_in_the_store_within_the_scope(duty, head, engine, smoke):
    critical = new_alert(engine, smoke, severity="critical", department=OTHER)
    client, _csrf = duty
    page = client.get(f"/api/v1/alerts?severity=critical&sensor={smoke}&state=raised").get_json()
    assert critical in [a["id"] for a in page["items"]]
    assert all(a["severity"] == "critical" and a["sensor_id"] == smoke for a in page["items"])
    first = client.get("/api/v1/alerts?limit=2").get_json()
    second = client.get("/api/v1/alerts?limit=2&offset=2").get_json()
    assert first["total"] == second["total"] > 4 and len(first["items"]) == 2
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    since = RAISED - timedelta(minutes=1)
    recent = client.get("/api/v1/alerts", query_string={"since": since.isoformat(), "limit": 1000}).get_json()
    assert critical in [a["id"] for a in recent["items"]]
    assert all(datetime.fromisoformat(a["raised_at"]) >= since for a in recent["items"])
    assert recent["items"][0]["raised_at"].endswith("+08:00")  # the park's time
    mine = head[0].get("/api/v1/alerts?limit=1000").get_json()
    assert mine["department"] == OWN and {a["department"] for a in mine["items"]} == {OWN}


@pytest.mark.parametrize(
    "query",
    ["state=lost", "severity=apocalyptic", "limit=0", "limit=5000", "since=yesterday",
     "since=2026-12-02&until=2026-12-01", "colour=red", "state=raised&state=closed"],
)  # fmt: skip
def test_bad_list_parameters_answer_422_naming_them(duty, query):
    response = duty[0].get(f"/api/v1/alerts?{query}")
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("invalid parameters")


def test_an_alert_naming_no_department_is_answered_by_its_sensors_owner(duty, head, engine, smoke):
    # the demo park's history and imported alerts name none: their sensor's owner answers them
    alert_id = new_alert(engine, smoke, department=None)
    page = duty[0].get("/api/v1/alerts?department=fire_rescue&limit=1000").get_json()
    assert {a["id"]: a["department"] for a in page["items"]}[alert_id] == "fire_rescue"
    assert duty[0].get(f"/api/v1/alerts/{alert_id}").get_json()["department"] == "fire_rescue"
    assert head[0].get(f"/api/v1/alerts/{alert_id}").status_code == 404  # urban_management's head
    assert alert_id not in [a["id"] for a in head[0].get("/api/v1/alerts?limit=1000").get_json()["items"]]
