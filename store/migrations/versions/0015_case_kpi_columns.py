"""the hours of each stage of a case and whether it closed on time, computed by the database at
every write (store/case_derived.py), and window indexes that carry them: the KPIs over 30 days
then read narrow index entries instead of fetching each wide case row and parsing its times
(issue 11's benchmark: 5-28× DuckDB before; figures in bench/results/bench_kpi_1m_*).

PostgreSQL: STORED generated columns, added in one ALTER TABLE (one rewrite of the table, not
five), then ANALYZE. Its index-only scans also need the visibility map the rewrite cleared;
VACUUM cannot run in the migration's transaction, so autovacuum (or
store.planner_hints.analyse, which the benchmark runs after migrating) sets it again.
SQLite: plain columns, filled here and then by triggers after every insert and every change of
the times they come from (SQLite 3.40 never reads a generated column from an index:
store/case_derived.py), then ANALYZE so that its planner knows the new indexes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import CreateColumn

from store.case_derived import SOURCES, column_type, generated, sqlite_assignments

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = ["handling_hours", "dispatch_hours", "fieldwork_hours", "verify_hours", "closed_on_time"]
OLD_CLOSED = ["closed_at", "department", "status", "reported_at", "sla_deadline", "satisfaction",
              "dispatched_at", "handled_at", "verified_at"]  # fmt: skip
INDEXES = {
    # cases closed in a range: on-time closure, satisfaction, the stage times (whole park, by
    # department); replaces 0012's, whose six times as text made each entry ~3× as wide
    "ix_cases_closed_covering": ["closed_at", "department", "status", "closed_on_time", "satisfaction",
                                 "handling_hours", "fieldwork_hours", "verify_hours"],
    # cases reported in a range: the shares of channels, repeats and rejections, dispatch time
    "ix_cases_reported_covering": ["reported_at", "department", "channel", "status", "repeat_of",
                                   "dispatch_hours"],
    # one department's cases in a range, by grid cell or case type (a drill-down's next level)
    "ix_cases_department_closed_covering": ["department", "closed_at", "grid_cell", "case_type", "status",
                                            "closed_on_time", "handling_hours"],
    "ix_cases_department_reported_covering": ["department", "reported_at", "grid_cell", "case_type"],
}  # fmt: skip


# SQLite: after a case is written, and after a time the columns come from changes (the trigger's
# own UPDATE names none of those times, so it does not fire itself)
TRIGGERS = {
    "cases_kpi_columns_insert": "INSERT",
    "cases_kpi_columns_update": f"UPDATE OF {', '.join(SOURCES)}",
}

VERSION_TRIGGER = "data_version_cases_update"


def _columns() -> list[sa.Column]:
    return [sa.Column(name, column_type(name)(), generated(name)) for name in COLUMNS]


def _version_trigger(event: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {VERSION_TRIGGER}")
    op.execute(
        f"CREATE TRIGGER {VERSION_TRIGGER} AFTER {event} ON cases FOR EACH ROW "
        "BEGIN UPDATE data_versions SET version = version + 1 WHERE contract = 'cases'; END"
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        added = ", ".join(f"ADD COLUMN {CreateColumn(c).compile(dialect=bind.dialect)}" for c in _columns())
        op.execute(f"ALTER TABLE cases {added}")
    else:
        for name in COLUMNS:
            op.add_column("cases", sa.Column(name, column_type(name)()))
        op.execute(f"UPDATE cases SET {sqlite_assignments()}")
        for trigger, event in TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON cases FOR EACH ROW "
                f"BEGIN UPDATE cases SET {sqlite_assignments()} WHERE rowid = NEW.rowid; END"
            )
        # the data version (0010) is raised by a write of any column but these: the triggers'
        # own UPDATE would raise it a second time for every case written
        written = [c["name"] for c in sa.inspect(bind).get_columns("cases") if c["name"] not in COLUMNS]
        _version_trigger(f"UPDATE OF {', '.join(written)}")
    op.drop_index("ix_cases_closed_covering", table_name="cases")
    for name, columns in INDEXES.items():
        op.create_index(name, "cases", columns, unique=False)
    op.execute("ANALYZE cases")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cases")
    op.create_index("ix_cases_closed_covering", "cases", OLD_CLOSED, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cases " + ", ".join(f"DROP COLUMN {name}" for name in COLUMNS))
    else:
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        _version_trigger("UPDATE")
        for name in COLUMNS:
            op.drop_column("cases", name)
