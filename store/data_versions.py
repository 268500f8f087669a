"""Read the data versions the store's triggers raise on every write to a contract's table
(migration 0010, table data_versions): one small SELECT, about a millisecond, so a cache can
afford to ask on every read whether what it holds is still current.

A version is seen exactly with the rows it counts: the trigger raises it in the writing
transaction, so a reader sees the old rows with the old version or the new rows with the new.
Readings are not versioned (they arrive thousands a second); `versions` leaves them out and
`version_key` says so by their absence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, select, update

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


@contextmanager
def rewriting_tables(connection: Connection) -> Iterator[None]:
    """For a rewrite of whole tables in `connection`'s transaction (the demo park's seed, which
    deletes every row and writes millions): on SQLite the version triggers are dropped for the
    transaction and created again before it ends, and every contract's version is raised once.
    A row trigger costs SQLite its truncate optimisation (deleting the 300,000-case park's rows
    measured 1.8 times slower) and a call per row written. DDL is transactional in SQLite, so
    no other connection ever sees the store without its triggers, and a transaction rolled
    back restores them. Elsewhere (PostgreSQL's statement triggers cost one update per
    transaction) it does nothing."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # the first write opens the driver's transaction, so the DDL below runs inside it
    connection.execute(update(DataVersion).values(version=DataVersion.version + 1))
    driver = connection.connection.driver_connection
    if driver is None or not driver.in_transaction:
        raise RuntimeError("rewriting_tables needs a transaction (engine.begin or begin_write)")
    saved = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version_%'"
    ).all()
    for name, _sql in saved:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _name, sql in saved:
            connection.exec_driver_sql(sql)
