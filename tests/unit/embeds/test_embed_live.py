"""An embedded live panel (the alert strip) over HTTP with no session, as inside another portal's
iframe: its token opens its push stream (/embed/_live/<token>), which announces only the alerts
of the token's department and nothing of them; a token of a panel without a stream, a wrong
token, a token anywhere but the address, and a query naming anything but `last` are refused; a
token revoked or expired while its stream is open ends it within RECHECK_S; the panel's callback
draws the strip from the token whatever the live store or the request says."""

from __future__ import annotations

import json
import time

import pytest
from apps import build_app
from embed_calls import DISPATCH, callback_body, issue_token
from live_alerts import write_alert

from components.embed_app import BODY
from live.embed_stream import RECHECK_S
from live.stream import FEED_KEY
from security.embed_tokens import revoke

URBAN, ECOLOGY = "urban_management", "ecology_environment"
LIVE = "/embed/_live/"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("embed-live"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture
def client(app):
    return app.server.test_client()  # no session, as in a portal's iframe


def _messages(chunks: list[str]) -> list[tuple[str, dict]]:
    out = []
    for chunk in chunks:
        fields = dict(line.split(": ", 1) for line in chunk.strip().splitlines() if not line.startswith(":"))
        if "event" in fields:
            out.append((fields["event"], json.loads(fields["data"])))
    return out


def _pull(response, until, timeout_s: float) -> tuple[list[str], float]:
    """Chunks until `until(chunks)` holds, the stream ends or `timeout_s` passes (a read blocks
    at most until the next keep-alive or check); and the seconds it took."""
    chunks: list[str] = []
    began = time.monotonic()
    body = iter(response.response)
    while time.monotonic() - began < timeout_s and not until(chunks):
        try:
            chunk = next(body)
        except StopIteration:
            break
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    return chunks, time.monotonic() - began


def _alerts(chunks):
    return [data for event, data in _messages(chunks) if event == "alert"]


def test_the_stream_announces_its_departments_alerts_and_nothing_of_them(app, engine, client):
    token, _pk = issue_token(app, engine, "alert_ticker", department=URBAN, lang="en")
    response = client.get(f"{LIVE}{token}")
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        _pull(response, lambda c: any("event: status" in x for x in c), 3)  # subscribed
        other = write_alert(engine, "EMB-LIVE-ECO", ECOLOGY)
        own = write_alert(engine, "EMB-LIVE-URB", URBAN)
        app.server.extensions[FEED_KEY].read_new()
        chunks, _ = _pull(response, lambda c: len(_alerts(c)) >= 1, 20)
    finally:
        response.close()
    assert _alerts(chunks) == [{"seq": own, "action": "raise"}]  # not the other department's
    assert other < own and "EMB-LIVE" not in "".join(chunks)  # no alert id, place or value


def test_a_whole_park_token_hears_every_department(app, engine, client):
    token, _pk = issue_token(app, engine, "alert_ticker", lang="zh")
    start = write_alert(engine, "EMB-LIVE-WP-0", URBAN)
    response = client.get(f"{LIVE}{token}", headers={"Last-Event-ID": str(start)})
    try:
        seqs = [write_alert(engine, "EMB-LIVE-WP-1", ECOLOGY), write_alert(engine, "EMB-LIVE-WP-2", URBAN)]
        chunks, _ = _pull(response, lambda c: len(_alerts(c)) >= 2, 20)  # caught up from the store
    finally:
        response.close()
    assert [a["seq"] for a in _alerts(chunks)] == seqs


def test_a_panel_without_a_stream_and_a_wrong_token_are_refused(app, engine, client):
    trend, _pk = issue_token(app, engine, "case_trend", department=URBAN, lang="en")
    answer = client.get(f"{LIVE}{trend}")
    assert answer.status_code == 403 and "has no live stream" in answer.get_json()["message"]
    ticker, _pk = issue_token(app, engine, "alert_ticker", lang="en")
    for bad in (ticker[:-3] + "abc", "not-a-token", ""):
        assert client.get(f"{LIVE}{bad}").status_code == 403, bad
    assert client.post(f"{LIVE}{ticker}").status_code == 405


def test_a_token_in_the_wrong_place_opens_nothing(app, engine, client):
    token, _pk = issue_token(app, engine, "alert_ticker", lang="en")
    assert client.get(LIVE, query_string={"token": token}).status_code == 403
    assert client.get(LIVE, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    client.set_cookie("token", token)
    assert client.get(LIVE).status_code == 403
    # nor does the main app's stream take it in place of a session
    assert client.get("/live/alerts", query_string={"token": token}).status_code == 401


@pytest.mark.parametrize(
    "query", [{"department": ECOLOGY}, {"panel": "case_trend"}, {"lang": "zh", "last": "1"}]
)
def test_a_query_naming_anything_but_last_is_refused(app, engine, client, query):
    token, _pk = issue_token(app, engine, "alert_ticker", department=URBAN, lang="en")
    answer = client.get(f"{LIVE}{token}", query_string=query)
    assert answer.status_code == 400 and "takes `last` only" in answer.get_json()["message"]


def _ended_within_recheck(response) -> str:
    chunks, took = _pull(response, lambda c: any("event: refused" in x for x in c), RECHECK_S + 10)
    assert took < RECHECK_S + 2, f"the stream went on {took:.1f} s"
    (reason,) = [data["reason"] for event, data in _messages(chunks) if event == "refused"]
    assert _pull(response, lambda c: False, 2)[0] == []  # and it has ended
    return reason


def test_a_token_revoked_while_its_stream_is_open_ends_it(app, engine, client):
    token, pk = issue_token(app, engine, "alert_ticker", lang="en")
    response = client.get(f"{LIVE}{token}")
    try:
        _pull(response, lambda c: any("event: status" in x for x in c), 3)
        revoke(engine, pk, actor="admin")
        assert _ended_within_recheck(response) == "revoked"
    finally:
        response.close()
    assert client.get(f"{LIVE}{token}").status_code == 403  # and its reconnection is refused


def test_a_token_expiring_while_its_stream_is_open_ends_it(app, engine, client, monkeypatch):
    token, _pk = issue_token(app, engine, "alert_ticker", hours=1, lang="en")
    response = client.get(f"{LIVE}{token}")
    try:
        _pull(response, lambda c: any("event: status" in x for x in c), 3)
        import security.embed_tokens as embed_tokens

        real = embed_tokens.time.time
        monkeypatch.setattr(embed_tokens.time, "time", lambda: real() + 3601)
        assert _ended_within_recheck(response) == "expired"
    finally:
        response.close()


def _drawn(answer) -> str:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return json.dumps(answer.get_json()["response"][BODY]["children"], ensure_ascii=False)


def test_the_strip_is_drawn_from_the_token_whatever_the_request_says(app, engine, client):
    write_alert(engine, "EMB-DRAW-URB", URBAN, severity="warning")
    write_alert(engine, "EMB-DRAW-ECO", ECOLOGY, severity="warning")
    token, _pk = issue_token(app, engine, "alert_ticker", department=URBAN, lang="en")
    path = f"/embed/{token}"
    drawn = _drawn(client.post(DISPATCH, json=callback_body(path)))
    assert '"data-live": "true"' in drawn and '"data-alert": "EMB-DRAW-URB"' in drawn
    assert "EMB-DRAW-ECO" not in drawn
    # the live store is the browser's: whatever it holds, the token decides
    for live in ({"department": ECOLOGY}, {"panel": "case_trend", "params": {"department": None}}, "x" * 500):
        again = _drawn(client.post(DISPATCH, json=callback_body(path, live)))
        assert "EMB-DRAW-URB" in again and "EMB-DRAW-ECO" not in again
    # a request that names the panel's parameters itself is refused
    tampered = callback_body(path)
    tampered["inputs"].append({"id": "embed-department", "property": "value", "value": ECOLOGY})
    assert client.post(DISPATCH, json=tampered).status_code == 400
    tampered = callback_body(path)
    tampered["inputs"][2] = {"id": "embed-panel", "property": "data", "value": "case_trend"}
    assert client.post(DISPATCH, json=tampered).status_code == 400


def test_a_signed_in_visitor_gets_no_more_through_an_embed(app, engine):
    """A session cookie that comes along changes nothing: the token's department still bounds
    the stream and the strip (the duty officer may read every department's alerts)."""
    from signin import signed_in

    client, _csrf = signed_in(app, "duty_officer")
    token, _pk = issue_token(app, engine, "alert_ticker", department=URBAN, lang="en")
    write_alert(engine, "EMB-SESSION-ECO", ECOLOGY)
    drawn = _drawn(client.post(DISPATCH, json=callback_body(f"/embed/{token}")))
    assert "EMB-SESSION-ECO" not in drawn
