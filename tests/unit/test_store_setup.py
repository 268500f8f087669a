"""The embedded store's demo park is moved forward to today on a later start, by whole days."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import insert, select

from data_sources.adapters.sql_store import SqlStoreSource
from services.store_setup import roll_demo_forward
from store.bulk import write_frame
from store.engine import make_engine
from store.migrate import upgrade
from store.models import CONTRACT_TABLES, Meta, Reading
from store.reading_rows import insert_readings

GENERATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
REPORTED = datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=UTC)


def _store(tmp_path, park="demo"):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    cases = pd.DataFrame(
        {
            "id": ["C1", "C2"],
            "channel": ["portal", "portal"],
            "domain": ["urban_management"] * 2,
            "case_type": ["road_damage"] * 2,
            "status": ["closed", "reported"],
            "reported_at": pd.to_datetime([REPORTED, REPORTED], utc=True),
            "closed_at": pd.to_datetime([REPORTED + timedelta(hours=5), None], utc=True),
        }
    )
    with engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["cases"], cases)
        connection.execute(
            insert(Meta.__table__),
            [{"key": "park", "value": park}, {"key": "generated_at", "value": GENERATED.isoformat()}],
        )
    return engine


def _cases(tmp_path):
    source = SqlStoreSource("s", {"url": f"sqlite:///{tmp_path / 'store.sqlite'}"})
    frame = source.fetch("cases")
    source.close()
    return frame


def test_demo_park_moves_forward_by_whole_days_keeping_time_of_day(tmp_path):
    engine = _store(tmp_path)
    moved = roll_demo_forward(engine, GENERATED + timedelta(days=3, hours=7))
    assert moved == 3
    frame = _cases(tmp_path)
    assert frame["reported_at"].iloc[0] == REPORTED + timedelta(days=3)
    assert frame["closed_at"].iloc[0] == REPORTED + timedelta(days=3, hours=5)
    assert pd.isna(frame["closed_at"].iloc[1])
    # a second start the same day moves nothing more
    assert roll_demo_forward(engine, GENERATED + timedelta(days=3, hours=8)) == 0
    engine.dispose()


def test_a_live_park_moves_only_by_the_days_since_its_newest_reading(tmp_path):
    engine = _store(tmp_path)
    live = GENERATED + timedelta(days=2, hours=5)  # the feed worker ran two days after generation
    with engine.begin() as connection:
        insert_readings(connection, [("urn:dev:gs-001", "ch4", "%LEL", 0.5, live)])
    assert roll_demo_forward(engine, live + timedelta(hours=20)) == 0  # still today's
    assert roll_demo_forward(engine, live + timedelta(days=1, hours=1)) == 1
    with engine.connect() as connection:
        assert connection.execute(select(Reading.at)).scalar() == live + timedelta(days=1)
    engine.dispose()


def test_a_park_less_than_a_day_old_is_left_alone(tmp_path):
    engine = _store(tmp_path)
    assert roll_demo_forward(engine, GENERATED + timedelta(hours=23)) == 0
    assert _cases(tmp_path)["reported_at"].iloc[0] == REPORTED
    engine.dispose()


def test_a_store_that_is_not_the_demo_park_is_never_moved(tmp_path):
    engine = _store(tmp_path, park="imported")
    assert roll_demo_forward(engine, GENERATED + timedelta(days=30)) == 0
    assert _cases(tmp_path)["reported_at"].iloc[0] == REPORTED
    engine.dispose()


def test_processes_starting_at_once_move_the_demo_park_exactly_once(tmp_path):
    _store(tmp_path).dispose()
    workers = 4
    engines = [make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}") for _ in range(workers)]
    start = threading.Barrier(workers)

    def start_up(engine):
        start.wait()
        return roll_demo_forward(engine, GENERATED + timedelta(days=3, hours=7))

    with ThreadPoolExecutor(workers) as pool:
        moved = list(pool.map(start_up, engines))
    assert sorted(moved) == [0] * (workers - 1) + [3]
    assert _cases(tmp_path)["reported_at"].iloc[0] == REPORTED + timedelta(days=3)
    for engine in engines:
        engine.dispose()
