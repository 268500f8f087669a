"""Alembic environment: the engine comes from store.migrate (never from a URL in an ini file)."""

from alembic import context

from store.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
