"""The `sql` source's `tables` option on the real PostgreSQL: another system's enterprise
register, yearly figures (NUMERIC money) and chain links in their own schema and column names,
read through the mapping in read-only transactions, each bad row rejected with its key and
reason, the rest kept. The schema is the test's own and dropped afterwards."""

from __future__ import annotations

import uuid

import pytest
from sql_tables_setup import KEPT, REJECTED, create_tables, tables_option
from sqlalchemy import create_engine, text

from data_sources.health import HealthBook
from services.sources import SourceManager, SourcesFile

pytestmark = pytest.mark.integration

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"  # as tests/integration/conftest.py


@pytest.fixture
def register():
    """A schema holding the register's tables, dropped afterwards; yields its name."""
    schema = f"register_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        create_tables(engine, schema)
        yield schema
    finally:
        with engine.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_a_foreign_register_on_postgresql_serves_checked_rows(register) -> None:
    tables = tables_option(register)
    config = {
        "register": {"adapter": "sql", "serves": list(tables), "options": {"url": PG_URL, "tables": tables}}
    }
    park = SourceManager(SourcesFile.model_validate({"sources": config}), HealthBook())
    try:
        figures = park.read("enterprise_figures").frame
        firms = park.read("enterprises").frame
        links = park.read("chains").frame
        source = park.monitors["register"].source
        with source.engine.connect() as c:  # type: ignore[attr-defined]
            read_only = c.execute(text("SHOW transaction_read_only")).scalar()
    finally:
        park.close()
    assert sorted(zip(figures["enterprise_id"], figures["year"], strict=True)) == KEPT["enterprise_figures"]
    assert list(figures["revenue"]) == [1200.5, 400.0]
    assert list(firms["id"]) == KEPT["enterprises"] and list(links["link"]) == KEPT["chains"]
    for contract in ("chains", "enterprises", "enterprise_figures"):
        found = {
            (r.row, r.key, r.field, r.reason)
            for r in park.recent_rejections("register")
            if r.contract == contract
        }
        assert found == REJECTED[contract], contract
    assert read_only == "on", "the source reads in read-only transactions"
