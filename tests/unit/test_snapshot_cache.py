"""The snapshot cache: windows apply even when a source cannot filter by time, an expired entry
is served at once while it is read again, and a check of a source is rate-limited."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from data_sources.health import HealthBook
from services.data import SnapshotCache
from services.sources import SourceManager, SourcesFile


def _write(path, times):
    rows = "\n".join(f"urn:dev:aq-001,pm25,ug/m3,{i},{t.isoformat()}" for i, t in enumerate(times))
    path.write_text("sensor_id,quantity,unit,value,at\n" + rows + "\n", encoding="utf-8")


@pytest.fixture
def setup(tmp_path):
    now = datetime.now(UTC)
    _write(
        tmp_path / "readings.csv",
        [now - timedelta(days=3), now - timedelta(hours=2), now - timedelta(minutes=5)],
    )
    config = SourcesFile.model_validate(
        {
            "sources": {
                "aq-export": {
                    "adapter": "csv",
                    "serves": ["readings"],
                    "options": {"path": str(tmp_path / "readings.csv"), "contract": "readings"},
                }
            }
        }
    )
    manager = SourceManager(config, HealthBook(), base_dir=tmp_path)
    return manager, tmp_path, now


def test_recent_window_applies_to_a_source_that_cannot_filter(setup):
    manager, _, _ = setup
    cache = SnapshotCache(manager, ttl_s=60)
    frame = cache.get("readings").frame
    assert len(frame) == 2  # the 3-day-old reading is outside the default one-day window


def test_expired_entry_is_served_at_once_and_refreshed_behind(setup):
    manager, folder, now = setup
    cache = SnapshotCache(manager, ttl_s=0)
    first = cache.get("readings")
    _write(folder / "readings.csv", [now - timedelta(minutes=1)] * 5)
    served = cache.get("readings")  # expired: the old snapshot comes back without waiting
    assert served is first
    deadline = time.monotonic() + 5
    while cache.get("readings") is first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(cache.get("readings").frame) == 5


def test_check_is_rate_limited_and_unknown_names_raise_key_error(setup):
    manager, _, _ = setup
    cache = SnapshotCache(manager, ttl_s=60)
    assert cache.check("aq-export").status == "ok"
    before = manager.monitors["aq-export"].health.last_attempt
    cache.check("aq-export")
    assert manager.monitors["aq-export"].health.last_attempt == before
    with pytest.raises(KeyError):
        cache.check("no-such-source")
