"""The store on SQLite and on the real PostgreSQL: migrations, round trips, the SQL adapter."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import inspect

from data_sources.adapters.sql_store import SqlStoreSource
from data_sources.contracts import CASES, ENTERPRISES
from data_sources.errors import SourceUnavailable
from data_sources.health import SourceHealth
from data_sources.monitor import SourceMonitor
from data_sources.sql_health import SqlHealthBook
from data_sources.validation import Rejection, conform, validate
from store.bulk import write_frame
from store.engine import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.models import CONTRACT_TABLES

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(store_url):
    engine = make_engine(store_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["C1", "C2"],
            "channel": ["hotline_12345", "grid_patrol"],
            "domain": ["urban_management", "work_safety"],
            "case_type": ["road_damage", "fire_exit_blocked"],
            "status": ["closed", "accepted"],
            "reported_at": [T0.isoformat(), (T0 + timedelta(hours=1)).isoformat()],
            "closed_at": [(T0 + timedelta(days=1)).isoformat(), None],
            "lon": [114.7, 114.71],
            "lat": [38.0, 38.01],
            "satisfaction": [5, None],
        }
    )


def test_baseline_migration_creates_every_contract_table(engine):
    upgrade(engine)  # a second start is a no-op
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(CONTRACT_TABLES) <= tables


def test_cases_round_trip_with_utc_times(engine, store_url):
    good = validate(_cases(), CASES, "test").good
    with engine.begin() as connection:
        assert write_frame(connection, CONTRACT_TABLES["cases"], good) == 2
    source = SqlStoreSource("store", {"url": store_url})
    source.open()
    frame = source.fetch("cases")
    source.close()
    assert list(frame["id"]) == ["C1", "C2"]
    assert frame["reported_at"].iloc[0] == T0
    assert frame["reported_at"].iloc[0].tzinfo is not None
    assert pd.isna(frame["closed_at"].iloc[1])
    assert validate(frame, CASES, "store").rejections == []


def test_naive_datetime_is_refused_by_the_store(engine):
    frame = validate(_cases(), CASES, "test").good
    frame["reported_at"] = frame["reported_at"].dt.tz_localize(None)
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["cases"], frame)


def test_health_book_is_shared_through_the_store(engine):
    book = SqlHealthBook(engine)
    rejection = Rejection("feed", "readings", 3, None, "value", "'x'", "not a finite number")
    book.put(SourceHealth("feed", "csv").succeeded(T0, "readings", accepted=10, rejected=1), [rejection])
    other_worker = SqlHealthBook(engine)
    health = other_worker.get("feed")
    assert health.status == "degraded" and health.rows_accepted == 10 and health.last_success == T0
    assert other_worker.recent_rejections("feed") == [rejection]


def test_unreachable_database_makes_the_source_down_not_an_error():
    source = SqlStoreSource("remote", {"url": "postgresql://nobody@127.0.0.1:1/none"})
    with pytest.raises(SourceUnavailable):
        source.fetch("cases")
    from data_sources.health import HealthBook

    book = HealthBook()
    monitor = SourceMonitor(source, book, clock=lambda: T0)
    for _ in range(3):
        snap = monitor.read("cases")
    assert snap.stale and snap.frame.empty
    assert book.get("remote").status == "down"


def test_a_rejection_with_a_300_character_key_is_recorded_cut_to_fit(engine):
    book = SqlHealthBook(engine)
    long_key, long_field = "K" * 300, "列" * 100
    rejection = Rejection("feed", "cases", 2, long_key, long_field, "'x'" * 100, "not one of a, b")
    book.put(SourceHealth("feed", "csv" * 40).succeeded(T0, "cases", accepted=1, rejected=1), [rejection])
    (stored,) = SqlHealthBook(engine).recent_rejections("feed")
    assert stored.key == long_key[:128] and stored.field == long_field[:64] and len(stored.value) == 80
    assert stored.reason == rejection.reason


def test_a_long_source_name_is_kept_whole_and_not_merged_with_a_similar_one(engine):
    book = SqlHealthBook(engine)
    first, second = "s" * 100 + "-1", "s" * 100 + "-2"
    book.put(SourceHealth(first, "csv").succeeded(T0, "cases", accepted=1, rejected=0))
    book.put(SourceHealth(second, "csv").succeeded(T0, "cases", accepted=2, rejected=0))
    assert [h.source for h in SqlHealthBook(engine).all()] == [first, second]


def test_workers_recording_a_new_source_at_once_leave_one_row(engine):
    workers = 8
    for attempt in range(5):
        source = f"new-{attempt}"
        start = threading.Barrier(workers)

        def put(n: int, source: str = source, start: threading.Barrier = start) -> None:
            book = SqlHealthBook(engine)
            start.wait()
            book.put(SourceHealth(source, "csv").succeeded(T0, "cases", accepted=n, rejected=0))

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(put, range(workers)))  # re-raises a worker's IntegrityError
        assert [h.source for h in SqlHealthBook(engine).all()].count(source) == 1


def test_dates_and_missing_values_round_trip(engine, store_url):
    frame = pd.DataFrame(
        {
            "id": ["E1", "E2"],
            "name": ["甲", "乙"],
            "industry_code": ["3914", "3914"],
            "founded_on": ["2015-06-01", None],
        }
    )
    good = validate(frame, ENTERPRISES, "test").good
    with engine.begin() as connection:
        assert write_frame(connection, CONTRACT_TABLES["enterprises"], good) == 2
    source = SqlStoreSource("store", {"url": store_url})
    stored = conform(source.fetch("enterprises"), ENTERPRISES)
    source.close()
    assert list(stored["founded_on"]) == [date(2015, 6, 1), None]
    assert stored["lon"].isna().all()
