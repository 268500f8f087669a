"""The wall's critical-alert queue: which alert takes over the screen now. Pure: it reads the
live stream's messages as components/live_status.py keeps them ({"seq", "action", "alert": {id,
severity, state, ...}}) and a clock, and returns the queue as plain data (kept in the page
shell's store beside the live stream's, so a playlist's change of layout does not lose it).

A NEW critical alert (raised, critical) joins the queue's end; the alert at its head holds the
screen until someone acknowledges it (any state but raised or escalated: acknowledged,
assigned, resolved, closed) or for the hold time since it first showed; then the next one
shows, each for its own hold time. An alert that is dealt with while it waits leaves the queue
unshown. Messages are handled once, by sequence number: a burst arriving in one update, or the
same window seen again after a redraw, changes nothing twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WAITING_STATES = frozenset({"raised", "escalated"})  # nobody has taken it on yet
MAX_QUEUE = 20  # more at once is a flood: the duty desk's business; the oldest waiting go first


def _fresh(state: object) -> dict[str, Any]:
    state = state if isinstance(state, dict) else {}
    queue = [
        {"id": str(item["id"]), "shown_at": item.get("shown_at")}
        for item in state.get("queue") or []
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]
    handled = state.get("handled")
    return {"handled": handled if isinstance(handled, int) else None, "queue": queue}


def _messages(live: object) -> list[Mapping[str, Any]]:
    items = live.get("items") if isinstance(live, dict) else None
    return [m for m in items or [] if isinstance(m, dict) and isinstance(m.get("seq"), int)]


def advance(state: object, live: object, now: float, hold_s: float) -> dict[str, Any]:
    """The queue after the stream's store `live` and the time `now` (epoch seconds). The first
    call (no `handled` yet) starts from what the page was drawn with: the store's `seq` when it
    holds no message yet, else just before its first message (they came after the drawing)."""
    out = _fresh(state)
    messages = _messages(live)
    if out["handled"] is None:
        if messages:
            out["handled"] = min(m["seq"] for m in messages) - 1
        else:
            seq = live.get("seq") if isinstance(live, dict) else None
            out["handled"] = seq if isinstance(seq, int) else 0
    queue: list[dict[str, Any]] = out["queue"]
    for message in sorted(messages, key=lambda m: m["seq"]):
        if message["seq"] <= out["handled"]:
            continue
        out["handled"] = message["seq"]
        alert = message.get("alert")
        if not isinstance(alert, dict) or not isinstance(alert.get("id"), str):
            continue  # a reset: nothing to show
        alert_id = alert["id"]
        if alert.get("state") not in WAITING_STATES:
            queue[:] = [item for item in queue if item["id"] != alert_id]
        elif (
            message.get("action") == "raise"
            and alert.get("severity") == "critical"
            and all(item["id"] != alert_id for item in queue)
        ):
            queue.append({"id": alert_id, "shown_at": None})
    while queue:
        head = queue[0]
        if head["shown_at"] is None:
            head["shown_at"] = now
        if now - float(head["shown_at"]) < hold_s:
            break
        queue.pop(0)
    if len(queue) > MAX_QUEUE:  # keep the one showing; drop the oldest of those waiting
        queue[1:] = queue[len(queue) - MAX_QUEUE + 1 :]
    return out


def showing(state: object) -> tuple[str | None, float | None, int]:
    """The alert that holds the screen, since when, and how many wait behind it."""
    queue = _fresh(state)["queue"]
    if not queue:
        return None, None, 0
    return queue[0]["id"], queue[0]["shown_at"], len(queue) - 1
