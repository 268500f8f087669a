"""Import checkpoints: one row per import source, its cursor and when it was written."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from store.models import ImportCheckpoint

CHECKPOINTS = ImportCheckpoint.__table__


def read_checkpoint(connection: Connection, source: str) -> tuple[str, datetime] | None:
    """(cursor, written at) of `source`, or None when it has none."""
    row = connection.execute(
        select(CHECKPOINTS.c.cursor, CHECKPOINTS.c.updated_at).where(CHECKPOINTS.c.source == source)
    ).first()
    return (row[0], row[1]) if row is not None else None


def write_checkpoint(connection: Connection, source: str, cursor: str, at: datetime) -> None:
    """Set `source`'s cursor (one statement: two processes saving at once leave one row)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(CHECKPOINTS).values(source=source, cursor=cursor, updated_at=at)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["source"],
            set_={"cursor": statement.excluded.cursor, "updated_at": statement.excluded.updated_at},
        )
    )
