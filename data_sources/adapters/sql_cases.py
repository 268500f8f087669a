"""SqlCaseSource: a foreign vendor's case table (a grid system's, a hotline platform's), read
through a case mapping (data_sources/case_mapping.py) over any SQLAlchemy URL, read-only, to be
synced into OneScreen's store (services/case_sync.py), never served to panels directly.

Incremental by the foreign table's update time: pages are read in (updated, key) order after a
cursor holding the last row's pair (keyset pagination), so rows updated at the very instant of
the cursor are neither lost nor read twice, however many there are. Rows whose update time is
NULL are never read (the vendor's table must stamp its rows). The session is read-only on
PostgreSQL (SET TRANSACTION READ ONLY through psycopg's read-only flag) and SQLite files are
opened with mode=ro; a URL naming another database relies on its user's grants.

Options (sources.yaml): url, table ("schema.table" or "table"), updated_column, key_column,
mapping (a mapping file relative to the configuration's root, or the mapping inline),
batch_rows, and sync_interval_s (the app syncs it in the background that often; without it
only `flask --app app cases sync NAME` does)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Engine, MetaData, String, Table, and_, create_engine, or_, select, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from data_sources.adapters import resolve_path
from data_sources.base import KEYSET, DataSource
from data_sources.case_mapping import CaseMapping, load_mapping, map_cases, parse_mapping
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import Rejection
from store.engine import existing_only, make_engine


class SqlCaseOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    table: str
    updated_column: str
    key_column: str
    mapping: str | dict[str, Any]
    batch_rows: int = Field(5_000, gt=0)
    sync_interval_s: float | None = Field(None, gt=0)


@dataclass
class Page:
    """One page of foreign rows: those that mapped (index 0..n-1 in the page's order, each named
    in `positions` by the table's key, e.g. "gd_anjian anjian_bh=1001"), those that did not as
    (position, rejection), how many rows were read, and the cursor after the page's last row
    (the one it was asked for when the page is empty)."""

    frame: pd.DataFrame
    positions: list[str]
    rejected: list[tuple[str, Rejection]] = field(default_factory=list)
    rows: int = 0
    cursor: str | None = None


class SqlCaseSource(DataSource):
    """A foreign case table through a mapping. Connects in open(); not thread-safe."""

    kind = "sql_cases"
    contracts = frozenset({"cases"})
    capabilities = frozenset({KEYSET})
    Options = SqlCaseOptions
    options: SqlCaseOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (sql_cases)"
        spec = self.options.mapping
        if isinstance(spec, str):
            self.mapping = load_mapping(resolve_path(spec, base_dir), CaseMapping)
        else:
            self.mapping = parse_mapping(spec, CaseMapping, f"{self._where}: mapping")
        self._engine: Engine | None = None
        self._table: Table | None = None

    def open(self) -> None:
        """Connect and read the table's columns; SourceUnavailable when the database cannot be
        reached, SourceMisconfigured when the URL, the table or a column named is wrong."""
        if self._table is not None:
            return
        try:
            url = make_url(self.options.url)
            if url.get_backend_name() == "sqlite":
                # not make_engine: its WAL switch writes, and this file is someone else's
                engine = create_engine(existing_only(self.options.url, read_only=True), poolclass=NullPool)
            else:
                engine = make_engine(self.options.url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise SourceMisconfigured(f"{self._where}: url: {exc}") from exc
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(postgresql_readonly=True)
        schema, _, name = self.options.table.rpartition(".")
        try:
            with engine.connect() as connection:
                table = Table(name, MetaData(schema=schema or None), autoload_with=connection)
        except NoSuchTableError:
            engine.dispose()
            raise SourceMisconfigured(
                f"{self._where}: table: there is no table {self.options.table!r}"
            ) from None
        except SQLAlchemyError as exc:
            engine.dispose()
            raise SourceUnavailable(f"{self._where}: {_first_line(exc)}") from exc
        wanted = [(c, k) for c, k in self.mapping.needed_columns]
        wanted += [(self.options.updated_column, "updated_column"), (self.options.key_column, "key_column")]
        for column, key in wanted:
            if column not in table.c:
                have = ", ".join(table.c.keys())
                engine.dispose()
                raise SourceMisconfigured(
                    f"{self._where}: {key}: the table has no column {column!r} (it has {have})"
                )
        self._engine, self._table = engine, table

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._table = None

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """Every row of the table as cases (page after page); parse rejections on the frame."""
        if contract not in self.contracts:
            raise ContractError(f"{self._where} provides 'cases', not {contract!r}")
        frames: list[pd.DataFrame] = []
        rejections: list[Rejection] = []
        cursor, offset = None, 0
        while (page := self.read_page(cursor)).rows:
            frames.append(page.frame.set_axis(range(offset, offset + len(page.frame))))
            offset += len(page.frame)
            rejections += [r for _, r in page.rejected]
            cursor = page.cursor
        frame = pd.concat(frames) if frames else pd.DataFrame()
        frame.attrs[PARSE_REJECTIONS] = rejections
        return frame

    def read_page(self, after: str | None, limit: int | None = None) -> Page:
        """The next `limit` (default batch_rows) rows after the cursor `after` (None: from the
        first), mapped. Raises SourceUnavailable when the database fails, SourceMisconfigured
        for a cursor this table cannot have written."""
        self.open()
        assert self._engine is not None and self._table is not None
        table, limit = self._table, limit or self.options.batch_rows
        updated, key = table.c[self.options.updated_column], table.c[self.options.key_column]
        names = list(dict.fromkeys([c for c, _ in self.mapping.needed_columns] + [updated.name, key.name]))
        # SQLite keeps times as text in the form the vendor wrote: compare that text as stored
        # (a bound datetime takes SQLAlchemy's form, "09:01:00.000000", which sorts apart)
        as_text = self._engine.dialect.name == "sqlite"
        stamp = type_coerce(updated, String()) if as_text else updated
        columns = [stamp.label(n) if n == updated.name else table.c[n] for n in names]
        query = select(*columns).where(updated.isnot(None)).order_by(stamp, key).limit(limit)
        if after is not None:
            last_updated, last_key = _decode(after, None if as_text else updated, self._where)
            query = query.where(or_(stamp > last_updated, and_(stamp == last_updated, key > last_key)))
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as exc:
            self.close()
            raise SourceUnavailable(f"{self._where}: {_first_line(exc)}") from exc
        if not rows:
            return Page(pd.DataFrame(), [], rows=0, cursor=after)
        raw = pd.DataFrame({n: pd.Series([r[i] for r in rows], dtype=object) for i, n in enumerate(names)})
        mapped, rejections = map_cases(raw, self.mapping, source=self.name, where=self._where)
        where = [f"{table.name} {key.name}={value}" for value in raw[key.name]]
        cursor = _encode(rows[-1][names.index(updated.name)], rows[-1][names.index(key.name)])
        return Page(
            mapped.reset_index(drop=True),
            [where[i] for i in mapped.index],
            [(where[r.row], r) for r in rejections],
            rows=len(rows),
            cursor=cursor,
        )


def _encode(updated: Any, key: Any) -> str:
    when = updated.isoformat() if isinstance(updated, datetime) else updated
    return json.dumps({"updated": when, "key": key if isinstance(key, int | str) else str(key)})


def _decode(cursor: str, updated: Column | None, where: str) -> tuple[Any, Any]:
    """The (update time, key) a cursor holds; the time as a datetime for a typed column
    `updated`, as text when `updated` is None (compared as stored)."""
    try:
        saved = json.loads(cursor)
        when, key = saved["updated"], saved["key"]
        if updated is not None and updated.type.python_type is datetime:
            when = datetime.fromisoformat(when)
    except (ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise SourceMisconfigured(
            f"{where}: its checkpoint {cursor!r} is not a cursor of this table ({exc})"
        ) from None
    return when, key


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
