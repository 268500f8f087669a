"""Checks of the one case import service (services/case_import.py), run on SQLite
(tests/unit/test_case_import.py) and on the real PostgreSQL (tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select

from security import audit
from services.case_import import import_cases, load_checkpoint, save_checkpoint
from store.models import Case, CaseEvent

REPORTED = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
TYPE = "um.manhole_cover_missing"  # urban_management, in the catalogue


def case_row(case_id: str, **changes) -> dict:
    row = {
        "id": case_id,
        "channel": "portal",
        "case_type": TYPE,
        "status": "accepted",
        "reported_at": REPORTED,
        "accepted_at": REPORTED + timedelta(minutes=5),
        "lon": 116.40,
        "lat": 39.90,
        "address": "Somewhere 1",
        "description": "井盖缺失",
    }
    row.update(changes)
    return row


def rows_of(engine, case_id: str) -> list[dict]:
    with engine.connect() as connection:
        return [
            dict(r._mapping) for r in connection.execute(select(Case.__table__).where(Case.id == case_id))
        ]


def events_of(engine, case_id: str) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(CaseEvent.__table__).where(CaseEvent.case_id == case_id).order_by(CaseEvent.pk)
        )
        return [dict(r._mapping) for r in rows]


def count_cases(engine, prefix: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Case).where(Case.id.like(f"{prefix}%"))
        ).scalar_one()


def check_import_then_reimport_updates_and_never_duplicates(engine, prefix: str) -> None:
    frame = pd.DataFrame(
        [
            case_row(f"{prefix}-1"),
            case_row(f"{prefix}-2", status="closed", closed_at=REPORTED + timedelta(days=1)),
        ]
    )
    first = import_cases(frame, source=f"{prefix}-src", actor="tester")
    assert (first.imported, first.updated, first.rejected) == (2, 0, 0)
    one = rows_of(engine, f"{prefix}-1")[0]
    assert one["domain"] == "urban_management"  # taken from the case type
    assert one["version"] == 1 and one["status_at"] == REPORTED + timedelta(minutes=5)
    assert one["sla_deadline"] > one["reported_at"]  # the catalogue's closing limit
    assert rows_of(engine, f"{prefix}-2")[0]["status_at"] == REPORTED + timedelta(days=1)
    [event] = events_of(engine, f"{prefix}-1")
    assert (event["action"], event["actor"], event["to_status"]) == ("imported", "tester", "accepted")

    again = import_cases(frame, source=f"{prefix}-src", actor="tester")
    assert (again.imported, again.updated, again.rejected) == (0, 2, 0)
    assert count_cases(engine, prefix) == 2
    assert rows_of(engine, f"{prefix}-1")[0]["version"] == 1  # nothing changed, nothing written
    assert len(events_of(engine, f"{prefix}-1")) == 1

    moved = pd.DataFrame([case_row(f"{prefix}-1", status="closed", closed_at=REPORTED + timedelta(days=2))])
    third = import_cases(moved, source=f"{prefix}-src", actor="tester")
    assert (third.imported, third.updated) == (0, 1)
    now = rows_of(engine, f"{prefix}-1")[0]
    assert (now["status"], now["version"], now["status_at"]) == ("closed", 2, REPORTED + timedelta(days=2))
    last = events_of(engine, f"{prefix}-1")[-1]
    assert (last["from_status"], last["to_status"]) == ("accepted", "closed")
    runs = audit.query(engine, audit.AuditFilter(actions=("case.import",), target=f"source:{prefix}-src"))
    assert len(runs) == 3
    assert runs["detail"].iloc[-1] == {"source": f"{prefix}-src", "imported": 2, "updated": 0, "rejected": 0}


def check_bad_rows_are_rejected_with_reasons_and_good_ones_kept(engine, prefix: str) -> None:
    rows = [
        case_row(f"{prefix}-ok"),
        case_row(f"{prefix}-type", case_type="no.such_type"),
        case_row(f"{prefix}-ok", description="the same id again"),
        case_row(f"{prefix}-lat", lat=95.0),
        case_row(f"{prefix}-time", reported_at="30/11/2026 9:30"),
        case_row(f"{prefix}-dept", department="no_such_department"),
        case_row(f"{prefix}-cell", grid_cell="NOCELL"),
        case_row(f"{prefix}-domain", domain="petitions"),
        case_row(None),
        case_row(f"{prefix}-markup", description="<script>alert(1)</script> =1+1"),
    ]
    positions = [f"line {i + 2}" for i in range(len(rows))]
    report = import_cases(pd.DataFrame(rows), source=f"{prefix}-bad", positions=positions)
    assert (report.imported, report.updated, report.rejected) == (2, 0, 8)
    by_position = {r.position: r for r in report.rejections}
    assert "no.such_type" in by_position["line 3"].reason and "catalogue" in by_position["line 3"].reason
    assert by_position["line 4"].reason == f"id: case id '{prefix}-ok' repeats line 2"
    assert by_position["line 4"].case_id == f"{prefix}-ok"
    assert "lat: above 90" in by_position["line 5"].reason
    assert "reported_at: not an ISO 8601 time" in by_position["line 6"].reason
    assert "no_such_department" in by_position["line 7"].reason
    assert "NOCELL" in by_position["line 8"].reason
    assert "'petitions', but case type" in by_position["line 9"].reason
    assert (
        by_position["line 10"].case_id is None
        and "id: required value is missing" in by_position["line 10"].reason
    )
    assert rows_of(engine, f"{prefix}-markup")[0]["description"] == "<script>alert(1)</script> =1+1"
    assert rows_of(engine, f"{prefix}-ok")[0]["description"] == "井盖缺失"  # the first of the repeated id


def check_checkpoints_are_kept_per_source(engine, prefix: str) -> None:
    assert load_checkpoint(f"{prefix}-poll") is None
    save_checkpoint(f"{prefix}-poll", "2026-12-01T00:00:00+00:00")
    save_checkpoint(f"{prefix}-poll", "2026-12-02T00:00:00+00:00")
    save_checkpoint(f"{prefix}-other", "line 40")
    assert load_checkpoint(f"{prefix}-poll") == "2026-12-02T00:00:00+00:00"
    assert load_checkpoint(f"{prefix}-other") == "line 40"
