"""A HealthBook kept in the store (SQL), so every worker and the Sources page see one truth."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from data_sources.health import RECENT_REJECTIONS, Batch, HealthBook, SourceHealth
from data_sources.monitor import utc_now
from data_sources.validation import Rejection
from store.models import SourceHealthRow, SourceRejectionRow

_HEALTH_FIELDS = [f.name for f in fields(SourceHealth)]
_HEALTH: Table = SourceHealthRow.__table__  # type: ignore[assignment]
_REJECTIONS: Table = SourceRejectionRow.__table__  # type: ignore[assignment]


def _health(row) -> SourceHealth:
    values = {k: row[k] for k in _HEALTH_FIELDS}
    values["batches"] = tuple(Batch(*b) for b in values["batches"] or ())
    return SourceHealth(**values)


def _fit(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each text cut to its column's length. A source's texts come from outside
    (a 200-character key in a CSV); PostgreSQL refuses text longer than its column
    (StringDataRightTruncation), which would turn a read with rejections into a failed read."""
    fitted = {}
    for name, value in values.items():
        length = getattr(table.c[name].type, "length", None)
        fitted[name] = value[:length] if isinstance(value, str) and length else value
    return fitted


def _put_health(connection: Connection, values: dict[str, Any]) -> None:
    # One statement, so two workers recording a new source at once cannot both insert it
    # (an UPDATE, then an INSERT when it matched nothing, raced on the unique `source`).
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(_HEALTH)
    elif dialect == "sqlite":
        statement = sqlite.insert(_HEALTH)
    else:
        raise ValueError(f"the store's health book supports sqlite and postgresql, not {dialect}")
    statement = statement.values(**values)
    changes = {name: statement.excluded[name] for name in values if name != "source"}
    connection.execute(statement.on_conflict_do_update(index_elements=[_HEALTH.c.source], set_=changes))


class SqlHealthBook(HealthBook):
    """Writes through to the store on every put; reads come from the store. Safe to use from
    several threads and processes at once: each put is one transaction."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def put(self, health: SourceHealth, rejections: list[Rejection] | None = None) -> None:
        """Record `health` (insert or replace the source's row) and keep the newest
        RECENT_REJECTIONS of `rejections`; texts too long for their columns are cut to fit.
        Blocks on the store; its errors propagate."""
        super().put(health, rejections)
        with self.engine.begin() as connection:
            _put_health(connection, _fit(_HEALTH, asdict(health)))
            if rejections:
                at = utc_now()
                kept = rejections[-RECENT_REJECTIONS:]
                connection.execute(
                    insert(_REJECTIONS), [_fit(_REJECTIONS, {**asdict(r), "at": at}) for r in kept]
                )
                # keep only the newest RECENT_REJECTIONS per source
                rtable = _REJECTIONS.c
                newest = (
                    select(rtable.pk)
                    .where(rtable.source == health.source)
                    .order_by(rtable.pk.desc())
                    .limit(RECENT_REJECTIONS)
                )
                connection.execute(
                    delete(_REJECTIONS).where(rtable.source == health.source, rtable.pk.not_in(newest))
                )

    def get(self, source: str) -> SourceHealth | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(_HEALTH).where(_HEALTH.c.source == source)).mappings().first()
        return _health(row) if row else None

    def all(self) -> list[SourceHealth]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(_HEALTH).order_by(_HEALTH.c.source)).mappings().all()
        return [_health(row) for row in rows]

    def recent_rejections(self, source: str) -> list[Rejection]:
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(_REJECTIONS).where(_REJECTIONS.c.source == source).order_by(_REJECTIONS.c.pk)
                )
                .mappings()
                .all()
            )
        names = [f.name for f in fields(Rejection)]
        return [Rejection(**{k: row[k] for k in names}) for row in rows]
