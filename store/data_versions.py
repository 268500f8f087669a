"""Read the data versions the store's triggers raise on every write to a contract's table
(migration 0010, table data_versions): one small SELECT, about a millisecond, so a cache can
afford to ask on every read whether what it holds is still current.

A version is seen exactly with the rows it counts: the trigger raises it in the writing
transaction, so a reader sees the old rows with the old version or the new rows with the new.
Readings are not versioned (they arrive thousands a second); `versions` leaves them out and
`version_key` says so by their absence."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, select

from store.models import DataVersion

# The contracts whose tables carry the triggers (migration 0010 seeds one row each).
VERSIONED = frozenset(
    {"cases", "case_events", "alerts", "enterprises", "enterprise_figures", "sensors", "features", "chains"}
)


def versions(bind: Connection | Engine, contracts: Iterable[str] | None = None) -> dict[str, int]:
    """Every versioned contract's version (or only `contracts`' that are versioned), by name."""
    statement = select(DataVersion.contract, DataVersion.version)
    if contracts is not None:
        wanted = sorted(VERSIONED.intersection(contracts))
        if not wanted:
            return {}
        statement = statement.where(DataVersion.contract.in_(wanted))
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            rows = connection.execute(statement).all()
    else:
        rows = bind.execute(statement).all()
    return {contract: int(version) for contract, version in rows}


def render_key(current: dict[str, int]) -> str:
    """A compact, ordered text of `current` for a cache key: "alerts:44,cases:812"."""
    return ",".join(f"{contract}:{current[contract]}" for contract in sorted(current))


def version_key(bind: Connection | Engine, contracts: Iterable[str]) -> str:
    """The versions of `contracts` as a cache key's part (see render_key); contracts that are
    not versioned (readings, or a name that is no contract) do not appear in it."""
    return render_key(versions(bind, contracts))
