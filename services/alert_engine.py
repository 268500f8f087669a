"""The alert rules applied to the store: the worker calls `evaluate_sensors` after storing a
batch of readings and `tick` on a clock; both return the sequence numbers of the alert events
they wrote, which the worker hands to `announce` once they are committed.

Each sensor's recent readings (back to `lookback(rule)`, by the readings' time index) and the
alerts its rules hold open are read from the store, the sensors from their snapshot (a small
contract); domain/alert_evaluation.py decides and each outcome is written in a transaction of
its own with its event:
  Raise   a new alert (id A-<park day>-<serial>), event `raised`, audited (alert.change by
          system). Raising takes the store's alert lock (store/alert_rows.lock_new_alerts) and
          looks again for an open alert of the same rule and sensor under it, so two workers
          judging the same readings raise it once.
  Update  the peak, severity, threshold and message, without a version step (no officer is
          sent back by a reading); an `updated` event and an audit row only when the severity
          changes, so a rising peak floods neither the live stream nor the audit log.
  Clear   the lifecycle's `clear` step as the system, with its event and audit row.
`tick` also escalates the alerts nobody acknowledged in the time the rule book allows their
severity (domain/alert_lifecycle.due_escalations), each under the version it was read at, so a
person acting in between wins and the escalation is dropped.

Not thread-safe per call beyond what the store guarantees; safe to run in several processes."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app

from domain.alert_evaluation import Clear, OpenAlert, Raise, Reading, Sensor, Update, evaluate, lookback
from domain.alert_lifecycle import Action, Severity, Step, due_escalations
from domain.alert_rules import AnyRule, OfflineRule
from domain.steps import StepRefused
from security import audit
from services.alert_book import rule_book
from services.alert_commands import alert_of, apply_system_step, write_decision
from services.context import get_services
from services.data import snapshot
from store import alert_rows
from store.engine import begin_write

log = logging.getLogger(__name__)

BUS_KEY = "onescreen.bus"
CHANNEL = "alerts"
_SYSTEM = "system"


def announce(seqs: list[int]) -> None:
    """Tell live clients that alert events up to max(seqs) are in the store: publishes
    {"seq": max(seqs)} on channel "alerts" through the app's bus (extensions["onescreen.bus"],
    anything with publish(channel, message)), when one is registered. Call after the commit;
    does nothing for no seqs or no bus."""
    if not seqs:
        return
    bus = current_app.extensions.get(BUS_KEY)
    if bus is not None:
        bus.publish(CHANNEL, {"seq": max(seqs)})


def _sensors(ids: Iterable[str] | None = None) -> dict[str, tuple[Sensor, str | None]]:
    """The sensors of `ids` (every one when None) as the evaluator sees them, with their owner."""
    frame = snapshot("sensors").frame
    if ids is not None:
        frame = frame[frame["id"].isin(list(ids))]
    out = {}
    for sensor_id, kind, thresholds, department in zip(
        frame["id"], frame["kind"], frame["thresholds"], frame["department"], strict=True
    ):
        owner = department if isinstance(department, str) else None
        out[sensor_id] = (
            Sensor(sensor_id, kind, thresholds if isinstance(thresholds, dict) else None),
            owner,
        )
    return out


def _open(row: dict[str, Any]) -> OpenAlert | None:
    try:
        severity = Severity(row["severity"])
    except ValueError:
        return None  # a foreign system's severity: its alert is not ours to judge
    value = row.get("value")
    return OpenAlert(
        severity, value if isinstance(value, float) and math.isfinite(value) else None, row["raised_at"]
    )


def evaluate_sensors(sensor_ids: Iterable[str], now: datetime) -> list[int]:
    """Judge every rule watching `sensor_ids` (unknown ids are skipped) over their recent
    readings at `now` and write what the rules decide; the sequence numbers of the events
    written. Level rules, and the offline rule of a sensor it holds an alert for (a reading
    may end the silence); tick() raises offline alerts."""
    sensors = _sensors(set(sensor_ids))
    if not sensors:
        return []
    book = rule_book()
    engine = get_services().engine
    with engine.connect() as connection:
        held = {
            (r["rule"], r["sensor_id"]): r
            for r in alert_rows.open_alerts(connection, sensor_ids=list(sensors))
        }
        # one query per quantity, back to the longest lookback of the rules reading it
        wanted: dict[str | None, tuple[set[str], datetime]] = {}
        jobs: list[tuple[AnyRule, str]] = []
        for sensor_id, (sensor, _owner) in sensors.items():
            for rule in book.for_kind(sensor.kind):
                offline = isinstance(rule, OfflineRule)
                if offline and (rule.id, sensor_id) not in held:
                    continue
                quantity = None if offline else rule.quantity
                ids, since = wanted.get(quantity, (set(), now))
                wanted[quantity] = (ids | {sensor_id}, min(since, now - lookback(rule)))
                jobs.append((rule, sensor_id))
        series = {
            quantity: alert_rows.readings_since(connection, ids, quantity, since)
            for quantity, (ids, since) in wanted.items()
        }
    outcomes = []
    for rule, sensor_id in jobs:
        quantity = None if isinstance(rule, OfflineRule) else rule.quantity
        readings = [Reading(at, value) for at, value in series[quantity].get(sensor_id, [])]
        row = held.get((rule.id, sensor_id))
        active = _open(row) if row is not None else None
        if row is not None and active is None:
            continue
        outcome = evaluate(rule, sensors[sensor_id][0], readings, active, now)
        if outcome is not None:
            outcomes.append((rule, sensor_id, row, outcome))
    return _apply(outcomes, sensors, now)


def tick(now: datetime) -> list[int]:
    """The clock's work at `now`: the offline rules over every sensor (a silent sensor raises,
    one heard again clears) and the escalations due; the sequence numbers of the events
    written."""
    book = rule_book()
    offline = [rule for rule in book.rules if isinstance(rule, OfflineRule)]
    sensors = _sensors()
    outcomes = []
    engine = get_services().engine
    if offline and sensors:
        window = max(lookback(rule) for rule in offline)
        with engine.connect() as connection:
            held = {
                (r["rule"], r["sensor_id"]): r
                for r in alert_rows.open_alerts(connection, rules=[rule.id for rule in offline])
            }
            heard = alert_rows.heard_since(connection, now - window)
            watched = {
                sid for sid, (s, _o) in sensors.items() if any(s.kind in r.sensor_kinds for r in offline)
            }
            # a sensor silent the whole window: its newest reading, however old, says since when
            quiet = [
                sid for sid in watched if sid not in heard and not any((r.id, sid) in held for r in offline)
            ]
            newest = alert_rows.newest_reading(connection, quiet)
        for rule in offline:
            for sensor_id in watched:
                sensor = sensors[sensor_id][0]
                times = heard.get(sensor_id) or ([newest[sensor_id]] if sensor_id in newest else [])
                row = held.get((rule.id, sensor_id))
                active = _open(row) if row is not None else None
                if row is not None and active is None:
                    continue
                outcome = evaluate(rule, sensor, [Reading(at, 0.0) for at in times], active, now)
                if outcome is not None:
                    outcomes.append((rule, sensor_id, row, outcome))
    seqs = _apply(outcomes, sensors, now)
    return seqs + _escalate(now)


def _escalate(now: datetime) -> list[int]:
    policy = rule_book().policy()
    if not policy.after:
        return []
    engine = get_services().engine
    with engine.connect() as connection:
        rows = alert_rows.unacknowledged(connection, now - min(policy.after.values()))
    alerts, by_id = [], {}
    for row in rows:
        try:
            alerts.append(alert_of(row))
        except StepRefused:
            continue  # a state the lifecycle does not know: left to people
        by_id[row["id"]] = row
    seqs = []
    for decision in due_escalations(alerts, now, policy):
        try:
            with begin_write(engine) as connection:
                seqs.append(write_decision(connection, by_id[decision.alert_id], _SYSTEM, decision, now))
        except StepRefused:
            continue  # someone acted on it since it was read: their step stands
    _expire(seqs)
    return seqs


def _apply(
    outcomes: list[tuple[AnyRule, str, dict[str, Any] | None, Any]], sensors: dict, now: datetime
) -> list[int]:
    seqs: list[int] = []
    engine = get_services().engine
    zone = get_services().settings.zone
    for rule, sensor_id, row, outcome in outcomes:
        with begin_write(engine) as connection:
            if isinstance(outcome, Raise):
                seq = _raise(connection, outcome, sensors[sensor_id][1], zone)
            elif isinstance(outcome, Update) and row is not None:
                seq = _update(connection, row, outcome, now)
            elif isinstance(outcome, Clear) and row is not None:
                seq = _clear(connection, row["id"], outcome)
            else:
                seq = None
        if seq is not None:
            seqs.append(seq)
        else:
            log.debug("rule %s on %s: %s changed nothing", rule.id, sensor_id, type(outcome).__name__)
    _expire(seqs)
    return seqs


def _detail(title: str, message: Any) -> dict[str, Any]:
    return {"title": title, "message": message.key, "values": dict(message.values)}


def _raise(connection: Any, outcome: Raise, department: str | None, zone: Any) -> int | None:
    alert_rows.lock_new_alerts(connection)
    if alert_rows.open_alert_of(connection, outcome.rule, outcome.sensor_id) is not None:
        return None  # another worker raised it first
    alert_id = alert_rows.next_alert_id(connection, outcome.at, zone)
    row = {**outcome.row(alert_id, department), "detail": _detail(outcome.title.key, outcome.message)}
    alert_rows.insert_alert(connection, row)
    facts = {"rule": outcome.rule, "severity": outcome.severity.value, "value": outcome.value,
             "threshold": outcome.threshold}  # fmt: skip
    seq = alert_rows.append_event(connection, alert_id=alert_id, action="raised", actor=_SYSTEM, at=outcome.at,
                                  to_state="raised", detail=facts)  # fmt: skip
    audit.record(connection, "alert.change", actor=_SYSTEM, target=f"alert:{alert_id}",
                 detail={"action": "raise", "to": "raised", "version": 1, "seq": seq, **facts}, at=outcome.at)  # fmt: skip
    return seq


def _update(connection: Any, row: dict[str, Any], outcome: Update, now: datetime) -> int | None:
    changes = {**outcome.changes, "detail": _detail(f"alert_rule.{row['rule']}", outcome.message)}
    if not alert_rows.update_condition(connection, row["id"], changes):
        return None  # cleared since it was read
    if outcome.severity.value == row["severity"]:
        return None  # a new peak only: on the alert, not in the stream or the audit log
    facts = {"severity": outcome.severity.value, "was": row["severity"], "value": outcome.value,
             "threshold": outcome.threshold}  # fmt: skip
    now = max(now, row["raised_at"])
    seq = alert_rows.append_event(connection, alert_id=row["id"], action="updated", actor=_SYSTEM, at=now,
                                  from_state=row["state"], to_state=row["state"], detail=facts)  # fmt: skip
    audit.record(connection, "alert.change", actor=_SYSTEM, target=f"alert:{row['id']}",
                 detail={"action": "update", "seq": seq, **facts}, at=now)  # fmt: skip
    return seq


def _clear(connection: Any, alert_id: str, outcome: Clear) -> int | None:
    row = alert_rows.read_alert(connection, alert_id)  # under the write lock: its version now
    if row is None:
        return None
    try:
        _decision, seq = apply_system_step(
            connection, row, Step(Action.CLEAR, row.get("version") or 1, outcome.at)
        )
    except StepRefused:
        return None  # cleared already, or closed
    return seq


def _expire(seqs: list[int]) -> None:
    if seqs:
        get_services().snapshots.expire("alerts")
