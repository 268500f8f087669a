"""SqlStoreSource: the contracts read from OneScreen's own store (SQLite or PostgreSQL), or,
with the `tables` option, from another system's own tables through a column mapping
(sql_tables.py: an enterprise register, a statistics database).

In the embedded profile this is where the demo park lives; in production it is the case store
shared by every worker. Rows come back with times as tz-aware UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import Connection, DateTime, Engine, Select, String, Table, select, type_coerce
from sqlalchemy.exc import (
    ArgumentError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.sql import FromClause

from data_sources.adapters.sql_tables import (
    ForeignTable,
    Pairs,
    check_tables,
    read_only_engine,
    read_table,
    reflect,
)
from data_sources.base import INCREMENTAL, VALIDATED, DataSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from store.engine import existing_only, make_engine
from store.models import CONTRACT_TABLES
from store.types import SQLITE_TIME_FORMAT, UtcDateTime

# The column that `since` filters on, for contracts that can be read incrementally.
_TIME_COLUMN = {"cases": "reported_at", "case_events": "at", "readings": "at", "alerts": "raised_at"}


class SqlStoreOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    contracts: list[str] | None = None  # restrict what this source serves; default: every contract
    # OneScreen's own store holds only rows that were checked on the way in; a database that
    # other systems write is not, so its rows are checked on every read.
    validated: bool = True
    # another system's tables, contract → {table, columns: {its column: field}}: the source then
    # serves exactly these contracts, read-only, and checks every read (validated is ignored)
    tables: dict[str, ForeignTable] | None = None

    @field_validator("tables")
    @classmethod
    def _check_tables(cls, value: dict[str, ForeignTable] | None) -> dict[str, ForeignTable] | None:
        return check_tables(value)


class SqlStoreSource(DataSource):
    kind = "sql"
    contracts = frozenset(CONTRACT_TABLES)
    capabilities = frozenset({INCREMENTAL, VALIDATED})
    Options = SqlStoreOptions
    options: SqlStoreOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (sql)"
        self._foreign: dict[str, tuple[Table, Pairs]] = {}
        if self.options.tables is not None:
            if self.options.contracts is not None:
                raise SourceMisconfigured(f"{self._where}: contracts: not with tables, which names them")
            self.contracts = frozenset(self.options.tables)
            self.capabilities = frozenset()  # other systems write these rows: check every read
        wanted = self.options.contracts
        if wanted is not None:
            unknown = sorted(set(wanted) - set(CONTRACT_TABLES))
            if unknown:
                raise SourceMisconfigured(f"source {name!r} (sql): contracts: unknown {', '.join(unknown)}")
            self.contracts = frozenset(wanted)
        if not self.options.validated:
            self.capabilities = frozenset({INCREMENTAL})
        self._engine: Engine | None = None

    def open(self) -> None:
        if self._engine is not None:
            return
        if self.options.tables is not None:
            self._open_foreign(self.options.tables)
            return
        try:
            self._engine = make_engine(existing_only(self.options.url))
        except (ArgumentError, NoSuchModuleError) as exc:
            raise SourceMisconfigured(f"source {self.name!r} (sql): url: {exc}") from exc

    def _open_foreign(self, tables: dict[str, ForeignTable]) -> None:
        """Connect read-only and find each contract's table and columns."""
        engine = read_only_engine(self.options.url, self._where)
        try:
            with engine.connect() as connection:
                self._foreign = {c: reflect(connection, c, spec, self._where) for c, spec in tables.items()}
        except SourceMisconfigured:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise SourceUnavailable(f"{self._where}: {_first_line(exc)}") from exc
        self._engine = engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._foreign = {}

    @property
    def engine(self) -> Engine:
        self.open()
        assert self._engine is not None
        return self._engine

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        if contract not in self.contracts:
            raise ContractError(f"source {self.name!r} does not provide {contract!r}")
        if self.options.tables is not None:
            self.open()
            foreign, pairs = self._foreign[contract]
            return read_table(self.engine, contract, foreign, pairs, self._where)
        table = CONTRACT_TABLES[contract]
        names = CONTRACTS[contract].columns
        try:
            with self.engine.connect() as connection:
                rows = _raw_rows(connection, _query(table, names, connection.dialect.name, contract, since))
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"source {self.name!r} (sql): {_first_line(exc)}") from exc
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise SourceUnavailable(f"source {self.name!r} (sql): {_first_line(exc)}") from exc
        # Column-wise construction: DataFrame.from_records on row objects took 1 s per 300k rows.
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        frame = pd.DataFrame(
            {name: pd.Series(values, dtype=object) for name, values in zip(names, by_column, strict=True)}
        )
        for name in names:
            if isinstance(table.c[name].type, UtcDateTime):
                # SQLite holds naive UTC text (store/types.py); PostgreSQL returns aware datetimes.
                frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        return frame


def _query(
    table: FromClause, names: list[str], dialect: str, contract: str, since: datetime | None
) -> Select:
    # Times are selected raw and parsed by pandas in one vectorised pass (SQLite keeps them as
    # text, see store/types.py); the per-value TypeDecorator made 300,000 readings take seconds.
    raw_time = String() if dialect == "sqlite" else DateTime(timezone=True)
    columns = [
        type_coerce(table.c[n], raw_time) if isinstance(table.c[n].type, UtcDateTime) else table.c[n]
        for n in names
    ]
    query = select(*columns).order_by(table.c.pk)
    if since is not None and contract in _TIME_COLUMN:
        since = since.astimezone(UTC)
        bound = since.replace(tzinfo=None).strftime(SQLITE_TIME_FORMAT) if dialect == "sqlite" else since
        query = query.where(type_coerce(table.c[_TIME_COLUMN[contract]], raw_time) > bound)
    return query


def _raw_rows(connection: Connection, query: Select) -> list[tuple]:
    """Run `query` on the driver's own cursor: plain tuples, no per-row processing, three
    times faster than SQLAlchemy's result rows for the large reads panels make."""
    compiled = query.compile(dialect=connection.dialect)
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    cursor = driver.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
