"""The closed loop on the real PostgreSQL: two duty officers confirm the same step of the same
case at the same moment through the API; one wins, the other is told the case changed (409),
and the store holds one step, one event and one audit row of success for it. Then a case is
walked to closed and its timeline and audit agree."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import func, insert, select

from security import tokens
from security.audit import AuditFilter, query
from store.models import Case, CaseEvent

pytestmark = pytest.mark.integration


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=600, database_url=pg_url, demo_live=False)
    yield app
    app.server.extensions["onescreen"].engine.dispose()


def _open_case(engine, status: str) -> dict:
    """A fresh case in `status` (a copy of a demo case): the small park need not hold one."""
    with engine.begin() as c:
        template = dict(c.execute(select(Case.__table__).limit(1)).one()._mapping)
        row = {k: v for k, v in template.items() if k != "pk" and Case.__table__.c[k].computed is None}
        now = datetime.now(UTC) - timedelta(hours=2)
        stamps = {"accepted": ("accepted_at",), "dispatched": ("accepted_at", "dispatched_at")}[status]
        blank = ("accepted_at", "dispatched_at", "in_progress_at", "handled_at", "verified_at", "closed_at")
        row.update(dict.fromkeys((*blank, "satisfaction")))
        row.update(dict.fromkeys(stamps, now + timedelta(minutes=10)))
        row.update(
            id=f"PG-{status}-{now:%H%M%S%f}", status=status, reported_at=now, version=1, channel="grid_patrol"
        )
        c.execute(insert(Case.__table__).values(**row))
        c.execute(
            insert(CaseEvent.__table__).values(case_id=row["id"], action="reported", actor="test", at=now)
        )
    return {"id": row["id"], "version": 1, "department": row["department"]}


def test_two_officers_at_once_one_wins_on_postgresql(app):
    engine = app.server.extensions["onescreen"].engine
    assert engine.dialect.name == "postgresql"
    token = tokens.issue(engine, "pg-test", "duty_officer", actor="admin")[0]
    case = _open_case(engine, "dispatched")
    body = {"action": "handle", "version": case["version"], "note": "done on site"}
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def officer():
        client = app.server.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/cases/{case['id']}/transitions", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=officer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [200, 409]
    with engine.connect() as c:
        status, version = c.execute(select(Case.status, Case.version).where(Case.id == case["id"])).one()
        handled = c.execute(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == case["id"], CaseEvent.action == "handle")
        ).scalar_one()
    assert (status, version, handled) == ("handled", case["version"] + 1, 1)
    changes = query(engine, AuditFilter(actions=("case.change",), target=f"case:{case['id']}"))
    assert sorted(changes["outcome"]) == ["failed", "ok"]


def test_a_case_walked_to_closed_on_postgresql_has_its_timeline_and_audit(app):
    engine = app.server.extensions["onescreen"].engine
    token = tokens.issue(engine, "pg-walk", "duty_officer", actor="admin")[0]
    headers = {"Authorization": f"Bearer {token}"}
    case = _open_case(engine, "accepted")
    client = app.server.test_client()
    steps = [("dispatch", {"department": case["department"]}), ("start", {}), ("handle", {}), ("verify", {}),
             ("close", {"satisfaction": 5})]  # fmt: skip
    version = case["version"]
    for action, extra in steps:
        response = client.post(
            f"/api/v1/cases/{case['id']}/transitions",
            json={"action": action, "version": version, **extra},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
        version = response.get_json()["version"]
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=headers).get_json()
    assert timeline["status"] == "closed" and timeline["actions"] == ["reopen"]
    assert [e["action"] for e in timeline["events"]][-5:] == [a for a, _ in steps]
    ok = query(engine, AuditFilter(actions=("case.change",), target=f"case:{case['id']}", outcome="ok"))
    assert len(ok) == len(steps)
