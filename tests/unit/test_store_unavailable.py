"""Which store errors are an outage (503 with Retry-After, security/setup.py) and which are a bug
in a query (500 with its traceback): real errors from SQLite and PostgreSQL, not made-up ones."""

from __future__ import annotations

import pytest
from flask import Flask
from servers import free_port
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from security.setup import _store_unavailable, store_unavailable


def _raised(url: str, sql: str = "SELECT 1"):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    except (OperationalError, ProgrammingError) as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_a_missing_table_is_a_bug_and_a_file_that_cannot_be_opened_is_an_outage(tmp_path):
    assert not store_unavailable(_raised("sqlite://", "SELECT * FROM no_such_table"))
    assert store_unavailable(_raised(f"sqlite:///{tmp_path}/no/such/folder/store.sqlite"))


@pytest.mark.integration
def test_postgresql_down_is_an_outage_and_a_syntax_error_is_a_bug():
    assert store_unavailable(_raised(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"))
    assert not store_unavailable(_raised("postgresql+psycopg://postgres@127.0.0.1:5432/test", "SELEC 1"))


def test_a_query_bug_answers_500_not_503():  # the outage: tests/integration/test_store_down_answers.py
    app = Flask("store-errors")
    app.register_error_handler(OperationalError, _store_unavailable)
    bug = _raised("sqlite://", "SELECT * FROM no_such_table")

    @app.get("/bug")
    def _bug():
        raise bug

    client = app.test_client()
    assert client.get("/bug").status_code == 500
