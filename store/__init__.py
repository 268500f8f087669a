"""The store: SQLAlchemy 2 models of the contracts and reference data, the engine, Alembic
migrations, and bulk writes. SQLite in the embedded profile, PostgreSQL by URL."""
