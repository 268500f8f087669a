"""The Cases page over HTTP as the browser's renderer calls it: the grid's blocks are scoped
and survive a tampered request, a step is confirmed through its dialog and lands in the store
and the audit log, a refusal says why and changes nothing, a stale dialog says the case moved,
and the reporter's text is shown as text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pandas as pd
import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import signed_in
from sqlalchemy import insert, select

from security import audit
from security.audit import AuditFilter
from store.models import Case, CaseEvent

OWN = "urban_management"
ACTION_INPUT = '{"action":["ALL"],"type":"cases-action"}.n_clicks'
_ids = count(1)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("cases-page"), demo_cases=600)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def duty(app):
    return signed_in(app, "duty_officer")


@pytest.fixture(scope="module")
def head(app):
    return signed_in(app, "department_head")


def _new_case(engine, *, department=OWN, channel="grid_patrol", description="井盖缺失", status="reported"):
    """A fresh case of its own for one test, just reported (tests never share a case)."""
    case_id = f"P{next(_ids):06d}"
    now = datetime.now(UTC) - timedelta(minutes=20)
    with engine.begin() as c:
        c.execute(
            insert(Case.__table__).values(
                id=case_id, channel=channel, domain="urban_management", case_type="um.manhole_cover_missing",
                grid_cell="U001", department=department, status=status, reported_at=now,
                sla_deadline=now + timedelta(days=2), description=description, version=1, reopen_count=0,
            )
        )  # fmt: skip
        c.execute(
            insert(CaseEvent.__table__).values(case_id=case_id, action="reported", actor="test", at=now)
        )
    return case_id


def _status(engine, case_id):
    with engine.connect() as c:
        return c.execute(select(Case.status, Case.version).where(Case.id == case_id)).one()


def _answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rows(app, client, csrf, request, query=None, lang="en"):
    values = {
        "cases-grid.getRowsRequest": request,
        "cases-filter.data": query or {},
        "shell-lang.value": lang,
    }
    return call(client, csrf, app, output_named(app, "cases-grid.getRowsResponse"), values)


def test_a_department_heads_grid_holds_their_department_only(app, head):
    answer = _answer(_rows(app, *head, {"startRow": 0, "endRow": 100}, {"department": "ecology_environment"}))
    rows = answer["cases-grid"]["getRowsResponse"]["rowData"]
    assert rows and {r["department"] for r in rows} == {"Urban Management Bureau"}


@pytest.mark.parametrize(
    "request_body",
    [
        {"startRow": "x", "endRow": -5, "sortModel": "evil"},
        {"sortModel": [{"colId": "1;--", "sort": "asc"}]},
        {"sortModel": [{"colId": ["reported_at"], "sort": "asc"}]},
        {"sortModel": [{"colId": "sla_deadline", "sort": "sideways"}, 7, None]},
        "junk",
    ],
)
def test_a_tampered_block_request_is_read_as_the_first_block(app, duty, request_body):
    response = _rows(app, *duty, request_body)
    assert response.status_code in (200, 204)
    if response.status_code == 200 and request_body != "junk":
        assert len(_answer(response)["cases-grid"]["getRowsResponse"]["rowData"]) <= 100


def test_a_tampered_filter_is_dropped_with_a_message(app, duty):
    output = output_named(app, "cases-filter.data")
    values = {
        "cases-f-status.value": ["reported", "<b>x</b>"],
        "cases-f-grid_cell.value": ["ZZZ"],
        "shell-lang.value": "en",
    }
    answer = _answer(call(*duty[:2], app, output, values))
    assert answer["cases-filter"]["data"] == {"status": "reported"}
    assert answer["cases-url"]["search"] == "?status=reported"
    assert "status=<b>x</b>" in _text(answer["cases-notice"]) and "grid_cell=ZZZ" in _text(
        answer["cases-notice"]
    )


def _open(app, session, case_id, action):
    buttons = [{"id": {"action": action, "type": "cases-action"}, "property": "n_clicks", "value": 1}]
    values = {ACTION_INPUT: buttons, "cases-selected.data": case_id, "shell-lang.value": "en"}
    return call(*session[:2], app, output_named(app, "cases-step-title.children"), values,
                triggered=json.dumps({"action": action, "type": "cases-action"}, separators=(",", ":")) + ".n_clicks")  # fmt: skip


def _confirm(app, session, pending, **fields):
    values = {"cases-step-confirm.n_clicks": 1, "cases-pending.data": pending, "cases-changed.data": 0,
              "shell-lang.value": "en", **{f"cases-step-{k}.value": v for k, v in fields.items()}}  # fmt: skip
    return call(*session[:2], app, output_named(app, "cases-changed.data"), values)


def test_a_step_is_confirmed_in_its_dialog_and_lands_with_its_audit(app, engine, duty):
    case_id = _new_case(engine)
    opened = _answer(_open(app, duty, case_id, "accept"))
    assert opened["cases-step"]["is_open"] is True
    pending = opened["cases-pending"]["data"]
    assert pending == {"case": case_id, "action": "accept", "version": 1}
    done = _answer(_confirm(app, duty, pending))
    assert done["cases-step"]["is_open"] is False and done["cases-changed"]["data"] == 1
    assert f"case {case_id} is now Accepted" in _text(done["cases-notice"])
    assert tuple(_status(engine, case_id)) == ("accepted", 2)
    row = audit.query(engine, AuditFilter(actions=("case.change",), actor="duty")).iloc[0]
    assert row["target"] == f"case:{case_id}" and row["outcome"] == "ok"


def test_a_refused_step_says_why_in_the_dialog_and_changes_nothing(app, engine, duty):
    case_id = _new_case(engine)
    pending = _answer(_open(app, duty, case_id, "reject"))["cases-pending"]["data"]
    refused = _answer(_confirm(app, duty, pending, reason="invalid", note="  "))
    assert "needs a note saying why" in _text(refused["cases-step-problem"])
    assert "cases-step" not in refused  # the dialog stays open for the note
    assert tuple(_status(engine, case_id)) == ("reported", 1)


def test_a_dialog_left_open_while_another_officer_acted_says_the_case_moved(app, engine, duty):
    case_id = _new_case(engine)
    pending = _answer(_open(app, duty, case_id, "accept"))["cases-pending"]["data"]
    _answer(_confirm(app, duty, pending))  # the other officer, first
    late = _answer(_confirm(app, duty, pending))
    assert "changed since you read it" in _text(late["cases-notice"]) and late["cases-changed"]["data"] == 1
    assert tuple(_status(engine, case_id)) == ("accepted", 2)


def test_a_step_the_role_may_not_take_opens_no_dialog(app, engine, head):
    case_id = _new_case(engine)
    response = _open(app, head, case_id, "accept")  # the centre accepts, not a department
    assert response.status_code in (200, 204)
    if response.status_code == 200:
        assert "cases-step" not in response.get_json()["response"]
    other = _new_case(engine, department="ecology_environment")
    panel = call(*head[:2], app, output_named(app, "cases-panel.children"),
                 {"cases-selected.data": other, "shell-lang.value": "en"})  # fmt: skip
    assert f"No case {other} that you may see" in _text(_answer(panel))
    assert tuple(_status(engine, other)) == ("reported", 1)


def test_the_reporters_text_is_shown_as_text(app, engine, duty):
    markup = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    case_id = _new_case(engine, description=markup)
    panel = _answer(call(*duty[:2], app, output_named(app, "cases-panel.children"),
                         {"cases-selected.data": case_id, "shell-lang.value": "en"}))  # fmt: skip
    text = _text(panel)
    assert json.dumps(markup, ensure_ascii=False) in text  # a plain string child: React draws it as text
    assert "dangerously" not in text and "Markdown" not in text


def test_the_grid_marks_overdue_rows(app, duty):
    answer = _answer(_rows(app, *duty, {"startRow": 0, "endRow": 100}, {"overdue": "1"}))
    rows = answer["cases-grid"]["getRowsResponse"]["rowData"]
    assert rows and all(r["overdue"] for r in rows)
    assert pd.Series([r["status"] for r in rows]).isin(["Closed", "Rejected"]).sum() == 0


def test_the_export_link_downloads_exactly_the_rows_the_grid_lists(app, engine, head):
    from security.scope import Scope
    from services.case_query import CaseFilter, case_page

    client, csrf = head
    query = {
        "status": "dispatched,in_progress,handled",
        "overdue": "1",
        "since": "2020-01-01",
        "until": "2030-12-31",
    }
    answer = _answer(
        call(client, csrf, app, output_named(app, "cases-export.href"), {"cases-filter.data": query})
    )
    href = answer["cases-export"]["href"]
    assert (
        "overdue=true" in href
        and "since=2020-01-01T00%3A00%3A00" in href
        and "until=2031-01-01T00%3A00%3A00" in href
    )
    download = client.get(href)
    assert download.status_code == 200
    f = CaseFilter(status=("dispatched", "in_progress", "handled"), overdue=True, department=(OWN,),
                   domain=("urban_management", "work_safety"),
                   since=pd.Timestamp("2020-01-01").date(), until=pd.Timestamp("2030-12-31").date())  # fmt: skip
    zone = app.server.extensions["onescreen"].settings.zone
    listed = case_page(engine, f, Scope(OWN), zone, start=0, end=1)[1]
    lines = download.get_data(as_text=True).strip().splitlines()
    assert listed > 0 and int(download.headers["X-Export-Rows"]) == listed == len(lines) - 1


def test_an_export_naming_an_unknown_status_is_refused_plainly(head):
    response = head[0].get("/api/v1/cases/export.csv?status=reported,<script>")
    assert response.status_code == 422 and "status" in response.get_data(as_text=True)


def test_a_leaders_export_of_several_departments_holds_those_departments(app, engine):
    from security.scope import WHOLE_PARK
    from services.case_query import CaseFilter, case_page

    client, csrf = signed_in(app, "leader")
    two = (OWN, "ecology_environment")
    answer = _answer(call(client, csrf, app, output_named(app, "cases-export.href"),
                          {"cases-filter.data": {"department": ",".join(two)}}))  # fmt: skip
    download = client.get(answer["cases-export"]["href"])
    zone = app.server.extensions["onescreen"].settings.zone
    listed = case_page(engine, CaseFilter(department=two), WHOLE_PARK, zone, start=0, end=1)[1]
    rows = pd.read_csv(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff")))
    assert len(rows) == listed and set(rows["department"]) == set(two)
