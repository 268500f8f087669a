"""a data version per contract, raised by the store itself on every write: cached figures are
keyed by the versions of the contracts they read (services/figure_cache.py), so a duty
officer's action, an import, a sync, the demo simulator or a statement typed into psql shows
in the figures at the next read instead of a cache timeout later. Triggers, not Python code,
raise them, so no write path can forget to.

PostgreSQL: one statement-level trigger per table, raising the version once per writing
transaction (a COPY of 100,000 rows, or a transaction of many statements, raises it once).
SQLite has no statement-level triggers: a row-level trigger per kind of write (the cost on a
bulk insert is in the README). Readings are not versioned: they arrive thousands a second, and
figures over them are cached for a few seconds instead.

A later migration that rebuilds one of these tables on SQLite (Alembic's batch mode copies the
table) drops its triggers and must create them again; tests/unit/test_data_versions.py checks
that every versioned table has its triggers at head.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# contract -> its table (the same names today; kept apart so a renamed table is one line)
VERSIONED = {
    "cases": "cases",
    "case_events": "case_events",
    "alerts": "alerts",
    "enterprises": "enterprises",
    "enterprise_figures": "enterprise_figures",
    "sensors": "sensors",
    "features": "features",
    "chains": "chains",
}
FUNCTION = "bump_data_version"
SQLITE_EVENTS = ("insert", "update", "delete")


def _bump(contract: str) -> str:
    return f"UPDATE data_versions SET version = version + 1 WHERE contract = '{contract}'"


def upgrade() -> None:
    versions = op.create_table(
        "data_versions",
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contract", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(versions, [{"contract": contract, "version": 1} for contract in VERSIONED])
    if op.get_bind().dialect.name == "postgresql":
        # The contract is the trigger's argument. The row lock the UPDATE takes is held until
        # the writing transaction commits, so the new version is seen exactly with the new rows.
        # Raised once per transaction (a transaction-local setting remembers it): readers see
        # only committed states, and updating one row for every statement of a transaction
        # (an executemany sends one statement per row) grows a chain of its dead versions that
        # each update walks again: 10,000 rows by executemany took 4.4 s, once per transaction
        # 1.5 s, without the trigger 1.25 s.
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('data_versions.' || TG_ARGV[0], true) IS DISTINCT FROM 'raised' THEN
                    UPDATE data_versions SET version = version + 1 WHERE contract = TG_ARGV[0];
                    PERFORM set_config('data_versions.' || TG_ARGV[0], 'raised', true);
                END IF;
                RETURN NULL;
            END
            $$
            """
        )
        for contract, table in VERSIONED.items():
            op.execute(
                f"CREATE TRIGGER data_version_{table} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{contract}')"
            )
        return
    for contract, table in VERSIONED.items():
        for event in SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER data_version_{table}_{event} AFTER {event.upper()} ON {table} "
                f"FOR EACH ROW BEGIN {_bump(contract)}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERSIONED.values():
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    else:
        for table in VERSIONED.values():
            for event in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}")
    op.drop_table("data_versions")
