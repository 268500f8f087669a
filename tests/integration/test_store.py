"""The store on SQLite and on the real PostgreSQL: migrations, round trips, the SQL adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import inspect

from data_sources.adapters.sql_store import SqlStoreSource
from data_sources.contracts import CASES
from data_sources.errors import SourceUnavailable
from data_sources.health import SourceHealth
from data_sources.monitor import SourceMonitor
from data_sources.sql_health import SqlHealthBook
from data_sources.validation import Rejection, validate
from store.bulk import write_frame
from store.engine import make_engine
from store.migrate import current_revision, upgrade
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
    assert current_revision(engine) == "0001"
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
