"""DemoFeedSource: the demo park's sensor feed (kind `demo_feed`, PUSH), chosen in
config/sources.yaml like any feed. It simulates every IoT sensor of the park in the store
(demo/live_feed.py: each at its own interval, shaped on the real air-quality series, with
scheduled incidents) and delivers what they send as SenML packs through the same intake checks
as an MQTT message (data_sources.feeds.intake), so the worker cannot tell it from a broker.

On open it first sends the last `catch_up_min` minutes (late readings, placed at their own
time; those the store already holds are dropped there as duplicates), then every `tick_s` the
readings taken since. A batch the sink refuses is sent again at the next tick, as a broker
redelivers an unacknowledged message. `senml_packs()` is how `flask --app app demo publish`
sends the same readings over MQTT."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from data_sources.base import INCREMENTAL, PUSH, DataSource, PushBatch, Sink, StateSink
from data_sources.contracts import READINGS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.feeds.intake import IntakeLimits, Reading, SenmlFormat, SensorCatalog, decode_payload
from data_sources.validation import conform
from demo.live_feed import ParkFeed, Simulated
from store.engine import existing_only
from store.models import Sensor

log = logging.getLogger(__name__)

Catalog = SensorCatalog | Callable[[], SensorCatalog | None] | None
PACK_RECORDS = 500  # a pack of 500 records is ~30 KB, far below the intake's payload cap
_FORMAT = SenmlFormat()


class DemoFeedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1)  # the store holding the demo park's sensors (${store_url})
    seed: int = 20261124
    timezone: str = "Asia/Shanghai"
    tick_s: float = Field(default=5.0, gt=0, le=3600)
    catch_up_min: float = Field(default=60.0, ge=0, le=7 * 24 * 60)
    limits: IntakeLimits = IntakeLimits()
    recent_rows: int = Field(default=10_000, ge=1)


def senml_packs(readings: Iterable[Simulated], records: int = PACK_RECORDS) -> list[bytes]:
    """`readings` as SenML JSON packs of at most `records` records: full names are
    `<sensor id>:<quantity>`; base name and base time are written only when they change."""
    packs: list[bytes] = []
    pack: list[dict[str, Any]] = []
    base: tuple[str, float] | None = None
    for reading in readings:
        record: dict[str, Any] = {}
        name, stamp = f"{reading.sensor_id}:", reading.at.timestamp()
        if base is None or base[0] != name or not pack:
            record["bn"] = name
        if base is None or base[1] != stamp or not pack:
            record["bt"] = stamp
        base = (name, stamp)
        record.update(n=reading.quantity, u=reading.unit, v=reading.value)
        pack.append(record)
        if len(pack) >= records:
            packs.append(json.dumps(pack, separators=(",", ":")).encode())
            pack = []
    if pack:
        packs.append(json.dumps(pack, separators=(",", ":")).encode())
    return packs


def read_sensors(url: str, where: str) -> pd.DataFrame:
    """The store's sensors (id, kind, thresholds). Raises SourceUnavailable when it cannot be read."""
    engine = create_engine(existing_only(url, read_only=True))  # a missing file is not created
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Sensor.id, Sensor.kind, Sensor.thresholds)).all()
    except SQLAlchemyError as exc:
        raise SourceUnavailable(f"{where}: cannot read the sensors: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()
    return pd.DataFrame(rows, columns=["id", "kind", "thresholds"])


class DemoFeedSource(DataSource):
    """The simulated feed. Its thread calls the sink; open/close/fetch from any other thread."""

    kind = "demo_feed"
    contracts = frozenset({"readings"})
    capabilities = frozenset({PUSH, INCREMENTAL})
    Options = DemoFeedOptions
    options: DemoFeedOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (demo_feed)"
        try:
            self.zone = ZoneInfo(self.options.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SourceMisconfigured(
                f"{self._where}: timezone: unknown zone {self.options.timezone!r}"
            ) from None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.feed: ParkFeed | None = None
        self.last: datetime | None = None  # readings up to here were taken by the sink
        self._lock = threading.Lock()
        self._recent: deque[Reading] = deque(maxlen=self.options.recent_rows)
        self._sink: Sink | None = None
        self._on_state: StateSink | None = None
        self._catalog: Catalog = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refusing = False

    def listen(self, sink: Sink, on_state: StateSink, *, catalog: Catalog = None, **context: Any) -> None:
        """Deliver each pack's batch to `sink` (from the feed's thread) and state changes to
        `on_state`; `catalog` adds the sensor and unit checks, as for an MQTT source."""
        if context:
            raise SourceMisconfigured(f"{self._where}: listen() takes no {', '.join(sorted(context))}")
        self._sink, self._on_state, self._catalog = sink, on_state, catalog

    def open(self) -> None:
        """Read the park's sensors and start sending. Raises SourceUnavailable when the store
        cannot be read, SourceMisconfigured when it holds no IoT sensor to simulate."""
        with self._lock:
            if self._thread is not None:
                return
            feed = ParkFeed(
                read_sensors(self.options.url, self._where), seed=self.options.seed, zone=self.zone
            )
            if not feed.sites:
                raise SourceMisconfigured(f"{self._where}: the store holds no sensors to simulate")
            self.feed = feed
            self.last = self.clock() - timedelta(minutes=self.options.catch_up_min)
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"demo-feed-{self.name}", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop sending (waits for the current round). Never raises."""
        with self._lock:
            thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """The newest readings sent (after `since` when given). Raises SourceUnavailable when not
        open or when the store holding the park's sensors cannot be read."""
        if contract not in self.contracts:
            raise ContractError(f"{self._where} provides 'readings', not {contract!r}")
        if self._thread is None:
            raise SourceUnavailable(f"{self._where}: not opened")
        read_sensors(self.options.url, self._where)  # the park it simulates is still there
        with self._lock:
            rows = [r for r in self._recent if since is None or r.at > since]
        return conform(pd.DataFrame(rows, columns=list(Reading._fields)), READINGS)

    def _run(self) -> None:
        if self._on_state is not None:
            self._on_state(True, None)
        while True:
            try:
                self.send(self.clock())
            except Exception:  # a fault of ours must not end the feed; the next round retries
                log.exception("%s: a round failed", self._where)
            if self._stop.wait(self.options.tick_s):
                return

    def send(self, now: datetime) -> int:
        """Send the readings taken since the last round up to `now` (the thread's round; a test
        calls it with its own clock); the count of readings the sink took."""
        assert self.feed is not None and self.last is not None, "open() first"
        catalog = self._catalog() if callable(self._catalog) else self._catalog
        taken = 0
        start = self.last
        for payload in senml_packs(self.feed.readings(start, now)):
            intake = decode_payload(payload, _FORMAT, now, self.options.limits, catalog)
            batch = PushBatch(
                self.name,
                READINGS.name,
                intake.readings,
                intake.rejections(self.name),
                now,
                "demo",
                dict(intake.counts),
            )
            if self._sink is not None:
                try:
                    self._sink(batch)
                except Exception as exc:  # not taken: the whole round comes again next tick
                    self._refused(exc)
                    return taken
            with self._lock:
                self._recent.extend(intake.readings)
            taken += len(intake.readings)
        self.last = now
        if self._refusing:
            self._refusing = False
            if self._on_state is not None:
                self._on_state(True, None)
        return taken

    def _refused(self, exc: Exception) -> None:
        # packs before the refused one are sent again too: the store drops them as duplicates
        if not self._refusing:
            log.warning("%s: the sink refused a batch (%s); sending it again next round", self._where, exc)
            self._refusing = True
        if self._on_state is not None:
            self._on_state(False, f"the sink refused a batch: {exc}")
