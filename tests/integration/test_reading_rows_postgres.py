"""store/reading_rows.py on the real PostgreSQL (a schema of its own): a batch written in one
statement counts only the new rows (a duplicate dropped by the store), and an old hour rolls
into readings_hourly, merged with what the hour already had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from store.engine import begin_write, make_engine
from store.migrate import upgrade
from store.models import Reading, ReadingHourly
from store.reading_rows import insert_readings, roll_up_hour

pytestmark = pytest.mark.integration
HOUR = datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_insert_counts_new_rows_and_roll_up_merges_an_hour(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    rows = [("urn:dev:gs-001", "ch4", "%LEL", float(i), HOUR + timedelta(minutes=2 * i)) for i in range(30)]
    with begin_write(engine) as c:
        assert insert_readings(c, rows) == 30
    with begin_write(engine) as c:
        assert (
            insert_readings(
                c, rows[:5] + [("urn:dev:gs-001", "ch4", "%LEL", 99.0, HOUR + timedelta(seconds=30))]
            )
            == 1
        )
    with pytest.raises(ValueError, match="timezone-aware"), begin_write(engine) as c:
        insert_readings(c, [("urn:dev:gs-001", "ch4", "%LEL", 1.0, datetime(2026, 11, 1))])  # noqa: DTZ001 - the bad input
    with begin_write(engine) as c:
        done = roll_up_hour(c, HOUR + timedelta(hours=2))
    assert (done.hours, done.readings, done.aggregates) == (1, 31, 1)
    with begin_write(engine) as c:
        insert_readings(c, [("urn:dev:gs-001", "ch4", "%LEL", -1.0, HOUR + timedelta(minutes=59))])
        assert roll_up_hour(c, HOUR + timedelta(hours=2)).readings == 1
    with engine.connect() as c:
        n, mean, low, high = c.execute(
            select(ReadingHourly.n, ReadingHourly.mean, ReadingHourly.min, ReadingHourly.max)
        ).one()
        assert c.execute(select(func.count()).select_from(Reading)).scalar() == 0
    assert (n, low, high) == (32, -1.0, 99.0)
    assert mean == pytest.approx((sum(range(30)) + 99 - 1) / 32)
    engine.dispose()
