"""The audit log is append-only in PostgreSQL itself: the triggers of migration 0002 refuse
UPDATE, DELETE and TRUNCATE, even to the table's owner; inserting still works."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from security import audit
from store.engine import make_engine
from store.migrate import upgrade
from store.models import AuditRow

pytestmark = pytest.mark.integration

APPEND_ONLY = "audit_log is append-only"


@pytest.fixture
def engine(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    audit.record(engine, "login.success", actor="alice", target="user:alice", ip="192.0.2.1")
    audit.record(engine, "login.failure", actor="mallory", outcome="failed", target="user:mallory")
    yield engine
    engine.dispose()


def _rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            select(AuditRow.pk, AuditRow.actor, AuditRow.action, AuditRow.outcome).order_by(AuditRow.pk)
        ).all()


def test_the_tests_connect_as_the_tables_owner(engine):
    # the refusals below are the database's own: the owner holds every right on the table
    with engine.connect() as connection:
        assert connection.dialect.name == "postgresql"
        owner = connection.execute(
            text(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log' AND schemaname = current_schema()"
            )
        ).scalar_one()
        assert owner == connection.execute(text("SELECT current_user")).scalar_one()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else' WHERE actor = 'mallory'",
        "UPDATE audit_log SET outcome = 'ok'",
        "DELETE FROM audit_log WHERE actor = 'mallory'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "TRUNCATE audit_log RESTART IDENTITY CASCADE",
        "INSERT INTO audit_log (pk, at, actor, action, outcome) VALUES "
        "(2, now(), 'x', 'logout', 'ok') ON CONFLICT (pk) DO UPDATE SET actor = 'x'",
        "MERGE INTO audit_log a USING (SELECT 2 AS pk) s ON a.pk = s.pk WHEN MATCHED THEN DELETE",
    ],
)
def test_update_delete_and_truncate_fail(engine, statement):
    before = _rows(engine)
    with pytest.raises(DBAPIError, match=APPEND_ONLY) as refused, engine.begin() as connection:
        connection.execute(text(statement))
    assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege
    assert _rows(engine) == before


def test_update_and_delete_fail_through_the_orm(engine):
    before = _rows(engine)
    with pytest.raises(DBAPIError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(update(AuditRow).where(AuditRow.actor == "mallory").values(outcome="ok"))
    with pytest.raises(DBAPIError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(delete(AuditRow).where(AuditRow.pk == before[-1][0]))
    assert _rows(engine) == before


def test_inserting_still_works(engine):
    before = _rows(engine)
    audit.record(engine, "logout", actor="alice", target="user:alice", detail={"via": "test"})
    after = _rows(engine)
    assert after[: len(before)] == before
    assert after[-1][1:] == ("alice", "logout", "ok")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AuditRow)).scalar_one() == 3
        detail = connection.execute(
            select(AuditRow.detail).order_by(AuditRow.pk.desc()).limit(1)
        ).scalar_one()
    assert detail == {"via": "test"}
