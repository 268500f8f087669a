"""Times as the screen shows them: in the park's time zone, never the store's UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def format_time(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`value` in `zone`, or an em dash when there is none."""
    return value.astimezone(zone).strftime(fmt) if value else "—"
