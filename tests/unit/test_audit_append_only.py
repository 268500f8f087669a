"""The audit log is append-only in the SQLite database itself: the triggers of migration 0002
refuse UPDATE and DELETE on its rows, whoever connects (SQLAlchemy or plain sqlite3)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from security import audit
from store.engine import make_engine
from store.migrate import upgrade
from store.models import AuditRow

APPEND_ONLY = "audit_log is append-only"


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    audit.record(engine, "login.success", actor="alice", target="user:alice", ip="192.0.2.1")
    audit.record(engine, "login.failure", actor="mallory", outcome="failed", target="user:mallory")
    return engine, path


def _rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            select(AuditRow.pk, AuditRow.actor, AuditRow.action, AuditRow.outcome).order_by(AuditRow.pk)
        ).all()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else' WHERE actor = 'mallory'",
        "UPDATE audit_log SET outcome = 'ok'",
        "DELETE FROM audit_log WHERE actor = 'mallory'",
        "DELETE FROM audit_log",
        "INSERT INTO audit_log (pk, at, actor, action, outcome) VALUES "
        "(2, '2031-01-01 00:00:00.000000', 'x', 'logout', 'ok') ON CONFLICT (pk) DO UPDATE SET actor = 'x'",
    ],
)
def test_update_and_delete_fail_in_sql(store, statement):
    engine, _ = store
    before = _rows(engine)
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(text(statement))
    assert _rows(engine) == before


def test_update_and_delete_fail_through_the_orm(store):
    engine, _ = store
    before = _rows(engine)
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(update(AuditRow).where(AuditRow.actor == "mallory").values(outcome="ok"))
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(delete(AuditRow).where(AuditRow.pk == before[-1][0]))
    assert _rows(engine) == before


def test_the_database_refuses_without_the_app(store):
    engine, path = store
    before = _rows(engine)
    connection = sqlite3.connect(path)
    try:
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match=APPEND_ONLY):
                connection.execute(statement)
            connection.rollback()
    finally:
        connection.close()
    assert _rows(engine) == before


def test_inserting_still_works(store):
    engine, _ = store
    before = _rows(engine)
    audit.record(engine, "logout", actor="alice", target="user:alice", at=datetime.now(UTC))
    after = _rows(engine)
    assert after[: len(before)] == before
    assert after[-1][1:] == ("alice", "logout", "ok")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AuditRow)).scalar_one() == 3


def test_insert_or_replace_cannot_overwrite_a_row(store):
    # SQLite fires no DELETE trigger for the rows INSERT OR REPLACE removes (recursive_triggers
    # is off): migration 0002's BEFORE INSERT trigger refuses an insert naming an existing row.
    engine, _ = store
    before = _rows(engine)
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT OR REPLACE INTO audit_log (pk, at, actor, action, outcome) "
                "VALUES (:pk, '2031-01-01 00:00:00.000000', 'nobody', 'logout', 'ok')"
            ),
            {"pk": before[-1][0]},
        )
    assert _rows(engine) == before
