"""How fresh the screen's data is: the newest case or reading, and whether a source is down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from babel.dates import format_timedelta

from services.context import get_services
from services.data import snapshot

# The time column that says how new a contract's data is.
NEWEST_BY = {"readings": "at", "cases": "reported_at"}
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}


@dataclass(frozen=True)
class Freshness:
    state: str  # ok / stale / down
    newest: datetime | None
    age: timedelta | None
    down_count: int

    def age_text(self, lang: str) -> str:
        if self.age is None:
            return ""
        return format_timedelta(self.age, locale=BABEL_LOCALE.get(lang, "en"), threshold=1.1)


def newest_time(frame: pd.DataFrame, column: str) -> datetime | None:
    if frame.empty or column not in frame:
        return None
    value = pd.to_datetime(frame[column], utc=True).max()
    return None if pd.isna(value) else value.to_pydatetime()


def freshness_summary(now: datetime | None = None) -> Freshness:
    services = get_services()
    now = now or datetime.now(UTC)
    newest: datetime | None = None
    for contract, column in NEWEST_BY.items():
        if services.sources.source_of(contract) is None:
            continue
        value = newest_time(snapshot(contract).frame, column)
        if value is not None and (newest is None or value > newest):
            newest = value
    down = sum(1 for h in services.sources.health() if h.status == "down")
    age = None if newest is None else max(now - newest, timedelta(0))
    if down:
        state = "down"
    elif age is None or age > timedelta(seconds=services.settings.freshness_warn_s):
        state = "stale"
    else:
        state = "ok"
    return Freshness(state=state, newest=newest, age=age, down_count=down)
