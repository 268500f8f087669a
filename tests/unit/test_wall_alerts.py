"""The wall's critical-alert queue (domain/wall_alerts.py) fed the live stream's messages as
components/live_status.py keeps them: a new critical alert takes the screen, an acknowledged
one gives it back, the hold time moves on to the next, a burst queues, and a message seen again
(the same store after a change of layout) changes nothing."""

from __future__ import annotations

from domain.wall_alerts import MAX_QUEUE, advance, showing

HOLD = 120.0


def _message(
    seq: int, alert_id: str, action: str = "raise", state: str = "raised", severity: str = "critical"
):
    return {"seq": seq, "action": action, "alert": {"id": alert_id, "state": state, "severity": severity}}


def _live(*messages, seq: int | None = None) -> dict:
    return {
        "seq": seq if seq is not None else max((m["seq"] for m in messages), default=0),
        "items": list(messages),
    }


def test_a_page_starts_from_what_it_was_drawn_with():
    state = advance(None, _live(seq=41), 1000.0, HOLD)
    assert state == {"handled": 41, "queue": []} and showing(state) == (None, None, 0)
    # the stream's first messages arrive in the store before the takeover's first look: shown
    state = advance(None, _live(_message(42, "A1")), 1000.0, HOLD)
    assert showing(state) == ("A1", 1000.0, 0)


def test_a_new_critical_alert_shows_until_acknowledged():
    state = advance(None, _live(seq=1), 0.0, HOLD)
    state = advance(state, _live(_message(2, "A1")), 10.0, HOLD)
    assert showing(state) == ("A1", 10.0, 0)
    again = advance(state, _live(_message(2, "A1")), 20.0, HOLD)  # the same store again
    assert showing(again) == ("A1", 10.0, 0)
    state = advance(
        again, _live(_message(2, "A1"), _message(3, "A1", "acknowledge", "acknowledged")), 30.0, HOLD
    )
    assert showing(state) == (None, None, 0) and state["handled"] == 3


def test_only_new_critical_alerts_take_over():
    state = advance(None, _live(seq=1), 0.0, HOLD)
    live = _live(
        _message(2, "W1", severity="warning"),
        _message(3, "C1", action="escalate", state="escalated"),  # escalated: not new
        {"seq": 4, "reset": True},
        _message(5, "C2", action="acknowledge", state="acknowledged"),
    )
    state = advance(state, live, 1.0, HOLD)
    assert showing(state) == (None, None, 0) and state["handled"] == 5


def test_after_the_hold_time_the_next_alert_shows_for_its_own_hold_time():
    state = advance(None, _live(seq=1), 0.0, HOLD)
    state = advance(state, _live(_message(2, "A1"), _message(3, "A2"), _message(4, "A3")), 100.0, HOLD)
    assert showing(state) == ("A1", 100.0, 2)
    state = advance(state, None, 219.0, HOLD)
    assert showing(state)[0] == "A1"
    state = advance(state, None, 220.0, HOLD)
    assert showing(state) == ("A2", 220.0, 1)
    # A3 is dealt with while it waits: it never shows
    state = advance(state, _live(_message(5, "A3", "resolve", "resolved")), 230.0, HOLD)
    assert showing(state) == ("A2", 220.0, 0)
    state = advance(state, None, 345.0, HOLD)
    assert showing(state) == (None, None, 0)


def test_a_late_tick_passes_every_alert_whose_time_is_over():
    state = advance(None, _live(seq=1), 0.0, HOLD)
    state = advance(state, _live(_message(2, "A1"), _message(3, "A2")), 0.0, HOLD)
    assert showing(advance(state, None, 1000.0, HOLD)) == ("A2", 1000.0, 0)  # A2's hold starts now


def test_a_flood_keeps_the_one_showing_and_the_newest_waiting():
    state = advance(None, _live(seq=0), 0.0, HOLD)
    flood = _live(*(_message(n, f"F{n}") for n in range(1, MAX_QUEUE + 11)))
    state = advance(state, flood, 5.0, HOLD)
    ids = [item["id"] for item in state["queue"]]
    assert len(ids) == MAX_QUEUE and ids[0] == "F1" and ids[-1] == f"F{MAX_QUEUE + 10}"


def test_a_tampered_or_empty_state_starts_afresh():
    for bad in ("x", {"queue": "x"}, {"handled": "7", "queue": [{"no": "id"}, 5]}):
        state = advance(bad, _live(seq=7), 0.0, HOLD)
        assert state == {"handled": 7, "queue": []}
