"""What the leaders' "needs a decision" panel reads (domain/decisions.py ranks and words it):
the critical alerts nobody acknowledged and the overdue cases by department, queried in the
store within the principal's scope now, and the chains' investment targets (services/chains).

Who reads what: which alert and where it is are record-level facts (READ_RECORDS, as the alert
ticker); a screens viewer gets the alerts counted only. The chain targets are the park's to
decide (investment attraction), so a department's view leaves them out; its own alerts and
overdue cases are what it has to decide on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.decisions import Decision, Gap, Name, OverdueGroup, Term, WaitingAlert, needs_decision
from security.principal import Principal
from security.roles import Permission
from security.scope import Scope
from services.alert_desk import sensor_of
from services.chains import chain_view
from services.context import get_services
from services.figure_cache import cached_figure
from services.reference import departments
from store.decision_rows import overdue_by_department, unacknowledged_critical
from store.kpi_sql import scope_condition


@dataclass(frozen=True)
class DecisionsRead:
    decisions: list[Decision]
    contracts: tuple[str, ...]  # what they were read from (the panel names their sources)
    read_at: datetime  # the store was asked now; the chain targets are the cached view's
    stale: bool  # the chains' source is down (its targets are the last read)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _name(row: dict[str, Any], field: str, fallback: str) -> Name:
    zh = _text(row.get(field)) or str(row.get(fallback) or "—")
    return Name(zh, _text(row.get(f"{field}_en")) or zh)


def _place(sensor_id: str | None) -> Name:
    """Where an alert's sensor is: its address (its name, its id at worst)."""
    sensor: dict[str, Any] = sensor_of(sensor_id) or {}
    zh = _text(sensor.get("address")) or _text(sensor.get("name")) or str(sensor_id or "—")
    return Name(zh, _text(sensor.get("address_en")) or _text(sensor.get("name_en")) or zh)


def _rule(row: dict[str, Any]) -> Term:
    detail = row.get("detail")
    title = detail.get("title") if isinstance(detail, dict) else None
    return Term(str(title or f"alert_rule.{row['rule']}"))


def _department(department: str | None, names: dict[str, Name]) -> Name | Term:
    if department is None:
        return Term("decisions.no_department")
    return names.get(department, Name(department, department))


def _gaps(scope: Scope) -> tuple[list[Gap], bool]:
    if not scope.whole_park or get_services().sources.source_of("chains") is None:
        return [], False
    view = chain_view().value
    gaps = [
        Gap(
            _name(row, "chain_name", "chain"),
            _name(row, "name", "link"),
            str(row["status"]),
            row["findings"][0] if row["findings"] else None,
        )
        for row in view.targets.to_dict("records")
    ]
    return gaps, bool(view.stale)


DECISIONS_KEY = "decisions"
# How long a read stays while nothing it reads was written: its sentences say for how long an
# alert has waited and by how much a case is overdue, which grow with the clock
DECISIONS_TTL_S = 10


def read_decisions(scope: Scope, principal: Principal, now: datetime | None = None) -> DecisionsRead:
    """The ranked sentences for `principal` within `scope`, as of `now`; without `now`, from the
    figure cache (services/figure_cache.py): every wall and desk showing the panel for the same
    scope and reader kind shares one read until an alert, case or chain is written, or for
    DECISIONS_TTL_S (the panel redraws every 10 s; the leaders' screen waited on these queries
    at each first render)."""
    if now is not None:
        return _read(scope, principal, now)
    named = principal.can(Permission.READ_RECORDS)
    key = f"{DECISIONS_KEY}:{scope.department or '*'}:{int(named)}"
    contracts = ("alerts", "cases", "chains") if scope.whole_park else ("alerts", "cases")
    return cached_figure(
        key, contracts, lambda: _read(scope, principal, datetime.now(UTC)), timeout_s=DECISIONS_TTL_S
    ).value


def _read(scope: Scope, principal: Principal, now: datetime) -> DecisionsRead:
    names = {d["id"]: Name(d["name"], d["name_en"]) for d in departments()}
    named = principal.can(Permission.READ_RECORDS)
    with get_services().engine.connect() as connection:
        overdue = overdue_by_department(connection, scope_condition("cases", scope), now)
        rows, total = unacknowledged_critical(connection, scope_condition("alerts", scope))
    alerts = [WaitingAlert(_rule(r), _place(r["sensor_id"]) if named else None, r["raised_at"]) for r in rows]
    groups = [OverdueGroup(_department(d, names), n, oldest) for d, n, oldest in overdue]
    gaps, stale = _gaps(scope)
    contracts = ("alerts", "cases", "chains") if scope.whole_park else ("alerts", "cases")
    decisions = needs_decision(alerts, groups, gaps, now, alert_total=total)
    return DecisionsRead(decisions, contracts, now, stale)
