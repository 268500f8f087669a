"""Turning an alert into a case: one command that files a case on the `iot_alert` channel with
the case commands' machinery (reported, then accepted by the officer who opened it, each with
its case event and audit row) and records it on the alert (the lifecycle's open_case step, its
event and audit row), all in the caller's transaction. The two are linked both ways: the case's
alert_id names the alert, the alert's case_id the case. An alert gives one case: the lifecycle
refuses a second before anything is written.

The case's type comes from the rule book (config/alert_rules.yaml `cases`: by rule, else by
the sensor's kind); its place (point, grid cell, address) from the sensor; the department that
answers the alert answers the case (else the type's own); its description is the alert's
title and message in Chinese, as the park's cases are written."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from domain.alert_lifecycle import Decision, Step, decide
from domain.case_clock import case_deadline
from domain.case_lifecycle import Action as CaseAction
from domain.case_lifecycle import Status
from domain.case_lifecycle import Step as CaseStep
from domain.steps import Actor, StepRefused
from locales import t
from security import audit
from services import case_commands
from services.alert_book import rule_book
from services.alert_commands import alert_of, write_decision
from services.case_types import home_of, limits_of
from services.context import get_services
from services.data import snapshot
from store import case_rows

CHANNEL = "iot_alert"  # demo/catalogue.py CHANNELS


def sensor_of(sensor_id: str | None) -> dict[str, Any] | None:
    """The sensor's row in the sensors snapshot (a small contract), or None."""
    if not sensor_id:
        return None
    frame = snapshot("sensors").frame
    found = frame[frame["id"] == sensor_id]
    if found.empty:
        return None
    row = found.iloc[0].to_dict()
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def description_of(row: dict[str, Any]) -> str:
    """The alert's title and message in Chinese, naming the alert."""
    detail = row.get("detail") or {}
    title = t(f"alert_rule.{row['rule']}", "zh")
    message = t(detail["message"], "zh", **(detail.get("values") or {})) if detail.get("message") else ""
    return f"{title}：{message}（告警 {row['id']}）" if message else f"{title}（告警 {row['id']}）"


def open_case(
    connection: Any, row: dict[str, Any], actor: Actor, step: Step, *, ip: str | None = None
) -> tuple[Decision, int]:
    """Open a case from the alert `row` (read in this transaction) for `actor` and link the
    two; the alert's decision and its event's sequence number. Raises StepRefused (or
    StaleVersion) having written nothing: the lifecycle's refusals (not the centre, closed,
    linked already, a stale version), or `no_case_type` when the rule book maps the alert to
    no case type the catalogue knows."""
    services = get_services()
    sensor = sensor_of(row.get("sensor_id"))
    case_type = rule_book().case_type(row["rule"], sensor and sensor.get("kind"))
    home, limits = (home_of(case_type), limits_of(case_type)) if case_type else (None, None)
    if case_type is None or home is None or limits is None:
        raise StepRefused(
            "no_case_type", f"no case type is mapped to rule {row['rule']!r}", rule=str(row["rule"])[:64]
        )
    case_rows.lock_new_cases(connection)
    case_id = case_rows.next_case_id(connection, step.at, services.settings.zone)
    # the lifecycle decides first: a refused step writes no case
    decision = decide(alert_of(row), actor, replace(step, case_id=case_id))
    domain, department = home
    place = sensor or {}
    case = {
        "id": case_id, "channel": CHANNEL, "domain": domain, "case_type": case_type,
        "grid_cell": place.get("grid_cell"), "department": row.get("department") or department,
        "status": Status.REPORTED.value, "reported_at": step.at, "status_at": step.at,
        "sla_deadline": case_deadline(step.at, limits), "lon": place.get("lon"), "lat": place.get("lat"),
        "address": place.get("address"), "address_en": place.get("address_en"),
        "description": description_of(row), "version": 1, "reopen_count": 0, "alert_id": row["id"],
    }  # fmt: skip
    case_rows.insert_case(connection, case)
    case_rows.append_event(connection, case_id=case_id, action="reported", actor=actor.name, at=step.at,
                           note=step.note, from_status=None, to_status=Status.REPORTED.value,
                           detail={"via": "alert", "alert_id": row["id"]})  # fmt: skip
    audit.record(
        connection,
        "case.change",
        actor=actor.name,
        target=f"case:{case_id}",
        detail={
            "action": "report",
            "to": Status.REPORTED.value,
            "channel": CHANNEL,
            "case_type": case_type,
            "via": "alert",
            "alert_id": row["id"],
            "version": 1,
        },  # fmt: skip
        ip=ip,
        at=step.at,
    )
    # whoever opens it from the alert has accepted it: the closed loop's own step, decided there
    case_commands.apply_step(connection, case, actor, CaseStep(CaseAction.ACCEPT, 1, step.at), ip=ip)
    return decision, write_decision(connection, row, actor.name, decision, step.at, ip=ip)
