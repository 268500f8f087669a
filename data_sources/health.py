"""A source's health as the screen shows it: ok / degraded / down, when it last worked, what
went wrong last, how many rows it delivered and rejected (with the reasons), and per contract
when it was last read and how new its newest row was (what freshness is judged on)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from data_sources.validation import Rejection

Status = Literal["ok", "degraded", "down", "unknown"]

# Keep this many recent rejections per source: enough to show a person what is wrong,
# bounded so a source that sends only garbage cannot grow memory or the table without end.
RECENT_REJECTIONS = 200


class Batch(NamedTuple):
    """One contract's part of a source's health: its latest batch and its failures since then.
    Times are ISO 8601 text in UTC, because health is kept as JSON in the store (a batch
    recorded before they existed reads with None)."""

    contract: str
    accepted: int  # rows in the latest batch
    rejected: int
    failures: int  # consecutive failed reads since the latest batch
    down: bool
    newest: str | None = None  # the newest row's time ever read (contracts with a time field)
    read_at: str | None = None  # the latest successful read

    @property
    def newest_at(self) -> datetime | None:
        return datetime.fromisoformat(self.newest) if self.newest else None

    @property
    def read_time(self) -> datetime | None:
        return datetime.fromisoformat(self.read_at) if self.read_at else None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's health, kept per contract so that one failing contract is not hidden by the
    others succeeding: the source is down while any contract is down, degraded while any
    contract failed or had rows rejected in its latest batch, ok otherwise.

    A contract is down after `down_after` consecutive failures, at once when it has never
    been read successfully (there is no good data to show), and at once when the failure is
    permanent (the source's configuration no longer fits what it finds)."""

    source: str
    adapter: str
    status: Status = "unknown"
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    batches: tuple[Batch, ...] = ()

    @property
    def rows_accepted(self) -> int:
        """Rows in the latest batch of each contract (not a running total: re-reading a table
        every 30 s must not grow it)."""
        return sum(b.accepted for b in self.batches)

    @property
    def rows_rejected(self) -> int:
        return sum(b.rejected for b in self.batches)

    def batch(self, contract: str) -> Batch | None:
        return next((b for b in self.batches if b.contract == contract), None)

    def _with(self, entry: Batch, **changes: object) -> SourceHealth:
        batches = tuple(
            sorted({b.contract: b for b in (*self.batches, entry)}.values(), key=lambda b: b.contract)
        )
        down = any(b.down for b in batches)
        troubled = any(b.rejected or b.failures for b in batches)
        status: Status = "down" if down else "degraded" if troubled else "ok"
        return replace(
            self,
            batches=batches,
            status=status,
            consecutive_failures=max((b.failures for b in batches), default=0),
            **changes,  # type: ignore[arg-type]
        )

    def succeeded(
        self, at: datetime, contract: str, accepted: int, rejected: int, newest: datetime | None = None
    ) -> SourceHealth:
        """A batch of `contract` was read, with `rejected` rows refused; `newest` is the time of
        its newest row (None: no time field, or no rows), kept when a later batch (an
        incremental read that found nothing new) has none newer."""
        error = f"{contract}: {rejected} rows rejected in the latest batch" if rejected else None
        others = [b for b in self.batches if b.contract != contract and (b.failures or b.rejected)]
        previous = self.batch(contract)
        known = previous.newest_at if previous else None
        if newest is None or (known is not None and known > newest):
            newest = known
        return self._with(
            Batch(contract, accepted, rejected, 0, False, _iso(newest), _iso(at)),
            last_attempt=at,
            last_success=at,
            last_error=error or (self.last_error if others else None),
        )

    def failed(
        self, at: datetime, contract: str, error: str, down_after: int, *, permanent: bool = False
    ) -> SourceHealth:
        """Reading `contract` failed with `error`; its last good batch figures are kept."""
        known = self.batch(contract)
        previous = known or Batch(contract, 0, 0, 0, False)
        failures = previous.failures + 1
        # never read (no batch yet) or already down: nothing good to fall back on
        down = permanent or known is None or previous.down or failures >= down_after
        return self._with(
            previous._replace(failures=failures, down=down),
            last_attempt=at,
            last_error=f"{contract}: {error}",
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


@dataclass
class HealthBook:
    """Health of every source in this process, with recent rejections.

    Thread-safe for the way it is used: each source's entry is replaced whole (no partial
    updates), and deques append atomically under the GIL. A store-backed book shares the
    same figures across workers (data_sources/sql_health.py)."""

    entries: dict[str, SourceHealth] = field(default_factory=dict)
    rejections: dict[str, deque[Rejection]] = field(default_factory=dict)

    def get(self, source: str) -> SourceHealth | None:
        return self.entries.get(source)

    def put(self, health: SourceHealth, rejections: list[Rejection] | None = None) -> None:
        self.entries[health.source] = health
        if rejections:
            self.rejections.setdefault(health.source, deque(maxlen=RECENT_REJECTIONS)).extend(rejections)

    def all(self) -> list[SourceHealth]:
        return [self.entries[name] for name in sorted(self.entries)]

    def recent_rejections(self, source: str) -> list[Rejection]:
        return list(self.rejections.get(source, ()))
