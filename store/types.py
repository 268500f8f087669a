"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable), JSON text elsewhere; Python None is SQL NULL, not 'null'.
JsonType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# How a UtcDateTime is kept on SQLite: naive UTC text, the format SQLAlchemy's SQLite DateTime
# writes and reads. Code that writes or compares the text itself (bulk writes, SQL that shifts
# times, `since` filters) must use exactly this, or rows sort and compare wrongly as text.
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine.

    SQLite has no time zones: values are stored as naive UTC text (SQLITE_TIME_FORMAT) and come
    back aware. A naive datetime given to the store is a bug upstream, so it raises instead of
    guessing."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
