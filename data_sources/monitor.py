"""The one place where a failed fetch becomes "down" (Home Assistant's coordinator is the model).

A SourceMonitor wraps one configured source: it opens it, fetches and validates a contract,
keeps the last good frame with the time it was fetched, records health, and logs one line when
the source goes down or degrades and one when it recovers — never a traceback per poll."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd

from data_sources.base import INCREMENTAL, PUSH, VALIDATED, DataSource, PushBatch, PushSource, Sink
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceError, SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook, SourceHealth
from data_sources.reference_checks import CHECKED, REFERS_TO, Reference, check_references
from data_sources.validation import Rejection, ValidationResult, conform, validate

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# The current rows of a contract that another refers to (an enterprise's chain link): given by
# whoever knows every source (services/sources.SourceManager.reference)
ReferenceLookup = Callable[[str], Reference]

# The hook through which an adapter reports the records it could not even parse into a row (a
# CSV line with the wrong number of fields, a feature that is not GeoJSON): it returns the good
# rows with `frame.attrs[PARSE_REJECTIONS] = [Rejection, ...]`, each `row` numbered as the frame's
# index numbers the good rows (see validation.Rejection). The monitor takes them off the frame
# (so return a fresh frame per fetch) and records them with the validator's rejections, so health
# counts and shows both.
PARSE_REJECTIONS = "onescreen_rejections"

# The time field whose newest value says how new a contract's data is; the monitor records it
# per read in the source's health, so freshness is judged without reading the rows again.
TIME_FIELD = {"cases": "reported_at", "case_events": "at", "readings": "at", "alerts": "raised_at"}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a panel gets: the frame, when it was fetched, and whether it is stale (the last
    good data, served because the latest fetch failed)."""

    frame: pd.DataFrame
    fetched_at: datetime | None
    stale: bool
    health: SourceHealth


