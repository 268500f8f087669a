"""The Alerts page over HTTP as the browser's renderer calls it: the feed is scoped and sorted
for duty (critical first), a department head's tampered filter is refused and audited, live
messages re-read the feed and mark and announce a new critical alert, a step is confirmed in its
dialog and lands with its audit row, an illegal step is refused with its reason and changes
nothing, a stale dialog says the alert moved; the drill-down draws the readings around the
alert with its threshold; the Overview's live cards and ticker follow the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import signed_in
from sqlalchemy import func, insert, select

from security import audit
from security.audit import AuditFilter
from store.alert_desk_rows import readings_between
from store.models import Alert, AlertEvent, Reading, ReadingHourly

OWN, OTHER = "urban_management", "ecology_environment"
ACTION_INPUT = '{"action":["ALL"],"type":"alerts-action"}.n_clicks'
_ids = count(1)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("alerts-page"), demo_cases=200)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def duty(app):
    return signed_in(app, "duty_officer")


@pytest.fixture(scope="module")
def head(app):
    return signed_in(app, "department_head")


def _sensor(app, kind="smoke"):
    with app.server.app_context():
        from services.data import snapshot

        frame = snapshot("sensors").frame
        return frame[frame["kind"] == kind].iloc[0].to_dict()


def _new_alert(engine, *, department=OWN, severity="critical", minutes=5, sensor=None, state="raised"):
    """A fresh alert of its own for one test, with its raise event; its id and seq."""
    alert_id = f"A-20991231-{next(_ids):05d}"
    at = datetime.now(UTC) - timedelta(minutes=minutes)
    with engine.begin() as c:
        c.execute(insert(Alert.__table__).values(
            id=alert_id, rule="smoke_alarm", sensor_id=(sensor or {}).get("id", "urn:dev:none"),
            quantity="obscuration", value=9.5, threshold=4.0, severity=severity, state=state, raised_at=at,
            version=1, department=department,
            detail={"title": "alert_rule.smoke_alarm", "message": "alert_message.above",
                    "values": {"value": 9.5, "unit": "%/m", "threshold": 4.0}},
        ))  # fmt: skip
        seq = c.execute(insert(AlertEvent.__table__).values(alert_id=alert_id, action="raise", actor="system",
                                                            at=at, to_state=state)).inserted_primary_key[0]  # fmt: skip
    return alert_id, int(seq)


def _answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _list(app, session, *, query=None, live=None, handled=None, lang="en"):
    values = {"alerts-filter.data": query or {}, "live-alerts.data": live, "alerts-changed.data": 0,
              "alerts-handled.data": handled, "alerts-fresh.data": [], "alerts-selected.data": None,
              "shell-lang.value": lang}  # fmt: skip
    return call(*session[:2], app, output_named(app, "alerts-list.children"), values,
                triggered="live-alerts.data")  # fmt: skip


def _ids_in(children) -> list[str]:
    return [row["props"].get("data-alert") for row in children if "data-alert" in row["props"]]


def test_the_feed_is_scoped_and_sorted_critical_first_then_newest(app, engine, duty, head):
    warning, _ = _new_alert(engine, severity="warning", minutes=1)
    old_critical, _ = _new_alert(engine, minutes=30)
    new_critical, _ = _new_alert(engine, minutes=2)
    foreign, _ = _new_alert(engine, department=OTHER, minutes=1)
    ids = _ids_in(_answer(_list(app, duty))["alerts-list"]["children"])
    assert ids.index(new_critical) < ids.index(old_critical) < ids.index(warning)
    assert foreign in ids
    ids = _ids_in(_answer(_list(app, head))["alerts-list"]["children"])
    assert new_critical in ids and foreign not in ids  # a head's feed: their department's only


def test_a_department_heads_tampered_filter_is_refused_and_audited(app, engine, head):
    before = audit.count(engine, AuditFilter(actions=("scope.denied",), actor="dept-head"))
    values = {f"alerts-f-{n}.value": v for n, v in
              {"state": ["raised"], "severity": [], "department": OTHER, "kind": None, "hours": None}.items()}  # fmt: skip
    response = call(
        *head[:2], app, output_named(app, "alerts-filter.data"), values | {"shell-lang.value": "en"}
    )
    assert response.status_code == 403
    assert audit.count(engine, AuditFilter(actions=("scope.denied",), actor="dept-head")) == before + 1
    # the same head's own department is a filter like any other, in the URL
    values["alerts-f-department.value"] = OWN
    answer = _answer(
        call(*head[:2], app, output_named(app, "alerts-filter.data"), values | {"shell-lang.value": "en"})
    )
    assert answer["alerts-url"]["search"] == f"?state=raised&department={OWN}"


def test_a_bad_filter_value_is_dropped_and_named(app, duty):
    values = {"alerts-f-state.value": ["raised", "<b>x</b>"], "alerts-f-severity.value": ["critical"],
              "alerts-f-department.value": None, "alerts-f-kind.value": "volcano", "alerts-f-hours.value": 7,
              "shell-lang.value": "en"}  # fmt: skip
    answer = _answer(call(*duty[:2], app, output_named(app, "alerts-filter.data"), values))
    assert answer["alerts-filter"]["data"] == {"state": "raised", "severity": "critical"}
    notice = _text(answer["alerts-notice"])
    assert "state=<b>x</b>" in notice and "kind=volcano" in notice and "hours=7" in notice


def test_a_new_critical_alert_in_the_live_store_is_listed_marked_and_announced(app, engine, duty):
    alert_id, seq = _new_alert(engine, minutes=0)
    message = {"seq": seq, "action": "raise", "at": "x", "alert": {"id": alert_id, "severity": "critical",
                                                                 "rule": "smoke_alarm", "state": "raised"}}  # fmt: skip
    answer = _answer(_list(app, duty, live={"seq": seq, "items": [message]}, handled=seq - 1))
    rows = answer["alerts-list"]["children"]
    row = next(r for r in rows if r["props"].get("data-alert") == alert_id)
    assert "os-alert-new" in row["props"]["className"]
    assert answer["alerts-new"]["data"] == {"ids": [alert_id], "seq": seq}
    assert alert_id in _text(answer["alerts-announce"]) and "New critical alert" in _text(
        answer["alerts-announce"]
    )
    assert answer["alerts-handled"]["data"] == seq
    again = _answer(_list(app, duty, live={"seq": seq, "items": [message]}, handled=seq))
    assert "alerts-new" not in again  # handled once: no second chime


def _open(app, session, alert_id, action):
    buttons = [{"id": {"action": action, "type": "alerts-action"}, "property": "n_clicks", "value": 1}]
    values = {ACTION_INPUT: buttons, "alerts-selected.data": alert_id, "shell-lang.value": "en"}
    return call(*session[:2], app, output_named(app, "alerts-step-title.children"), values,
                triggered=json.dumps({"action": action, "type": "alerts-action"}, separators=(",", ":")) + ".n_clicks")  # fmt: skip


def _confirm(app, session, pending, **fields):
    values = {"alerts-step-confirm.n_clicks": 1, "alerts-pending.data": pending, "alerts-changed.data": 0,
              "shell-lang.value": "en", **{f"alerts-step-{k}.value": v for k, v in fields.items()}}  # fmt: skip
    return call(*session[:2], app, output_named(app, "alerts-changed.data"), values)


def _state(engine, alert_id):
    with engine.connect() as c:
        return tuple(c.execute(select(Alert.state, Alert.version).where(Alert.id == alert_id)).one())


def test_an_acknowledgement_is_confirmed_and_lands_with_its_audit(app, engine, duty):
    alert_id, _ = _new_alert(engine)
    opened = _answer(_open(app, duty, alert_id, "acknowledge"))
    assert opened["alerts-step"]["is_open"] is True
    pending = opened["alerts-pending"]["data"]
    assert pending == {"alert": alert_id, "action": "acknowledge", "version": 1}
    done = _answer(_confirm(app, duty, pending))
    assert done["alerts-step"]["is_open"] is False and done["alerts-changed"]["data"] == 1
    assert f"alert {alert_id} is now Acknowledged" in _text(done["alerts-notice"])
    assert _state(engine, alert_id) == ("acknowledged", 2)
    row = audit.query(engine, AuditFilter(actions=("alert.change",), actor="duty")).iloc[0]
    assert row["target"] == f"alert:{alert_id}" and row["outcome"] == "ok"


def test_an_illegal_step_is_refused_with_the_reason_and_changes_nothing(app, engine, duty):
    alert_id, _ = _new_alert(engine)
    pending = _answer(_open(app, duty, alert_id, "escalate"))["alerts-pending"]["data"]
    refused = _answer(_confirm(app, duty, pending, note="   "))
    assert "needs a note saying why" in _text(refused["alerts-step-problem"])
    assert "alerts-step" not in refused  # the dialog stays open for the note
    # a step the state does not allow, sent by a tampered dialog: refused with the reason
    wrong = {"alert": alert_id, "action": "close", "version": 1}
    refused = _answer(_confirm(app, duty, wrong))
    assert "cannot be given" in _text(refused["alerts-step-problem"]) or "Your role" in _text(refused)
    assert _state(engine, alert_id) == ("raised", 1)


def test_a_dialog_left_open_while_another_officer_acted_says_the_alert_moved(app, engine, duty):
    alert_id, _ = _new_alert(engine)
    pending = _answer(_open(app, duty, alert_id, "acknowledge"))["alerts-pending"]["data"]
    _answer(_confirm(app, duty, pending))  # the other officer, first
    late = _answer(_confirm(app, duty, pending))
    assert "changed since you read it" in _text(late["alerts-notice"]) and late["alerts-changed"]["data"] == 1
    assert _state(engine, alert_id) == ("acknowledged", 2)


def test_a_head_cannot_open_another_departments_alert(app, engine, head):
    alert_id, _ = _new_alert(engine, department=OTHER)
    answer = _answer(_open(app, head, alert_id, "acknowledge"))
    assert answer == {} or "alerts-step" not in answer
    panel = _answer(call(*head[:2], app, output_named(app, "alerts-panel.children"),
                         {"alerts-selected.data": alert_id, "shell-lang.value": "en"}))  # fmt: skip
    assert "not within what you may read" in _text(panel)


def test_the_drill_down_draws_the_readings_around_the_alert_with_its_threshold(app, engine, duty):
    sensor = _sensor(app)
    alert_id, _ = _new_alert(engine, sensor=sensor, minutes=30)
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(insert(Reading.__table__), [
            {"sensor_id": sensor["id"], "quantity": "obscuration", "unit": "%/m", "value": float(v),
             "at": now - timedelta(minutes=60 - 5 * i)} for i, v in enumerate([0.2, 0.3, 5.0, 9.5, 6.0])
        ])  # fmt: skip
    panel = _answer(call(*duty[:2], app, output_named(app, "alerts-panel.children"),
                         {"alerts-selected.data": alert_id, "shell-lang.value": "en"}))  # fmt: skip
    text = _text(panel)
    assert "Smoke alarm" in text and "9.5 %/m, at or above 4.0 %/m" in text
    figure = next(c["props"]["figure"] for c in _walk(panel) if c.get("type") == "Graph")
    line = figure["data"][0]
    assert line["type"] == "scatter"  # SVG, not scattergl
    assert [y for y in line["y"] if y in (0.2, 0.3, 5.0, 9.5, 6.0)][-5:] == [0.2, 0.3, 5.0, 9.5, 6.0]
    threshold = [s for s in figure["layout"]["shapes"] if s.get("y0") == s.get("y1")]
    assert [s["y0"] for s in threshold] == [4.0]
    assert "Acknowledge" in text and "os-place-map" in text


def _walk(node):
    """Every component in a callback's answer, depth first."""
    if isinstance(node, dict):
        if "props" in node:
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_overviews_live_cards_count_open_alerts_and_the_ticker_lists_them(app, engine, duty):
    alert_id, _ = _new_alert(engine, minutes=0)
    values = {"overview-live.data": 1, "overview-live-tick.n_intervals": 1, "overview-scope.value": "*",
              "shell-lang.value": "en"}  # fmt: skip
    answer = _answer(call(*duty[:2], app, output_named(app, "overview-live-cards.children"), values))
    assert "Sensors reporting" in _text(answer["overview-live-cards"])
    counts = {
        c["props"]["data-severity"]: int(c["props"]["data-count"])
        for c in answer["overview-alert-counts"]["children"]
    }
    with engine.connect() as c:
        open_critical = c.execute(select(func.count()).select_from(Alert).where(
            Alert.severity == "critical", Alert.state.in_(["raised", "acknowledged", "assigned", "escalated"]))).scalar_one()  # fmt: skip
    assert counts["critical"] == open_critical >= 1 and set(counts) == {"critical", "warning", "info"}
    ticker = _text(_answer(call(*duty[:2], app, output_named(app, "overview-ticker.children"), values)))
    assert alert_id in ticker and "os-sev-critical" in ticker


def test_readings_older_than_retention_come_from_the_hourly_means(engine):
    """Raw readings where they are kept; before the oldest raw one, the hourly means."""
    now = datetime(2099, 1, 1, 12, tzinfo=UTC)
    sensor = "urn:test:hourly-gauge"
    with engine.begin() as c:
        c.execute(insert(ReadingHourly.__table__), [
            {"sensor_id": sensor, "quantity": "level", "unit": "m", "hour": now - timedelta(hours=h), "n": 60,
             "mean": float(h), "min": 0.0, "max": 9.0} for h in (3, 2)
        ])  # fmt: skip
        c.execute(insert(Reading.__table__), [
            {"sensor_id": sensor, "quantity": "level", "unit": "m", "value": 0.5,
             "at": now - timedelta(minutes=m)} for m in (50, 10)
        ])  # fmt: skip
        got = readings_between(c, sensor, "level", now - timedelta(hours=4), now)
        bad = readings_between(c, sensor, "no-such-quantity", now - timedelta(hours=4), now)
    assert [(v, hourly) for _at, v, hourly in got] == [(3.0, True), (2.0, True), (0.5, False), (0.5, False)]
    assert bad == []
