"""A source's health as the screen shows it: ok / degraded / down, when it last worked, what
went wrong last, and how many rows it delivered and rejected (with the reasons)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from data_sources.validation import Rejection

Status = Literal["ok", "degraded", "down", "unknown"]

# Keep this many recent rejections per source: enough to show a person what is wrong,
# bounded so a source that sends only garbage cannot grow memory or the table without end.
RECENT_REJECTIONS = 200


@dataclass(frozen=True, slots=True)
class SourceHealth:
    source: str
    adapter: str
    status: Status = "unknown"
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    # The latest batch of each contract read: (contract, rows accepted, rows rejected). Figures
    # of the latest batches, not running totals: re-reading a table every 30 s must not grow them.
    batches: tuple[tuple[str, int, int], ...] = ()

    @property
    def rows_accepted(self) -> int:
        return sum(accepted for _, accepted, _ in self.batches)

    @property
    def rows_rejected(self) -> int:
        return sum(rejected for _, _, rejected in self.batches)

    def succeeded(self, at: datetime, contract: str, accepted: int, rejected: int) -> SourceHealth:
        """A batch of `contract` was read: degraded while any contract's latest batch had
        rejected rows, ok otherwise."""
        batches = tuple(sorted({b[0]: b for b in (*self.batches, (contract, accepted, rejected))}.values()))
        rejecting = [(c, r) for c, _, r in batches if r]
        return replace(
            self,
            status="degraded" if rejecting else "ok",
            last_attempt=at,
            last_success=at,
            consecutive_failures=0,
            batches=batches,
            last_error="; ".join(f"{c}: {r} rows rejected in the latest batch" for c, r in rejecting) or None,
        )

    def failed(self, at: datetime, error: str, down_after: int) -> SourceHealth:
        failures = self.consecutive_failures + 1
        down = failures >= down_after or self.last_success is None
        return replace(
            self,
            status="down" if down else "degraded",
            last_attempt=at,
            last_error=error,
            consecutive_failures=failures,
        )


@dataclass
class HealthBook:
    """Health of every source in this process, with recent rejections.

    Thread-safe for the way it is used: each source's entry is replaced whole (no partial
    updates), and deques append atomically under the GIL. A store-backed book shares the
    same figures across workers (store/health.py)."""

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
