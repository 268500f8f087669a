"""The live feed on the real PostgreSQL: an alert event whose transaction commits after a later
one's (sequence numbers are taken at insert, seen at commit) still reaches the streams, once,
and a department head's catch-up query filters in the store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from live_alerts import write_alert
from sqlalchemy import insert

from live.alert_feed import LATE, AlertFeed
from live.bus import LocalBus
from store.alert_feed import events_after
from store.engine import make_engine
from store.migrate import upgrade
from store.models import AlertEvent

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(pg_url):
    made = make_engine(pg_url)
    upgrade(made)
    yield made
    made.dispose()


def drain(listener) -> list[tuple[str, int]]:
    out = []
    while (item := listener.get(0.05)) is not None:
        kind, payload = item
        if kind in ("alert", LATE):
            out.append((kind, payload["seq"]))
    return out


def test_an_event_committed_after_a_later_numbered_one_is_still_delivered_once(engine):
    write_alert(engine, "PG-LIVE-1", "urban_management")
    feed = AlertFeed(engine, LocalBus(), backstop_s=3600)
    try:
        listener = feed.subscribe()
        slow = engine.connect()
        transaction = slow.begin()
        early = slow.execute(
            insert(AlertEvent.__table__).values(
                alert_id="PG-LIVE-1", action="acknowledge", at=datetime.now(UTC)
            )
        ).inserted_primary_key[0]
        late = write_alert(engine, "PG-LIVE-1", "urban_management", action="assign", state="assigned")
        assert late > early
        feed.read_new()
        assert drain(listener) == [("alert", late)]  # the earlier number is not committed yet
        transaction.commit()
        slow.close()
        feed.read_new()
        feed.read_new()
        assert drain(listener) == [(LATE, early)]  # passed on even to streams that saw `late`
    finally:
        feed.close()


def test_the_catch_up_query_filters_by_department_in_the_store(engine):
    ours = write_alert(engine, "PG-LIVE-2", "urban_management")
    write_alert(engine, "PG-LIVE-3", "ecology_environment")
    with engine.connect() as connection:
        scoped = events_after(connection, 0, department="urban_management", whole_park=False)
        everything = events_after(connection, 0)
    assert [e["seq"] for e in scoped] == [ours]
    assert [e["alert"]["department"] for e in everything] == ["urban_management", "ecology_environment"]
    assert everything[0]["alert"]["raised_at"].tzinfo is not None
