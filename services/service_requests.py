"""Service requests (GeoReport v2) read from the store for api/open311.py: one page of cases and
how many match, the scope (and, for a citizen app's token, its own reports) a condition of the
query, never the whole table."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from security.scope import Scope
from services import records
from services.case_reports import reported_by
from services.context import get_services

MAX_REQUESTS = 1000  # GeoReport: "may return at most 1000 requests"; the largest page
STAGE_TIMES = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at"]
# What a service request is made of, read from the store (never the whole row, never the table).
REQUEST_COLUMNS = ("id", "status", "case_type", "description", "department", *STAGE_TIMES, "sla_deadline",
                   "address", "address_en", "lat", "lon")  # fmt: skip


def read_requests(
    scope: Scope,
    *,
    ids: Collection[str] | None = None,
    statuses: Collection[str] | None = None,
    codes: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = MAX_REQUESTS,
    offset: int = 0,
    reporter: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the cases within `scope` matching the filters (since/until on reported_at,
    until excluded), newest report first and then by id, and how many match in all: a count
    and a LIMIT/OFFSET query in the store, the scope a condition of both. A `reporter` (a
    citizen app's token) reads only the cases it reported."""
    table = records.CASE_TABLE
    where: list[ColumnElement[bool]] = [] if reporter is None else [reported_by(reporter)]
    if not scope.whole_park:
        where.append(table.c.department == scope.department)
    if ids is not None:
        where.append(table.c.id.in_(list(dict.fromkeys(ids))))
    if statuses is not None:
        where.append(table.c.status.in_(list(statuses)))
    if codes:
        where.append(table.c.case_type.in_(list(codes)))
    if since is not None:
        where.append(table.c.reported_at >= since)
    if until is not None:
        where.append(table.c.reported_at < until)
    query = (
        select(*(table.c[name] for name in REQUEST_COLUMNS))
        .where(*where)
        .order_by(table.c.reported_at.desc(), table.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with get_services().engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        rows = [dict(row._mapping) for row in connection.execute(query)]
    return rows, int(total)
