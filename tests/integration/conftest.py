"""Real services on this machine; each test gets its own PostgreSQL schema."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url():
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the shared server is down: say so, do not pretend
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
