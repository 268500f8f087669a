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
