"""Alembic environment: the engine comes from store.migrate (never from a URL in an ini file).

Every serving process migrates at start (several gunicorn workers at once), so migrations are
serialised: the first runs them, the others wait and then find the schema current. On SQLite
the migration's transaction begins with BEGIN IMMEDIATE (store.engine.begin_write), which holds
the file's write lock before the version is read. On PostgreSQL an advisory lock is taken in
the migration's transaction; it is released when that transaction ends, so a crashed migration
cannot leave it held."""

from alembic import context
from sqlalchemy import text

from store.engine import begin_write
from store.models import Base

# Any constant, the same in every process: it names the lock within the database.
MIGRATION_LOCK_KEY = 0x0E5C_0001

engine = context.config.attributes["engine"]

with begin_write(engine) as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
