"""The adapter interface: one small base class, two things to implement (Flask's
SessionInterface is the model): parse your options, and `fetch` a contract as a frame.

Capabilities are flags, not more methods (STYLE.md: Superset's warning). An adapter:
- declares `kind` (its registry name), the `contracts` it can produce and its `capabilities`;
- validates its options in `__init__` through an `Options` pydantic model (unknown or bad keys
  raise SourceMisconfigured naming the key);
- connects in `open()`, never at import or construction, and releases in `close()`;
- converts its driver's exceptions into data_sources.errors at its boundary.

Adapters are not required to be thread-safe; the monitor serialises calls to one source.

A PUSH source also delivers rows as they arrive. It has one more method, `listen(sink, on_state,
**context)` (the `PushSource` protocol below), called before `open()`: from then on it calls
`sink(PushBatch)` from its own thread for each message, and `on_state(up, reason)` when its
connection comes up or goes down. A sink that raises has not taken the batch: the source keeps it
unacknowledged so that it is delivered again. The monitor's `listen` wraps both to keep health.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from data_sources.contracts import CONTRACTS
from data_sources.errors import SourceMisconfigured
from data_sources.validation import Rejection, conform

# Capability flags an adapter may declare.
INCREMENTAL = "incremental"  # fetch(since=...) returns only rows newer than `since`
PUSH = "push"  # the source also delivers rows as they arrive (live/ subscribes to it)
# Rows were checked against their contract when they entered the source (OneScreen's own
# store): the monitor only conforms columns and types instead of checking every row again.
VALIDATED = "validated"
# read_page(after, limit) reads pages after a cursor (a foreign case table, sql_cases): it is
# synced into the store by services/case_sync.py rather than read by panels.
KEYSET = "keyset"


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(ABC):
    """A configured source of one or more contracts."""

    kind: ClassVar[str]
    contracts: frozenset[str]  # a class default; an instance may narrow it from its options
    capabilities: frozenset[str] = frozenset()  # a class default; an instance may narrow it
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        """Check the options; raise SourceMisconfigured naming the bad key. Does no I/O."""
        self.name = name
        self.base_dir = base_dir
        try:
            self.options = self.Options.model_validate(dict(options or {}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(options)'}: {err['msg']}" for err in exc.errors()
            )
            raise SourceMisconfigured(f"source {name!r} ({self.kind}): {problems}") from exc

    def open(self) -> None:  # noqa: B027 - optional hook; most file sources need nothing
        """Connect. Raise SourceUnavailable if the source cannot be reached now."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections. Never raises."""

    @abstractmethod
    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """Return the contract's rows as a frame (unvalidated: the monitor validates).

        With `since` and the INCREMENTAL capability, only rows newer than `since`.
        Raises SourceUnavailable (transient) or SourceMisconfigured (permanent)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


@dataclass(frozen=True, slots=True)
class PushBatch:
    """What a PUSH source received in one message: rows of `contract` that passed its intake
    checks (named tuples whose fields are the contract's columns), the records it refused, and
    how many it refused for each reason (the reason without its detail, for counting)."""

    source: str
    contract: str
    rows: Sequence[tuple[Any, ...]]
    rejections: Sequence[Rejection]
    received_at: datetime
    origin: str  # where in the source it came from (an MQTT topic)
    counts: Mapping[str, int] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """The rows as a contract frame (columns in order, their kinds' dtypes)."""
        rows = pd.DataFrame(list(self.rows), columns=CONTRACTS[self.contract].columns)
        return conform(rows, CONTRACTS[self.contract])


Sink = Callable[[PushBatch], None]
StateSink = Callable[[bool, str | None], None]  # (connected, why not)


class PushSource(Protocol):
    def listen(self, sink: Sink, on_state: StateSink, **context: Any) -> None:
        """Deliver batches to `sink` and connection changes to `on_state` once opened."""
