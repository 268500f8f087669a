"""What the Alerts page and the wall's alert panels read: the filtered feed of alerts sorted for
a duty officer (critical first, then newest), the sensor behind an alert (its kind and place),
its readings around the alert, and the open alerts counted by severity (aggregate: no alert's
facts, so screens viewers may see it). Scoped like every read: a department head's feed holds
the alerts its department answers; another department asked for is refused (security.scope)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.alert_lifecycle import OPEN, SEVERITY_RANK, Severity, State
from security.guard import requires
from security.roles import Permission
from security.scope import Scope
from services.alert_detail import alert_page
from services.context import get_services
from services.data import snapshot
from store.alert_desk_rows import open_by_severity, readings_between

FEED_LIMIT = 300  # alerts a feed lists: more open at once is a flood, and the filters narrow it
HOURS = (1, 6, 24, 168, 720)  # the time range's choices: raised in the last N hours
OPEN_STATES = tuple(s.value for s in State if s in OPEN)
BEFORE, AFTER = timedelta(hours=2), timedelta(hours=1)  # the readings' window around raised_at


@dataclass(frozen=True)
class FeedFilter:
    """The Alerts page's filters as checked; `dropped` names what the URL held that is none."""

    states: tuple[str, ...] = OPEN_STATES
    severities: tuple[str, ...] = ()
    department: str | None = None
    kind: str | None = None
    hours: int | None = None
    dropped: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, query: Mapping[str, Any], kinds: set[str]) -> FeedFilter:
        """From a URL query or the controls: lists as comma-separated text or lists; values that
        are none of the known ones are dropped and named (the rest still filter)."""
        dropped: list[str] = []

        def listed(name: str, known: set[str]) -> tuple[str, ...]:
            raw = query.get(name)
            items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
            kept = []
            for item in items:
                if isinstance(item, str) and item in known:
                    kept.append(item)
                elif item not in ("", None):
                    dropped.append(f"{name}={str(item)[:32]}")
            return tuple(dict.fromkeys(kept))

        states = listed("state", {s.value for s in State}) if "state" in query else OPEN_STATES
        severities = listed("severity", {s.value for s in Severity})
        kind = query.get("kind") or None
        if kind is not None and kind not in kinds:
            dropped.append(f"kind={str(kind)[:32]}")
            kind = None
        hours = query.get("hours")
        try:
            hours = int(hours) if hours not in (None, "") else None
        except (TypeError, ValueError):
            hours = -1
        if hours is not None and hours not in HOURS:
            dropped.append(f"hours={str(query.get('hours'))[:16]}")
            hours = None
        department = query.get("department") or None
        return cls(states, severities, department, kind, hours, tuple(dropped))

    def query(self) -> dict[str, str]:
        """The URL query holding these filters (the open states are the default, left out)."""
        out: dict[str, str] = {}
        if self.states != OPEN_STATES:
            out["state"] = ",".join(self.states)
        if self.severities:
            out["severity"] = ",".join(self.severities)
        if self.department:
            out["department"] = self.department
        if self.kind:
            out["kind"] = self.kind
        if self.hours:
            out["hours"] = str(self.hours)
        return out


def sorted_for_duty(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Critical first, then warning, then info; within a severity the newest raised first."""
    rank = {s.value: r for s, r in SEVERITY_RANK.items()}
    newest = sorted(rows, key=lambda r: r["raised_at"], reverse=True)
    return sorted(newest, key=lambda r: -rank.get(r["severity"], -1))


def _sensors() -> Any:
    return snapshot("sensors").frame


def sensor_kinds() -> list[str]:
    """The kinds of sensor the park registers, in name order."""
    frame = _sensors()
    return sorted(str(k) for k in frame["kind"].dropna().unique()) if "kind" in frame else []


@requires(Permission.READ_RECORDS)
def feed(scope: Scope, f: FeedFilter, now: datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """The alerts within `scope` matching `f`, sorted for duty (at most FEED_LIMIT), and how
    many match. A sensor kind narrows to the alerts of that kind's sensors."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=f.hours) if f.hours else None
    rows, total = alert_page(scope, limit=FEED_LIMIT if not f.kind else 10_000, offset=0, state=f.states,
                             severity=f.severities, since=since)  # fmt: skip
    if f.kind:
        frame = _sensors()
        ids = set(frame.loc[frame["kind"] == f.kind, "id"])
        rows = [r for r in rows if r.get("sensor_id") in ids]
        total = len(rows)
    return sorted_for_duty(rows[:FEED_LIMIT]), total


def sensor_of(sensor_id: str | None) -> dict[str, Any] | None:
    """The registered sensor `sensor_id` (kind, names, place, grid cell, its quantities'
    units), or None. Call for an alert already read within scope."""
    if not sensor_id:
        return None
    frame = _sensors()
    picked = frame[frame["id"] == sensor_id]
    return None if picked.empty else picked.iloc[0].to_dict()


@dataclass(frozen=True)
class History:
    points: list[tuple[datetime, float, bool]]  # (time, value, an hourly mean)
    threshold: float | None
    since: datetime
    until: datetime


@requires(Permission.READ_RECORDS)
def history_around(alert: dict[str, Any], now: datetime | None = None) -> History | None:
    """The alert's sensor's readings of its quantity from BEFORE its raising to AFTER it (or
    now, for a recent one), with the rule's threshold; None for an alert without a sensor."""
    sensor_id, quantity = alert.get("sensor_id"), alert.get("quantity")
    if not sensor_id or not quantity:
        return None
    now = now or datetime.now(UTC)
    raised = alert["raised_at"]
    since, until = raised - BEFORE, min(raised + AFTER, now)
    with get_services().engine.connect() as connection:
        points = readings_between(connection, sensor_id, quantity, since, max(until, raised))
    return History(points, alert.get("threshold"), since, until)


@requires(Permission.VIEW_SCREENS)
def open_counts(scope: Scope) -> dict[str, int]:
    """How many alerts are open (someone still has to act) of each severity within `scope`;
    every severity named, 0 when none. Counts only: safe for any screen viewer."""
    with get_services().engine.connect() as connection:
        counts = open_by_severity(connection, OPEN_STATES, scope.department)
    return {s.value: counts.get(s.value, 0) for s in Severity}


@requires(Permission.ACT)
def assignable_people(own_department: str | None) -> dict[str, str | None]:
    """Who an alert may be given to by name (user name → department): the duty officers and
    department heads; for a department head, those of its own department only."""
    from services.alert_commands import ASSIGNABLE_ROLES
    from store.alert_rows import people

    with get_services().engine.connect() as connection:
        found = people(connection, ASSIGNABLE_ROLES)
    return {n: d for n, d in sorted(found.items()) if own_department is None or d == own_department}
