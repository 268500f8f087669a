"""SQL for the closed loop: number and insert a new case, read one case, write a step with a
version check, append and read its events. Called inside the caller's transaction
(services/case_commands.py, services/case_reports.py), so a step's new state, its event and its
audit row are committed together or not at all."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from store.models import Case, CaseEvent

CASES = Case.__table__
EVENTS = CaseEvent.__table__
EVENT_COLUMNS = ("case_id", "action", "actor", "at", "note", "from_status", "to_status", "detail")


def lock_new_cases(connection: Connection) -> None:
    """Hold, until the transaction ends, the right to number new cases: a second writer numbering
    at once waits instead of taking the same number. PostgreSQL: a transaction-level advisory
    lock; SQLite: nothing to do, begin_write's transaction holds the whole file already."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('onescreen.new_cases'))"))


def next_case_id(connection: Connection, at: datetime, zone: tzinfo) -> str:
    """The next case number of `at`'s local day, as the demo park numbers them (demo/cases.py):
    the date and a daily serial of five digits. Call under lock_new_cases."""
    day = at.astimezone(zone).strftime("%Y%m%d")
    highest = connection.execute(
        select(func.max(CASES.c.id)).where(CASES.c.id.like(f"{day}%"), func.length(CASES.c.id) == 13)
    ).scalar_one_or_none()
    return f"{day}{(int(highest[8:]) + 1) if highest else 1:05d}"


def insert_case(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(CASES).values(**row))


def read_case(connection: Connection, case_id: str) -> dict[str, Any] | None:
    """The case's row (every column but the store's own key and the KPIs' computed ones), or None."""
    columns = [c for c in CASES.c if c.name != "pk" and c.computed is None]
    row = connection.execute(select(*columns).where(CASES.c.id == case_id)).first()
    return dict(row._mapping) if row is not None else None


def case_exists(connection: Connection, case_id: str) -> bool:
    return connection.execute(select(CASES.c.pk).where(CASES.c.id == case_id)).first() is not None


def update_case(connection: Connection, case_id: str, version: int, changes: dict[str, Any]) -> bool:
    """Write `changes` if the case is still at `version` (compare-and-set); False when another
    step came first. On PostgreSQL a concurrent update waits for the row and re-checks the
    version once the other commits; on SQLite the writer holds the file lock (begin_write)."""
    result = connection.execute(
        update(CASES).where(CASES.c.id == case_id, CASES.c.version == version).values(**changes)
    )
    return result.rowcount == 1


def append_event(
    connection: Connection,
    *,
    case_id: str,
    action: str,
    actor: str,
    at: datetime,
    note: str | None,
    from_status: str | None,
    to_status: str | None,
    detail: dict[str, Any] | None,
) -> None:
    connection.execute(
        insert(EVENTS).values(
            case_id=case_id,
            action=action,
            actor=actor[:64],
            at=at,
            note=note,
            from_status=from_status,
            to_status=to_status,
            detail=detail or None,
        )
    )


def events_of(connection: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's events in the order they happened (ties in the order they were written)."""
    columns = [EVENTS.c[name] for name in EVENT_COLUMNS]
    rows = connection.execute(
        select(*columns).where(EVENTS.c.case_id == case_id).order_by(EVENTS.c.at, EVENTS.c.pk)
    )
    return [dict(row._mapping) for row in rows]
