"""What happens around an enterprise, for its profile: the cases reported within CASE_RADIUS_M
of its location in the last CASE_DAYS days and the open alerts of sensors within
ALERT_RADIUS_M. Cases carry no enterprise field, so nearness is the only link the data has; both
are queries in the store (store/nearby_rows.py) within the reader's department scope.

Who sees what (security): cases and alerts are single records, which need read_records, as
the map's layers of single records do (services/map_catalogue.readable). A reader without it
(a viewer, an administrator) gets the two counts only: a count near a firm is an aggregate of
the kind the screens show everyone (the map's heat squares and cell counts), and it tells a
viewer that something is going on there without naming a case, an address or a sensor. A
department head sees their own department's cases and alerts, in lists and counts alike; one
without a department sees nothing (fails closed, as security.scope does)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from security.principal import Principal
from security.roles import Permission, department_scoped
from security.scope import Scope
from services import records
from services.context import get_services
from store import nearby_rows
from store.kpi_sql import scope_condition

CASE_RADIUS_M = 150.0
ALERT_RADIUS_M = 300.0
CASE_DAYS = 365
MAX_ROWS = 20


@dataclass(frozen=True)
class Nearby:
    """The cases and open alerts near a place. `records` says whether the lists were read (the
    reader may read records); without it the lists are empty and only the totals are given."""

    cases_total: int
    alerts_total: int
    records: bool
    cases: list[dict[str, Any]] = field(default_factory=list)  # newest first, at most MAX_ROWS
    alerts: list[dict[str, Any]] = field(default_factory=list)
    department: str | None = None  # the scope read: None is the whole park
    cases_stale: bool = False  # the cases' source is down: the store holds its last sync
    refused: bool = False  # the reader may know nothing of them (nothing was read)


REFUSED = Nearby(0, 0, False, refused=True)


def nearby(lon: Any, lat: Any, principal: Principal, now: datetime | None = None) -> Nearby | None:
    """The cases and alerts near (lon, lat) that `principal` may know of; None when the place
    is none (missing, not finite); REFUSED (nothing read) when the principal may know nothing of
    them. Raises SQLAlchemyError when the store cannot be read."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        return None
    if department_scoped(principal.roles) and not principal.department:
        return REFUSED
    if not principal.can(Permission.VIEW_SCREENS):
        return REFUSED
    scope = Scope(principal.scoped_department)
    show = principal.can(Permission.READ_RECORDS)
    since = (now or datetime.now(UTC)) - timedelta(days=CASE_DAYS)
    limit = MAX_ROWS if show else 0
    serves_cases = get_services().sources.source_of("cases") is not None
    with get_services().engine.connect() as connection:
        if serves_cases:
            cases, cases_total = nearby_rows.cases_near(
                connection,
                float(lon),
                float(lat),
                CASE_RADIUS_M,
                since,
                scope_condition("cases", scope),
                limit,
            )
        else:  # a park without a case system has no cases near anything
            cases, cases_total = [], 0
        alerts, alerts_total = nearby_rows.open_alerts_near(
            connection, float(lon), float(lat), ALERT_RADIUS_M, scope_condition("alerts", scope), limit
        )
    stale = serves_cases and records.freshness()[1]
    return Nearby(cases_total, alerts_total, show, cases, alerts, scope.department, stale)
