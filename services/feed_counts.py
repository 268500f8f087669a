"""What each feed delivered, as the feed worker (live/worker.py) saves it every round in the
store's meta table under `feed.<source>`: readings received (past the intake), stored, dropped
as duplicates, and refused by reason, since the worker began listening. Any process (the
Sources page's) reads the same figures."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from store.models import Meta

COUNTS_KEY = "feed.{}"
RATE_MINUTES = 5  # a feed's rate is told over this many minutes


def feed_counts(engine: Engine, source: str) -> dict[str, Any] | None:
    """{"received", "stored", "duplicates", "rejected": {reason: n}, "since", "messages",
    "last_message_at", "newest_reading_at", "minutes": {epoch minute: readings}, "saved_at"}
    (times ISO 8601 UTC) for feed `source`, None before the worker saved any."""
    with engine.connect() as connection:
        raw = connection.execute(select(Meta.value).where(Meta.key == COUNTS_KEY.format(source))).scalar()
    return json.loads(raw) if raw else None
