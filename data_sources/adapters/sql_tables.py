"""Contracts read from another system's own tables (an enterprise register, a statistics
bureau's yearly figures) through a column mapping: the `tables` option of the `sql` source.

Each contract names its table ("schema.table" or "table") and maps the table's columns to the
contract's fields (`columns: {qiye_bh: id}`); a field that is not mapped is read from a column
of its own name when the table has one. The database is opened read-only as sql_cases opens it
(SQLite with mode=ro, PostgreSQL in read-only transactions), and its rows are checked on every
read (they were not checked on the way in). Rows come in the order of the contract's key, and
are numbered from 1 in that order, so a rejection names the row and its key.

Times must carry their offset (a naive time is rejected by the validator): the contracts this
is for (enterprises, their figures, chains, features) hold dates and numbers, not times."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from data_sources.contracts import CONTRACTS
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from store.engine import existing_only, make_engine


class ForeignTable(BaseModel):
    """Where one contract's rows are in the foreign database."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str
    columns: dict[str, str] = {}  # the table's column → the contract's field


def check_tables(value: dict[str, ForeignTable] | None) -> dict[str, ForeignTable] | None:
    """The `tables` option's own checks (a pydantic validator of the sql source's options):
    known contracts, mapped fields that exist, no field mapped twice. Cases are not read this
    way: the store is their only source and a vendor's case table is synced into it (sql_cases)."""
    for contract, spec in (value or {}).items():
        if contract == "cases":
            raise ValueError("cases: a foreign case table is synced into the store with adapter sql_cases")
        if contract not in CONTRACTS:
            raise ValueError(f"{contract}: unknown contract; known: {', '.join(CONTRACTS)}")
        fields = CONTRACTS[contract].columns
        for column, field in spec.columns.items():
            if field not in fields:
                raise ValueError(
                    f"{contract}.columns.{column}: {field!r} is not a field of {contract} "
                    f"(fields: {', '.join(fields)})"
                )
        targets = list(spec.columns.values())
        twice = sorted({f for f in targets if targets.count(f) > 1})
        if twice:
            raise ValueError(f"{contract}.columns: {twice[0]!r} is mapped from more than one column")
    return value


def read_only_engine(url: str, where: str) -> Engine:
    """An engine that reads the foreign database and never writes to it."""
    try:
        if make_url(url).get_backend_name() == "sqlite":
            # not make_engine: its WAL switch writes, and this file is someone else's
            engine = create_engine(existing_only(url, read_only=True), poolclass=NullPool)
        else:
            engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise SourceMisconfigured(f"{where}: url: {exc}") from exc
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(postgresql_readonly=True)
    return engine


Pairs = list[tuple[str, str]]  # (the table's column, the contract's field)


def reflect(connection: Connection, contract: str, spec: ForeignTable, where: str) -> tuple[Table, Pairs]:
    """The contract's table and the (column, field) pairs to read from it; SourceMisconfigured when
    the table is not there, a mapped column is not in it, or a required field has no column."""
    schema, _, name = spec.table.rpartition(".")
    try:
        table = Table(name, MetaData(schema=schema or None), autoload_with=connection)
    except NoSuchTableError:
        raise SourceMisconfigured(
            f"{where}: tables.{contract}.table: there is no table {spec.table!r}"
        ) from None
    have = list(table.c.keys())
    for column in spec.columns:
        if column not in have:
            raise SourceMisconfigured(
                f"{where}: tables.{contract}.columns.{column}: the table has no column {column!r} "
                f"(it has {', '.join(have)})"
            )
    mapped = set(spec.columns.values())
    pairs = list(spec.columns.items())
    pairs += [(f, f) for f in CONTRACTS[contract].columns if f not in mapped and f in have]
    absent = [
        f.name for f in CONTRACTS[contract].fields if f.required and f.name not in {p[1] for p in pairs}
    ]
    if absent:
        raise SourceMisconfigured(
            f"{where}: tables.{contract}: no column gives the required fields {', '.join(absent)} "
            f"(the table has {', '.join(have)}); map them with columns"
        )
    return table, pairs


def read_table(engine: Engine, contract: str, table: Table, pairs: Pairs, where: str) -> pd.DataFrame:
    """Every row of the contract's table as the contract's fields (unchecked), in key order,
    indexed from 1. Raises SourceUnavailable when the database fails."""
    by_field = {field: table.c[column] for column, field in pairs}
    order = [by_field[k] for k in CONTRACTS[contract].key if k in by_field]
    query = select(*[table.c[column].label(field) for column, field in pairs]).order_by(*order)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise SourceUnavailable(f"{where}: {_first_line(exc)}") from exc
    fields = [field for _, field in pairs]
    frame = pd.DataFrame(
        {f: pd.Series([_plain(row[i]) for row in rows], dtype=object) for i, f in enumerate(fields)}
    )
    return frame.set_axis(pd.RangeIndex(1, len(rows) + 1))


def _plain(value: Any) -> Any:
    """NUMERIC columns come as Decimal, which a rejection would show as Decimal('-10.00'); the
    contracts hold them as floats anyway."""
    return float(value) if isinstance(value, Decimal) else value


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
