"""The monitor keeps a PUSH source's health from its batches and its connection changes, as it
does for polled sources: degraded when the connection drops, down after `down_after` failed
attempts, ok when it is back, one log line per change; rejections counted by reason. The source
here is a small real PushSource that delivers what the test hands it (no broker needed)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from data_sources.base import PUSH, DataSource, PushBatch, Sink, StateSink
from data_sources.errors import ContractError
from data_sources.feeds.intake import IntakeLimits, SenmlFormat, SensorCatalog, decode_payload
from data_sources.health import HealthBook
from data_sources.monitor import SourceMonitor

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


class HandFedSource(DataSource):
    """Delivers the payloads a test gives it, decoded as the MQTT adapter decodes them."""

    kind = "hand-fed"
    contracts = frozenset({"readings"})
    capabilities = frozenset({PUSH})

    def __init__(self, name: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(name, options)
        self.sink: Sink | None = None
        self.on_state: StateSink | None = None
        self.catalog: SensorCatalog | None = None
        self.opened = 0

    def listen(self, sink: Sink, on_state: StateSink, *, catalog: SensorCatalog | None = None) -> None:
        self.sink, self.on_state, self.catalog = sink, on_state, catalog

    def open(self) -> None:
        self.opened += 1
        assert self.on_state is not None
        self.on_state(True, None)

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        raise AssertionError("a listened source is not read")

    def deliver(self, payload: bytes, at: datetime) -> PushBatch:
        intake = decode_payload(payload, SenmlFormat(), at, IntakeLimits(), self.catalog)
        batch = PushBatch(self.name, "readings", intake.readings, intake.rejections(self.name), at, "t",
                          dict(intake.counts))  # fmt: skip
        assert self.sink is not None
        self.sink(batch)
        return batch


@pytest.fixture
def fed(caplog):
    caplog.set_level(logging.INFO, logger="data_sources.monitor")
    source = HandFedSource("hand")
    book = HealthBook()
    clock = iter(NOW + timedelta(seconds=i) for i in range(1000))
    monitor = SourceMonitor(source, book, clock=lambda: next(clock), down_after=3)
    taken: list[PushBatch] = []
    monitor.listen(taken.append, catalog=SensorCatalog({"urn:dev:aq-001": {"pm25": "ug/m3"}}))
    return source, book, monitor, taken


def lines(caplog) -> list[str]:
    found = [r.getMessage() for r in caplog.records if r.name == "data_sources.monitor"]
    caplog.clear()
    return found


def test_listening_opens_the_source_and_marks_it_ok(fed, caplog):
    source, book, _, _ = fed
    assert source.opened == 1 and book.get("hand").status == "ok"
    assert lines(caplog) == []


def test_batches_count_in_health_and_rejections_by_reason(fed):
    source, book, monitor, taken = fed
    at = NOW - timedelta(minutes=1)
    source.deliver(b'[{"bn": "urn:dev:aq-001:", "bt": %d, "n": "pm25", "v": 3}]' % at.timestamp(), NOW)
    source.deliver(b"not json", NOW)
    source.deliver(b'[{"n": "urn:dev:zz-9:pm25", "v": NaN}, {"n": "urn:dev:zz-9:pm25", "v": 1}]', NOW)
    assert [len(b.rows) for b in taken] == [1, 0, 0]
    assert dict(monitor.rejected_by_reason) == {"not JSON": 1, "not a finite number": 1, "unknown sensor": 1}
    health = book.get("hand")
    batch = health.batch("readings")
    assert (batch.accepted, batch.rejected, batch.newest_at) == (0, 2, at)
    assert health.status == "degraded"  # the latest batch had rejections
    assert [r.reason.split(":")[0] for r in book.recent_rejections("hand")] == [
        "not JSON", "not a finite number", "unknown sensor"
    ]  # fmt: skip


def test_a_dropped_connection_degrades_then_goes_down_then_comes_back(fed, caplog):
    source, book, _, _ = fed
    statuses = []
    for reason in ("connection lost: keepalive timeout", "cannot connect", "cannot connect"):
        source.on_state(False, reason)
        statuses.append(book.get("hand").status)
    assert statuses == ["degraded", "degraded", "down"]
    assert book.get("hand").last_error == "readings: cannot connect"
    assert len(lines(caplog)) == 2  # degraded, down
    source.on_state(True, None)
    assert book.get("hand").status == "ok"
    assert lines(caplog) == ["source hand is back (ok)"]


def test_a_batch_the_sink_refuses_is_not_counted_and_the_error_reaches_the_source(caplog):
    source = HandFedSource("hand")
    book = HealthBook()
    monitor = SourceMonitor(source, book, clock=lambda: NOW)

    def refuse(batch: PushBatch) -> None:
        raise RuntimeError("store is down")

    monitor.listen(refuse)
    with pytest.raises(RuntimeError, match="store is down"):
        source.deliver(b"not json", NOW)
    assert monitor.rejected_by_reason == {} and book.recent_rejections("hand") == []


def test_a_source_that_does_not_push_cannot_be_listened_to():
    class Polled(DataSource):
        kind = "polled"
        contracts = frozenset({"readings"})

        def fetch(self, contract, since=None):
            return pd.DataFrame()

    with pytest.raises(ContractError, match="does not push"):
        SourceMonitor(Polled("p"), HealthBook()).listen(lambda batch: None)


def test_a_batch_reads_as_a_contract_frame(fed):
    source, _, _, taken = fed
    source.deliver(b'[{"bn": "urn:dev:aq-001:", "bt": %d, "n": "pm25", "v": 3}]' % NOW.timestamp(), NOW)
    frame = taken[0].frame()
    assert frame.to_dict("records") == [
        {"sensor_id": "urn:dev:aq-001", "quantity": "pm25", "unit": "ug/m3", "value": 3.0, "at": NOW}
    ]