class SourceMonitor:
    """Fetch through one source with health keeping. Calls to one monitor are serialised."""

    def __init__(
        self,
        source: DataSource,
        book: HealthBook,
        *,
        clock: Clock = utc_now,
        down_after: int = 3,
        references: ReferenceLookup | None = None,
    ):
        self.source = source
        self.book = book
        # without a lookup, rows that name another contract's rows cannot be checked and are
        # rejected (reference_checks fails closed)
        self.references = references
        self.clock = clock
        self.down_after = down_after
        self._lock = threading.Lock()
        self._opened = False
        # the last good frame of each contract, whole (True) and windowed (False)
        self._last_good: dict[tuple[str, bool], tuple[pd.DataFrame, datetime]] = {}
        # a PUSH source's running totals since listen(): records refused by reason
        self.rejected_by_reason: Counter[str] = Counter()
        self._push_lock = threading.Lock()
        self._book_failing = False  # the last push record could not be kept (logged once)
        if book.get(source.name) is None:
            book.put(SourceHealth(source=source.name, adapter=source.kind))

    @property
    def health(self) -> SourceHealth:
        health = self.book.get(self.source.name)
        assert health is not None  # put in __init__
        return health

    def read(self, contract: str, since: datetime | None = None) -> Snapshot:
        """Fetch and validate `contract` (only rows newer than `since` when the source is
        INCREMENTAL; others return everything and the caller filters). Never raises for an
        unavailable source: it returns the last good frame marked stale (or an empty frame).
        A source whose configuration no longer fits what it finds (SourceMisconfigured at read
        time: a file re-exported in another encoding) is marked down with that error, not
        raised: no retry fixes it, and the screen must say so rather than break. Raises
        ContractError when asked for a contract the source does not declare (a programming
        error)."""
        if contract not in self.source.contracts:
            raise ContractError(f"source {self.source.name!r} does not provide {contract!r}")
        checked = contract in CHECKED and VALIDATED not in self.source.capabilities
        # looked up before taking the lock: one source may serve both the rows and what they name
        references = self._references(contract) if checked else {}
        with self._lock:
            now = self.clock()
            incremental = since is not None and INCREMENTAL in self.source.capabilities
            raw = self._fetch((contract, since is None), since if incremental else None, now)
            if isinstance(raw, Snapshot):
                return raw
            unparsed = list(raw.attrs.pop(PARSE_REJECTIONS, ()))
            if VALIDATED in self.source.capabilities:
                result = ValidationResult(conform(raw, CONTRACTS[contract]), [])
            else:
                result = validate(raw, CONTRACTS[contract], self.source.name)
                if checked:
                    result = check_references(result, contract, self.source.name, references, now.date())
            rejections = unparsed + result.rejections
            before = self.health
            after = before.succeeded(
                now,
                contract,
                accepted=len(result.good),
                rejected=len({r.row for r in rejections}),
                newest=newest_time(result.good, TIME_FIELD.get(contract)),
            )
            self.book.put(after, rejections)
            self._log_change(before, after)
            self._last_good[(contract, since is None)] = (result.good, now)
            return Snapshot(result.good, now, stale=False, health=after)

    def current(self, contract: str) -> Snapshot:
        """The last good whole read of `contract`, or a read now when there is none: what rows
        of other contracts are checked against (a few minutes old at most while panels read it)."""
        last = self._last_good.get((contract, True))
        if last is not None:
            return Snapshot(last[0], last[1], stale=False, health=self.health)
        return self.read(contract)

    def _references(self, contract: str) -> dict[str, Reference]:
        if self.references is not None:
            return {name: self.references(name) for name in REFERS_TO[contract]}
        # on its own (no manager to ask), a monitor checks against its own source's rows when
        # that source serves what the contract names, rather than refuse every row naming one
        return {
            name: Reference(self.current(name).frame)
            for name in REFERS_TO[contract]
            if name in self.source.contracts
        }

    def fetch_unchecked(self, contract: str, since: datetime | None = None) -> pd.DataFrame | None:
        """Fetch `contract` for a caller that checks and imports the rows itself (an Open311
        source polled into the store), passing `since` to the source (which decides whether it
        can ask for less). A failure counts in the health as read()'s do, with one log line per
        change of state, and gives None. Tell the health what the import made of the rows with
        `record_import`."""
        with self._lock:
            raw = self._fetch((contract, True), since, self.clock())
            return None if isinstance(raw, Snapshot) else raw

    def record_import(
        self, contract: str, accepted: int, rejections: list[Rejection], newest: datetime | None
    ) -> None:
        """A batch fetched by fetch_unchecked was imported: `accepted` rows taken, `rejections`
        refused (one or more per row), `newest` the newest row's time."""
        with self._lock:
            before = self.health
            rejected = len({r.row for r in rejections})
            after = before.succeeded(self.clock(), contract, accepted, rejected, newest=newest)
            self.book.put(after, rejections)
            self._log_change(before, after)

    def listen(self, sink: Sink, **context: Any) -> None:
        """Subscribe `sink` to a PUSH source's batches, keep its health from them and from its
        connection (degraded when the connection drops, down after `down_after` failed attempts
        in a row, one log line per change as read() does), then open it. `context` goes to the
        source's listen (a readings feed takes `catalog`). A batch counts in health only once
        `sink` took it; a sink that raises leaves it with the source to be delivered again.

        A PUSH source is either listened to or read, not both (read() closes a source whose
        fetch fails). Raises ContractError for a source without PUSH, and what open() raises."""
        if PUSH not in self.source.capabilities:
            raise ContractError(f"source {self.source.name!r} does not push rows")
        contract = min(self.source.contracts)

        def on_batch(batch: PushBatch) -> None:
            sink(batch)
            self._pushed(batch)

        def on_state(up: bool, reason: str | None) -> None:
            with self._push_lock:
                self._recording_push(lambda: record_state(up, reason))

        def record_state(up: bool, reason: str | None) -> None:
            before, now = self.health, self.clock()
            if up:
                known = before.batch(contract)
                after = before.succeeded(now, contract, known.accepted if known else 0, 0)
            else:
                after = before.failed(now, contract, reason or "disconnected", self.down_after)
            self.book.put(after)
            self._log_change(before, after)

        cast(PushSource, self.source).listen(on_batch, on_state, **context)
        with self._lock:
            if not self._opened:
                self.source.open()
                self._opened = True

    def _pushed(self, batch: PushBatch) -> None:
        time_field = TIME_FIELD.get(batch.contract)
        columns = CONTRACTS[batch.contract].columns
        at = columns.index(time_field) if time_field in columns else None
        newest = max((row[at] for row in batch.rows), default=None) if at is not None else None

        def record() -> None:
            after = self.health.succeeded(
                batch.received_at,
                batch.contract,
                accepted=len(batch.rows),
                rejected=len({r.row for r in batch.rejections}),
                newest=newest,
            )
            # not logged: a feed that mixes in a bad message every few seconds would log every
            # few seconds; its rejections are counted and shown on the Sources page instead
            self.book.put(after, list(batch.rejections))

        with self._push_lock:
            self.rejected_by_reason.update(batch.counts)
            self._recording_push(record)

    def _recording_push(self, record: Callable[[], None]) -> None:
        """Record a push source's health (a batch its sink took, its connection's state). A
        book that cannot be read or written (its store is down) loses that record, not the
        feed: the source's own thread calls this (paho's network thread for MQTT), and an
        exception would end it, or refuse a batch the sink already stored. One log line per
        streak. Called holding the push lock."""
        try:
            record()
        except Exception as exc:
            if not self._book_failing:
                self._book_failing = True
                log.warning(
                    "source %r: its health could not be recorded (%s); the feed goes on",
                    self.source.name,
                    exc,
                )
            return
        if self._book_failing:
            self._book_failing = False
            log.info("source %r: its health is recorded again", self.source.name)

    def _fetch(self, key: tuple[str, bool], since: datetime | None, now: datetime) -> pd.DataFrame | Snapshot:
        """The source's rows of contract key[0], or (it failed) the stale snapshot of `key`.
        Called holding the lock."""
        try:
            if not self._opened:
                self.source.open()
                self._opened = True
            return self.source.fetch(key[0], since) if since is not None else self.source.fetch(key[0])
        except SourceMisconfigured as exc:
            return self._failed(key, now, str(exc), permanent=True)
        except SourceUnavailable as exc:
            self._opened = False  # reconnect next time
            self.source.close()
            return self._failed(key, now, str(exc))
        except SourceError as exc:
            return self._failed(key, now, str(exc))

    def _failed(
        self, key: tuple[str, bool], now: datetime, error: str, *, permanent: bool = False
    ) -> Snapshot:
        before = self.health
        after = before.failed(now, key[0], error, self.down_after, permanent=permanent)
        self.book.put(after)
        self._log_change(before, after)
        frame, fetched_at = self._last_good.get(key, (empty_frame(key[0]), None))
        return Snapshot(frame, fetched_at, stale=True, health=after)

    def _log_change(self, before: SourceHealth, after: SourceHealth) -> None:
        if before.status == after.status:
            return
        if after.status == "down":
            log.warning("source %s is down: %s", after.source, after.last_error)
        elif after.status == "degraded":
            log.warning("source %s is degraded: %s", after.source, after.last_error)
        elif before.status in ("down", "degraded"):
            log.info("source %s is back (ok)", after.source)

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self.source.close()
                self._opened = False


def newest_time(frame: pd.DataFrame, column: str | None) -> datetime | None:
    """The latest time in `frame[column]` (an aware datetime column), None when there is none."""
    if column is None or frame.empty or column not in frame:
        return None
    value = pd.to_datetime(frame[column], utc=True).max()
    return None if pd.isna(value) else value.to_pydatetime()


def empty_frame(contract: str) -> pd.DataFrame:
    """No rows, but the contract's columns with their kinds' dtypes (so `.dt` works)."""
    return conform(pd.DataFrame(), CONTRACTS[contract])
