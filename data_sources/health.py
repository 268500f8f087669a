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
    rows_accepted: int = 0
    rows_rejected: int = 0

    def succeeded(self, at: datetime, accepted: int, rejected: int) -> SourceHealth:
        return replace(
            self,
            status="degraded" if rejected else "ok",
            last_attempt=at,
            last_success=at,
            consecutive_failures=0,
            rows_accepted=self.rows_accepted + accepted,
            rows_rejected=self.rows_rejected + rejected,
            last_error=self.last_error if rejected == 0 else f"{rejected} rows rejected in the last batch",
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
