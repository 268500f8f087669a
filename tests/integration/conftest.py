"""Real services on this machine; each test gets its own PostgreSQL schema."""

from __future__ import annotations

import uuid
import weakref

import pytest
from sqlalchemy import Engine, create_engine, event, text

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
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def remember(connection):  # every engine that connected during the test
        if schema in str(connection.engine.url.query):
            engines.add(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    try:
        yield url
    finally:
        event.remove(Engine, "engine_connect", remember)
        # an app or engine a test left behind would otherwise be collected later with its pooled
        # connections still open (a ResourceWarning in whichever test runs then)
        for engine in list(engines):
            engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
