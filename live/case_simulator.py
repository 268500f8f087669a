"""The live demo park's cases: a background thread of the embedded app that reports new cases
through the six channels at the park's rhythm and moves open ones along the closed loop as the
departments would (demo/case_flow.py decides when, domain/case_lifecycle.py whether), so a
screen left open changes like a real centre's and its freshness indicator stays honest.

It runs only in the embedded profile, on a store holding the demo park, with `demo_live` on.
Several serving processes may start it: a lease in the store's meta table lets one of them
act at a time (another takes over when the holder stops renewing it). Every step goes through
services.case_commands.apply_step, so the simulator's steps are recorded and audited exactly
as an officer's are, under the name `demo-simulator`."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from flask import Flask
from sqlalchemy import Connection, func, insert, select

from demo.case_flow import next_step, reports_due
from domain.case_clock import case_deadline
from domain.case_lifecycle import OPEN, Action, Actor, Desk, Status, Step, StepRefused
from live.periodic import PeriodicJob, hold_lease
from services.case_commands import apply_step
from services.case_types import limits_of
from services.context import get_services
from store import case_rows
from store.engine import begin_write
from store.models import Case, CaseEvent

log = logging.getLogger(__name__)

ACTOR = "demo-simulator"
LEASE_KEY = "demo.case_simulator"
RATE_DAYS = 28  # the park's recent daily rate per channel sets how fast new cases come
MAX_CATCH_UP = timedelta(hours=1)  # after a pause, simulate at most this much at once
STATUS_VALUES = frozenset(s.value for s in Status)
OPEN_BATCH = 5_000  # open cases looked at per tick (the oldest first)
CHANNEL_NOTE = {
    "hotline_12345": "12345热线上报",
    "video_ai": "视频智能发现上报",
    "grid_patrol": "网格员巡查上报",
    "wechat": "微信公众号上报",
    "snap_report": "随手拍上报",
    "portal": "门户网站上报",
}


def should_run(settings: Any, park: str | None) -> bool:
    return settings.profile == "embedded" and settings.demo_live and park == "demo"


class CaseSimulator(PeriodicJob):
    """One simulator per serving process; `tick(now)` is one round (called by the thread, or
    directly by tests with a fixed clock). Not thread-safe: one thread ticks."""

    title = "the demo case simulator"

    def __init__(self, server: Flask, *, seed: int, interval_s: float, owner: str | None = None) -> None:
        super().__init__(timedelta(seconds=interval_s))
        self.server = server
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.rng = np.random.default_rng([seed, os.getpid()])
        self.last: datetime | None = None
        self._rates: tuple[datetime, dict[str, float]] | None = None

    # -- one round --------------------------------------------------------------------------
    def tick(self, now: datetime) -> dict[str, int]:
        """Report the cases due since the last tick and advance open ones; counts of what it
        did ({"reported": n, "steps": m, "lease": 0 or 1})."""
        with self.server.app_context():
            services = get_services()
            engine = services.engine
            if not self._hold_lease(engine, now):
                self.last = now
                return {"reported": 0, "steps": 0, "lease": 0}
            start = max(self.last or now - self.interval, now - MAX_CATCH_UP)
            self.last = now
            dt = now - start
            reported = self._report(engine, start, now, services.settings.zone)
            steps = self._advance(engine, now, dt)
            if reported or steps:
                services.snapshots.expire("cases")
                services.snapshots.expire("case_events")
            return {"reported": reported, "steps": steps, "lease": 1}

    def _hold_lease(self, engine: Any, now: datetime) -> bool:
        return hold_lease(engine, LEASE_KEY, self.owner, now, now + 3 * self.interval)

    def _daily_rates(self, engine: Any, now: datetime) -> dict[str, float]:
        if self._rates and now - self._rates[0] < timedelta(hours=1):
            return self._rates[1]
        since = now - timedelta(days=RATE_DAYS)
        with engine.connect() as connection:
            counts = connection.execute(
                select(Case.channel, func.count()).where(Case.reported_at >= since).group_by(Case.channel)
            ).all()
        rates = {channel: count / RATE_DAYS for channel, count in counts}
        self._rates = (now, rates)
        return rates

    def _report(self, engine: Any, start: datetime, end: datetime, zone: Any) -> int:
        due = reports_due(self._daily_rates(engine, end), start, end, zone, self.rng)
        made = 0
        with begin_write(engine) as connection:
            for channel, count in due.items():
                for _ in range(count):
                    at = start + (end - start) * float(self.rng.random())
                    if self._report_one(connection, channel, at, zone):
                        made += 1
        return made

    def _report_one(self, connection: Connection, channel: str, at: datetime, zone: Any) -> bool:
        """A new case like one the park had from `channel`: a past case of that channel gives
        its type, place and wording (so the park's mix of types and places holds)."""
        table = Case.__table__
        low, high = connection.execute(select(func.min(table.c.pk), func.max(table.c.pk))).one()
        if low is None:
            return False
        pivot = int(self.rng.integers(low, high + 1))
        columns = [table.c[n] for n in ("case_type", "domain", "grid_cell", "department", "lon", "lat")]
        columns += [table.c[n] for n in ("address", "address_en", "description")]
        template = (
            connection.execute(
                select(*columns)
                .where(table.c.channel == channel, table.c.pk >= pivot)
                .order_by(table.c.pk)
                .limit(1)
            ).first()
            or connection.execute(select(*columns).where(table.c.channel == channel).limit(1)).first()
        )
        limits = limits_of(template.case_type) if template is not None else None
        if template is None or limits is None:
            return False
        row = dict(template._mapping)
        if row["lon"] is not None and row["lat"] is not None:  # a few metres away: another report
            row["lon"] += float(self.rng.normal(0, 0.00015))
            row["lat"] += float(self.rng.normal(0, 0.00012))
        case_id = case_rows.next_case_id(connection, at, zone)
        connection.execute(
            insert(table).values(
                **row,
                id=case_id,
                channel=channel,
                status=Status.REPORTED.value,
                reported_at=at,
                status_at=at,
                sla_deadline=case_deadline(at, limits),
                version=1,
                reopen_count=0,
            )
        )
        connection.execute(
            insert(CaseEvent.__table__).values(
                case_id=case_id,
                action="reported",
                actor=channel,
                at=at,
                note=CHANNEL_NOTE.get(channel, channel),
                to_status=Status.REPORTED.value,
            )
        )
        return True

    def _advance(self, engine: Any, now: datetime, dt: timedelta) -> int:
        table = Case.__table__
        with engine.connect() as connection:
            open_cases = connection.execute(
                select(table.c.id, table.c.status, table.c.channel, table.c.case_type)
                .where(table.c.status.in_([s.value for s in OPEN]), table.c.reported_at <= now)
                .order_by(table.c.reported_at)
                .limit(OPEN_BATCH)
            ).all()
        taken = 0
        for case_id, status, channel, case_type in open_cases:
            limits = limits_of(case_type)
            if limits is None or status not in STATUS_VALUES:
                continue
            planned = next_step(Status(status), channel, limits, dt, self.rng)
            if planned is not None and self._take(engine, case_id, planned, now):
                taken += 1
        return taken

    def _take(self, engine: Any, case_id: str, planned: Any, now: datetime) -> bool:
        with begin_write(engine) as connection:
            row = case_rows.read_case(connection, case_id)
            if row is None:
                return False
            actor = Actor(ACTOR, frozenset({Desk.CENTRE, Desk.DEPARTMENT}), row["department"])
            step = Step(
                planned.action,
                row.get("version") or 1,
                max(now, row["reported_at"]),
                note=planned.note,
                department=row["department"] if planned.action is Action.DISPATCH else None,
                satisfaction=planned.satisfaction,
                reason=planned.reason,
            )
            try:
                apply_step(connection, row, actor, step)
            except StepRefused as refusal:  # e.g. an officer acted on it meanwhile: fine
                log.debug("simulated %s on %s refused: %s", planned.action, case_id, refusal)
                return False
        return True


def start_simulator(server: Flask, park: str | None) -> CaseSimulator | None:
    """Start the simulator's thread when it should run here (see the module's docstring)."""
    settings = server.extensions["onescreen"].settings
    if not should_run(settings, park):
        return None
    simulator = CaseSimulator(server, seed=settings.demo_seed, interval_s=settings.demo_live_interval_s)
    simulator.start()
    log.info("the demo park is live: new cases every few seconds (demo_live: false turns it off)")
    return simulator
