"""When a panel's figure was read, said on the panel, and said again when it grows old.

A figure is refreshed from its snapshot (services.data, `cache_timeout_s`) by the page's own
timer; one older than `late_after` (services.freshness.late_after) is not being updated — the
page's refreshes fail (server restarted or overloaded, network down) or nothing re-reads it —
and the panel must not look current. The server marks it so when it draws the panel; the
browser (assets/onescreen.js, markLate) marks it when no new drawing arrives, judging by the
time elapsed since the panel was drawn, so a computer's wrong clock cannot mark it or hide it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dash import html

from components.timefmt import format_time
from locales import t


def read_state(fetched_at: datetime | None, down: bool, late_after: timedelta, now: datetime) -> str:
    """ "stale" (its source is down: the last good data), "late" (older than `late_after`) or "live"."""
    if down:
        return "stale"
    if fetched_at is not None and now - fetched_at > late_after:
        return "late"
    return "live"


def read_at(
    fetched_at: datetime | None,
    down: bool,
    lang: str,
    zone: ZoneInfo,
    late_after: timedelta,
    now: datetime | None = None,
) -> html.Span:
    """ "read 19:58", "no update since 19:58" or "source down, showing data of 19:58", carrying
    what the browser needs to turn the first into the second on its own."""
    now = now or datetime.now(UTC)
    state = read_state(fetched_at, down, late_after, now)
    time = format_time(fetched_at, zone, "%H:%M")
    attributes = {}
    if state == "live" and fetched_at is not None:
        attributes = {
            "data-read": f"{fetched_at.isoformat()}|{now.isoformat()}",
            "data-age-ms": str(int((now - fetched_at).total_seconds() * 1000)),
            "data-late-ms": str(int(late_after.total_seconds() * 1000)),
            "data-late-text": t("panel.late", lang, time=time),
        }
    return html.Span(t(f"panel.{state}", lang, time=time), className=f"os-read-at os-{state}", **attributes)
