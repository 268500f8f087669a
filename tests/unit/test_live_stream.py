"""The live alert stream (live/alert_feed.py, live/stream.py) on the embedded store with the
in-process bus: catch-up from a sequence number, the scope filter, a message both caught up and
published sent once, numbers committed out of order, the end on shutdown, and the route's
answers to bad input, a full process and a shut-down feed."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
import sqlalchemy
from apps import build_app
from live_alerts import write_alert
from signin import DEMO, sign_in

from live.alert_feed import AlertFeed, stream
from live.bus import DOWN, LocalBus
from live.stream import BUS_KEY, FEED_KEY, SLOTS_KEY
from security.scope import WHOLE_PARK, Scope
from store.alert_feed import newest_seq

URBAN, ECOLOGY = "urban_management", "ecology_environment"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("live"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture
def feed(engine):
    """A feed on its own in-process bus; it reads only when told (or when something is published)."""
    made = AlertFeed(engine, LocalBus(), backstop_s=3600)
    yield made
    made.close()


def events(chunks: list[str]) -> list[dict]:
    """The alert messages among `chunks`, parsed."""
    out = []
    for chunk in chunks:
        fields = dict(line.split(": ", 1) for line in chunk.strip().splitlines() if not line.startswith(":"))
        if fields.get("event") == "alert":
            assert fields["id"] == str(json.loads(fields["data"])["seq"])
            out.append(json.loads(fields["data"]))
    return out


def pull(gen, *, until=lambda chunks: False, timeout_s: float = 3.0) -> list[str]:
    """Chunks from the stream until `until(chunks)` holds or `timeout_s` passes (heartbeats come
    every 0.1 s in these tests, so a wait never blocks longer)."""
    chunks: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not until(chunks):
        try:
            chunks.append(next(gen))
        except StopIteration:
            break
    return chunks


def test_catch_up_sends_every_event_after_the_given_sequence_number_in_order(engine, feed):
    before = write_alert(engine, "LIVE-CU-1", URBAN)
    seqs = [
        write_alert(engine, "LIVE-CU-1", URBAN, action="acknowledge", state="acknowledged"),
        write_alert(engine, "LIVE-CU-2", ECOLOGY),
    ]
    gen = stream(feed, engine, WHOLE_PARK, before, heartbeat_s=0.1)
    chunks = pull(gen, until=lambda c: len(events(c)) >= 2)
    gen.close()
    assert chunks[0] == "retry: 2000\n\n"
    got = events(chunks)
    assert [e["seq"] for e in got] == seqs
    first = got[0]
    assert first["action"] == "acknowledge" and first["at"].endswith("Z")
    alert = first["alert"]
    assert alert["id"] == "LIVE-CU-1" and alert["state"] == "acknowledged" and alert["department"] == URBAN
    assert (alert["severity"], alert["rule"], alert["value"], alert["threshold"]) == (
        "critical",
        "smoke_alarm",
        9.5,
        4.0,
    )
    assert alert["sensor_id"] == "urn:dev:test-smoke-001" and alert["raised_at"].endswith("Z")
    assert alert["detail"]["title"] == "alert_rule.smoke_alarm"


def test_a_department_head_receives_only_their_departments_alerts(engine, feed):
    start = newest_seq_of(engine)
    ours = write_alert(engine, "LIVE-SC-1", URBAN)
    write_alert(engine, "LIVE-SC-2", ECOLOGY)
    write_alert(engine, "LIVE-SC-3", None)  # answered by nobody yet: no department head's
    gen = stream(feed, engine, Scope(URBAN), start, heartbeat_s=0.1)
    caught_up = pull(gen, until=lambda c: len(events(c)) >= 1)
    live_ours = write_alert(engine, "LIVE-SC-4", URBAN)
    write_alert(engine, "LIVE-SC-5", ECOLOGY)
    feed.read_new()
    live = pull(gen, until=lambda c: len(events(c)) >= 1)
    live += pull(gen, timeout_s=0.3)  # and nothing else comes
    gen.close()
    assert [e["seq"] for e in events(caught_up)] == [ours]
    assert [e["seq"] for e in events(live)] == [live_ours]


def test_an_event_both_caught_up_and_published_is_sent_once(engine, feed):
    start = newest_seq_of(engine)
    gen = stream(feed, engine, WHOLE_PARK, start, heartbeat_s=0.1)
    assert next(gen) == "retry: 2000\n\n"  # subscribed: from here the feed hands everything on
    seq = write_alert(engine, "LIVE-DD-1", URBAN)
    feed.read_new()  # the feed has it queued for the stream, which has not read the store yet
    feed.bus.publish("alerts", {"seq": seq})
    later = write_alert(engine, "LIVE-DD-1", URBAN, action="acknowledge", state="acknowledged")
    feed.read_new()
    chunks = pull(gen, until=lambda c: len(events(c)) >= 2)
    chunks += pull(gen, timeout_s=0.3)
    gen.close()
    assert [e["seq"] for e in events(chunks)] == [seq, later]


def test_a_published_sequence_number_wakes_the_feed_and_reaches_the_stream_at_once(engine, feed):
    gen = stream(feed, engine, WHOLE_PARK, None, heartbeat_s=0.1)  # from now on
    pull(gen, until=lambda c: len(c) >= 2)
    seq = write_alert(engine, "LIVE-PB-1", ECOLOGY)
    sent = time.monotonic()
    feed.bus.publish("alerts", {"seq": seq})
    chunks = pull(gen, until=lambda c: len(events(c)) >= 1)
    took = time.monotonic() - sent
    gen.close()
    assert [e["seq"] for e in events(chunks)] == [seq]
    assert took < 0.5, took


def test_numbers_committed_out_of_order_are_still_delivered(engine, feed):
    feed.start()
    base = newest_seq_of(engine) + 100
    gen = stream(feed, engine, WHOLE_PARK, None, heartbeat_s=0.1)
    pull(gen, until=lambda c: len(c) >= 2)
    write_alert(engine, "LIVE-OO-1", URBAN, seq=base + 2)  # committed first
    feed.read_new()
    write_alert(engine, "LIVE-OO-2", URBAN, seq=base + 1)  # a transaction that took longer
    feed.read_new()
    chunks = pull(gen, until=lambda c: len(events(c)) >= 2)
    gen.close()
    assert [e["seq"] for e in events(chunks)] == [base + 2, base + 1]


def test_a_browser_that_reconnects_above_a_number_not_yet_committed_still_gets_it(engine, feed):
    feed.start()
    base = newest_seq_of(engine) + 100
    write_alert(engine, "LIVE-HL-1", URBAN, seq=base + 2)  # base + 1 is still being written
    feed.read_new()
    gen = stream(feed, engine, WHOLE_PARK, base + 2, heartbeat_s=0.1)  # it has seen base + 2
    pull(gen, until=lambda c: len(c) >= 2)
    write_alert(engine, "LIVE-HL-2", URBAN, seq=base + 1)  # now committed
    feed.read_new()
    chunks = pull(gen, until=lambda c: len(events(c)) >= 1)
    gen.close()
    assert [e["seq"] for e in events(chunks)] == [base + 1]


def test_a_browser_ahead_of_the_store_is_told_to_redraw(engine, feed):
    newest = newest_seq_of(engine)
    gen = stream(feed, engine, WHOLE_PARK, newest + 1000, heartbeat_s=0.1)
    chunks = pull(gen, until=lambda c: any("event: reset" in x for x in c))
    gen.close()
    assert f'id: {newest}\nevent: reset\ndata: {{"seq":{newest}}}\n\n' in chunks


def test_too_much_missed_is_a_redraw_not_a_flood(engine, feed):
    start = newest_seq_of(engine)
    for n in range(3):
        write_alert(engine, f"LIVE-FL-{n}", URBAN)
    gen = stream(feed, engine, WHOLE_PARK, start, heartbeat_s=0.1, catch_up_max=2)
    chunks = pull(gen, until=lambda c: any("event: reset" in x for x in c))
    gen.close()
    assert events(chunks) == [] and f"id: {start + 3}\nevent: reset" in chunks[-1]


def test_a_heartbeat_keeps_an_idle_stream_open_and_the_bus_state_is_told(engine, feed):
    gen = stream(feed, engine, WHOLE_PARK, None, heartbeat_s=0.1)
    chunks = pull(gen, until=lambda c: ": keep-alive\n\n" in c)
    assert chunks[1] == 'event: status\ndata: {"bus":"up"}\n\n'
    feed._on_state(DOWN)  # what the Redis bus tells its subscribers when Redis goes down
    chunks = pull(gen, until=lambda c: any("status" in x for x in c))
    gen.close()
    assert chunks[-1] == 'event: status\ndata: {"bus":"down"}\n\n'


def test_closing_the_feed_ends_every_stream(engine, feed):
    gen = stream(feed, engine, WHOLE_PARK, None, heartbeat_s=10)
    next(gen)
    ended = threading.Event()

    def drain() -> None:
        for _chunk in gen:
            pass
        ended.set()

    threading.Thread(target=drain, daemon=True).start()
    time.sleep(0.1)
    feed.close()
    assert ended.wait(2), "the stream did not end when the feed closed"


def newest_seq_of(engine) -> int:
    with engine.connect() as connection:
        return newest_seq(connection)


# the route


@pytest.fixture(scope="module")
def duty(app):
    client = app.server.test_client()
    sign_in(client, DEMO["duty_officer"])
    return client


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "١٢", "9" * 30])
def test_a_last_event_id_that_is_no_sequence_number_is_refused_naming_it(duty, value):
    response = duty.get("/live/alerts", headers={"Last-Event-ID": value})
    assert response.status_code == 400
    assert (
        response.json["message"].startswith("Last-Event-ID: ")
        and "is not a sequence number" in response.json["message"]
    )
    response = duty.get("/live/alerts", query_string={"last": value})
    assert response.status_code == 400 and response.json["message"].startswith("last: ")


def test_the_route_streams_from_the_header_before_the_parameter(app, engine, duty):
    start = newest_seq_of(engine)
    first = write_alert(engine, "LIVE-RT-1", URBAN)
    second = write_alert(engine, "LIVE-RT-2", URBAN)
    response = duty.get("/live/alerts", headers={"Last-Event-ID": str(first)}, query_string={"last": start})
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache, no-transform"
        chunks = pull((b.decode() for b in response.response), until=lambda c: len(events(c)) >= 1)
        assert [e["seq"] for e in events(chunks)] == [second]
    finally:
        response.close()


def test_a_full_process_answers_503_and_a_closed_stream_frees_its_place(app, duty):
    slots = app.server.extensions[SLOTS_KEY]
    app.server.extensions[SLOTS_KEY] = threading.BoundedSemaphore(1)
    try:
        held = duty.get("/live/alerts")
        assert held.status_code == 200
        busy = duty.get("/live/alerts")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
        assert busy.json["error"] == "busy"
        held.close()
        again = duty.get("/live/alerts")
        assert again.status_code == 200
        again.close()
    finally:
        app.server.extensions[SLOTS_KEY] = slots


def test_the_app_registers_its_bus_for_the_alert_engine(app):
    assert app.server.extensions[BUS_KEY] is app.server.extensions[FEED_KEY].bus
    assert isinstance(app.server.extensions[BUS_KEY], LocalBus)  # embedded, no Redis


def test_a_waiting_stream_holds_no_database_connection_and_ends_after_its_lifetime(engine, feed):
    feed.start()
    start = newest_seq_of(engine)
    write_alert(engine, "LIVE-LT-1", URBAN)
    held = Counter()
    on_checkout = lambda *_: held.update(["out"])  # noqa: E731
    on_checkin = lambda *_: held.update(["in"])  # noqa: E731
    sqlalchemy.event.listen(engine, "checkout", on_checkout)
    sqlalchemy.event.listen(engine, "checkin", on_checkin)
    try:
        gen = stream(feed, engine, WHOLE_PARK, start, heartbeat_s=0.1, lifetime_s=0.5)
        chunks = pull(gen, until=lambda c: len(events(c)) >= 1)  # caught up from the store
    finally:
        sqlalchemy.event.remove(engine, "checkout", on_checkout)
        sqlalchemy.event.remove(engine, "checkin", on_checkin)
    assert held["out"] >= 1 and held["out"] == held["in"]  # it read, and waits holding none
    began = time.monotonic()
    chunks = pull(gen, timeout_s=3)
    assert time.monotonic() - began < 1.5, "the stream outlived its lifetime"
    assert chunks and all(chunk == ": keep-alive\n\n" for chunk in chunks)
