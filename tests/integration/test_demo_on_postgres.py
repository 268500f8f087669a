"""A small demo park written into the real PostgreSQL and read back through the SQL adapter:
the bulk writer's PostgreSQL path, JSONB, aware times and the contracts all agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import load_settings
from data_sources.adapters.sql_store import SqlStoreSource
from data_sources.contracts import CONTRACTS
from data_sources.health import HealthBook
from data_sources.monitor import SourceMonitor
from data_sources.validation import validate
from services.store_setup import seed_demo_park
from store.engine import make_engine
from store.migrate import upgrade

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_demo_park_round_trips_through_postgresql(pg_url, tmp_path):
    engine = make_engine(pg_url)
    upgrade(engine)
    settings = load_settings(data_dir=tmp_path, demo_cases=1500, database_url=pg_url)
    counts = seed_demo_park(engine, settings, now=NOW, quiet=True)
    source = SqlStoreSource("pg", {"url": pg_url, "validated": False})
    monitor = SourceMonitor(source, HealthBook())
    try:
        for contract, written in counts.items():
            if contract not in CONTRACTS:
                continue
            snap = monitor.read(contract)
            assert not snap.stale
            assert len(snap.frame) == written, contract
            assert snap.health.rows_rejected == 0, [
                r.message for r in monitor.book.recent_rejections("pg")[:3]
            ]
        cases = monitor.read("cases").frame
        assert str(cases["reported_at"].dt.tz) == "UTC"
        assert cases["reported_at"].max() <= NOW
        features = monitor.read("features").frame
        assert isinstance(features["geometry"].iloc[0], dict)
        sensors = monitor.read("sensors").frame
        cameras = sensors[sensors["kind"] == "camera"]
        assert cameras["thresholds"].isna().all(), "None is stored as SQL NULL, not JSON null"
        recent = source.fetch("readings", since=datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
        assert len(recent) > 0
        assert recent["at"].min() > datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
        assert validate(recent, CONTRACTS["readings"], "pg").rejections == []
    finally:
        monitor.close()
        engine.dispose()
