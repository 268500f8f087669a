"""SqlStoreSource: the contracts read from OneScreen's own store (SQLite or PostgreSQL).

In the embedded profile this is where the demo park lives; in production it is the case store
shared by every worker. Rows come back with times as tz-aware UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select
from sqlalchemy.exc import (
    ArgumentError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from data_sources.base import INCREMENTAL, DataSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from store.engine import existing_only, make_engine
from store.models import CONTRACT_TABLES

# The column that `since` filters on, for contracts that can be read incrementally.
_TIME_COLUMN = {"cases": "reported_at", "case_events": "at", "readings": "at", "alerts": "raised_at"}


class SqlStoreOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    contracts: list[str] | None = None  # restrict what this source serves; default: every contract


class SqlStoreSource(DataSource):
    kind = "sql"
    contracts = frozenset(CONTRACT_TABLES)
    capabilities = frozenset({INCREMENTAL})
    Options = SqlStoreOptions
    options: SqlStoreOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        wanted = self.options.contracts
        if wanted is not None:
            unknown = sorted(set(wanted) - set(CONTRACT_TABLES))
            if unknown:
                raise SourceMisconfigured(f"source {name!r} (sql): contracts: unknown {', '.join(unknown)}")
            self.contracts = frozenset(wanted)
        self._engine: Engine | None = None

    def open(self) -> None:
        if self._engine is not None:
            return
        try:
            self._engine = make_engine(existing_only(self.options.url))
        except (ArgumentError, NoSuchModuleError) as exc:
            raise SourceMisconfigured(f"source {self.name!r} (sql): url: {exc}") from exc

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> Engine:
        self.open()
        assert self._engine is not None
        return self._engine

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        if contract not in self.contracts:
            raise ContractError(f"source {self.name!r} does not provide {contract!r}")
        table = CONTRACT_TABLES[contract]
        columns = [table.c[name] for name in CONTRACTS[contract].columns]
        query = select(*columns).order_by(table.c.pk)
        if since is not None and contract in _TIME_COLUMN:
            query = query.where(table.c[_TIME_COLUMN[contract]] > since)
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
        except (OperationalError, ProgrammingError) as exc:
            raise SourceUnavailable(f"source {self.name!r} (sql): {_first_line(exc)}") from exc
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"source {self.name!r} (sql): {_first_line(exc)}") from exc
        frame = pd.DataFrame.from_records(rows, columns=CONTRACTS[contract].columns)
        return frame


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
