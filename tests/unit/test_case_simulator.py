"""The live demo park (live/case_simulator.py): ticks with a fixed clock report new cases at
the park's rhythm and move open ones along the loop by legal steps only, recorded and audited;
one simulator acts at a time; production never runs one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from apps import build_app
from sqlalchemy import func, select

from demo.case_flow import next_step, reports_due
from domain.case_clock import StageLimits
from domain.case_lifecycle import RULES, Action, Status
from live.case_simulator import ACTOR, CaseSimulator, should_run
from security import audit
from store.models import Case, CaseEvent

ZONE_NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in the park
LIMITS = StageLimits(0.5, 1, 24, 24)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("live"), demo_cases=2_000)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


def _count(engine, *where):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()


def test_reports_follow_the_daily_rate_and_the_hour_of_day():
    rng = np.random.default_rng(1)
    zone = __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    day = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday, 10:00 local
    night = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)  # 03:00 local
    rates = {"grid_patrol": 100.0, "hotline_12345": 50.0}
    by_day = [reports_due(rates, day, day + timedelta(hours=1), zone, rng) for _ in range(200)]
    by_night = [reports_due(rates, night, night + timedelta(hours=1), zone, rng) for _ in range(200)]
    assert np.mean([d["grid_patrol"] for d in by_day]) > 5  # patrols peak mid-morning
    assert sum(d["grid_patrol"] for d in by_night) == 0  # and do not patrol at 3 a.m.
    assert np.mean([d["hotline_12345"] for d in by_night]) > 0  # the hotline never closes


def test_a_step_is_drawn_only_from_the_cases_status():
    rng = np.random.default_rng(2)
    for status in Status:
        for _ in range(200):
            planned = next_step(status, "hotline_12345", LIMITS, timedelta(hours=48), rng)
            if planned is not None:
                assert status in RULES[planned.action].sources
    assert next_step(Status.CLOSED, "wechat", LIMITS, timedelta(days=9), rng) is None
    hotline_closes = [
        next_step(Status.VERIFIED, "hotline_12345", LIMITS, timedelta(days=2), rng) for _ in range(20)
    ]
    assert all(p.action is Action.CLOSE and p.satisfaction in range(1, 6) for p in hotline_closes if p)


def test_ticks_report_cases_and_move_open_ones_by_legal_steps(app, engine):
    simulator = CaseSimulator(app.server, seed=7, interval_s=600, owner="test-a")
    before = _count(engine)
    # mid-morning in the park, and the rate of a park of 300,000 cases (this one is small)
    now = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) + timedelta(days=1)
    channels = ("hotline_12345", "video_ai", "grid_patrol", "wechat", "snap_report", "portal")
    simulator._rates = (now, dict.fromkeys(channels, 60.0))
    done = {"reported": 0, "steps": 0}
    for i in range(12):  # two hours of ten-minute ticks
        result = simulator.tick(now + timedelta(minutes=10 * i))
        assert result["lease"] == 1
        done = {k: done[k] + result[k] for k in done}
    assert done["reported"] > 0 and done["steps"] > 0
    assert _count(engine) == before + done["reported"]
    with engine.connect() as c:
        events = c.execute(
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.from_status, CaseEvent.to_status)
            .where(CaseEvent.actor == ACTOR)
            .order_by(CaseEvent.pk)
        ).all()
        new = c.execute(select(Case.id, Case.channel, Case.status).where(Case.reported_at >= now)).all()
    assert len(events) == done["steps"]
    for _case, action, source, target in events:  # every step the loop allows, nothing else
        assert Status(source) in RULES[Action(action)].sources
        assert Status(target) is RULES[Action(action)].target
    assert len({case_id for case_id, *_ in new}) == len(new)  # numbers never repeat
    assert {channel for _, channel, _ in new} <= set(channels)
    audited = audit.query(engine, audit.AuditFilter(actions=("case.change",), actor=ACTOR))
    assert len(audited) == done["steps"]


def test_only_one_simulator_acts_at_a_time(app, engine):
    # days after the other test's ticks, whose lease would still be held at tomorrow's hours
    now = datetime.now(UTC) + timedelta(days=5)
    first = CaseSimulator(app.server, seed=1, interval_s=60, owner="test-first")
    second = CaseSimulator(app.server, seed=2, interval_s=60, owner="test-second")
    assert first.tick(now)["lease"] == 1
    assert second.tick(now + timedelta(seconds=30))["lease"] == 0
    # the holder stops renewing: after three intervals the other takes over
    assert second.tick(now + timedelta(minutes=4))["lease"] == 1
    assert first.tick(now + timedelta(minutes=4, seconds=30))["lease"] == 0


def test_it_runs_only_on_the_embedded_demo_park_with_demo_live_on(app):
    settings = app.server.extensions["onescreen"].settings
    assert should_run(settings, "demo")
    assert not should_run(settings, None)  # a store holding a real park
    assert not should_run(settings.model_copy(update={"demo_live": False}), "demo")
    assert not should_run(settings.model_copy(update={"profile": "production"}), "demo")
