"""Every serving process migrates the store at start: several at once on an empty store must
all succeed, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import inspect

from store.engine import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.models import Base

pytestmark = pytest.mark.integration

WORKERS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


def _migrate(url: str, start) -> None:
    engine = make_engine(url)
    start.wait()
    upgrade(engine)
    engine.dispose()


def test_workers_migrating_an_empty_store_at_once_all_succeed(store_url):
    # processes, as gunicorn's workers are (Alembic's `context` is one global per process)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(WORKERS)
    workers = [spawn.Process(target=_migrate, args=(store_url, start)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * WORKERS
    engine = make_engine(store_url)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_build_exactly_the_schema_the_models_declare(store_url):
    """A table, column, index or type added to store/models.py without its migration (or the
    other way round) would work in tests that create tables from the models and fail on a real
    store; Alembic's comparison finds no difference between the two."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(None)).get_heads()  # type: ignore[arg-type]
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
