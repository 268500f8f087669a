"""A source's health is kept per contract: one failing contract is not hidden by the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_sources.health import SourceHealth

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_one_failing_contract_keeps_the_source_degraded_then_down():
    health = SourceHealth("store", "sql").succeeded(T0, "cases", 10, 0).succeeded(T0, "readings", 5, 0)
    assert health.status == "ok"
    statuses = []
    for i in range(1, 4):
        health = health.failed(T0 + timedelta(minutes=i), "readings", "timeout", down_after=3)
        health = health.succeeded(T0 + timedelta(minutes=i), "cases", 10, 0)  # the other contract still works
        statuses.append(health.status)
    assert statuses == ["degraded", "degraded", "down"]
    assert health.last_error == "readings: timeout"
    assert health.rows_accepted == 15  # the failing contract's last good batch still counts
    health = health.succeeded(T0 + timedelta(minutes=5), "readings", 6, 0)
    assert health.status == "ok"
    assert health.last_error is None


def test_a_contract_never_read_is_down_at_its_first_failure():
    health = SourceHealth("layer", "geojson").failed(T0, "features", "no such file", down_after=3)
    assert health.status == "down"


def test_a_permanent_failure_is_down_at_once():
    health = SourceHealth("export", "csv").succeeded(T0, "cases", 3, 0)
    health = health.failed(T0, "cases", "not GB18030 any more", down_after=3, permanent=True)
    assert health.status == "down"


def test_rejected_rows_degrade_until_a_clean_batch():
    health = SourceHealth("export", "csv").succeeded(T0, "cases", 3, 2)
    assert health.status == "degraded"
    assert health.last_error == "cases: 2 rows rejected in the latest batch"
    assert health.succeeded(T0, "cases", 5, 0).status == "ok"


def test_the_newest_row_is_kept_when_a_later_batch_brings_nothing_newer():
    health = SourceHealth("store", "sql").succeeded(T0, "readings", 5, 0, newest=T0 - timedelta(minutes=1))
    later = health.succeeded(T0 + timedelta(minutes=5), "readings", 0, 0, newest=None)
    batch = later.batch("readings")
    assert batch.newest_at == T0 - timedelta(minutes=1)
    assert batch.read_time == T0 + timedelta(minutes=5)
    failed = later.failed(T0 + timedelta(minutes=6), "readings", "timeout", down_after=3)
    assert failed.batch("readings").newest_at == T0 - timedelta(minutes=1)  # the last good data's age


def test_a_batch_recorded_before_freshness_was_kept_still_reads():
    from data_sources.health import Batch

    legacy = Batch(*["cases", 10, 0, 0, False])  # as the store's JSON held it
    assert legacy.newest_at is None and legacy.read_time is None
    health = SourceHealth("store", "sql", batches=(legacy,)).succeeded(T0, "cases", 3, 0, newest=T0)
    assert health.batch("cases").newest_at == T0
