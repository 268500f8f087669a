"""How the live demo park's cases flow (pure; live/case_simulator.py applies it to the store):
how many cases each channel reports in an interval, at the park's weekly and daily rhythm
(demo/rhythms.py), and which step an open case takes next, after a stage time drawn around
the same medians the generated history uses (demo/cases.py).

Stage times are exponential with the stage's median: the chance that a case finishes its stage
within `dt` is 1 - 2^(-dt / median), memoryless, so a tick of any length gives the same flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from demo.rhythms import DIURNAL, WEEKLY
from domain.case_clock import StageLimits
from domain.case_lifecycle import Action, RejectReason, Status

# Median share of a stage's limit that the stage takes (demo/cases.py's _STAGE_MEDIAN).
STAGE_MEDIAN_SHARE = {"accept": 0.15, "dispatch": 0.2, "handle": 0.28, "verify": 0.15}
# Starting work takes a fifth of the handling stage; the rest is the work itself.
START_SHARE = 0.2
CLOSE_MEDIAN_H = {"resident": 2.0, "staff": 0.3}  # the callback to a resident takes longer
STAFF_CHANNELS = frozenset({"grid_patrol", "video_ai"})
REJECT_SHARE = 0.02  # reports that turn out invalid or duplicate
RETURN_SHARE = 0.03  # dispatched cases a department sends back
REOPEN_SHARE = 0.02  # handled cases the resident is not satisfied with
SATISFACTION_P = (0.02, 0.03, 0.07, 0.20, 0.68)
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class NextStep:
    action: Action
    note: str | None = None
    satisfaction: int | None = None
    reason: RejectReason | None = None


def reports_due(
    daily_rate: dict[str, float], start: datetime, end: datetime, zone: ZoneInfo, rng: np.random.Generator
) -> dict[str, int]:
    """How many cases each channel reports between `start` and `end`: Poisson draws around
    each channel's mean daily count, shaped by weekday and hour in the park's zone."""
    seconds = max((end - start).total_seconds(), 0.0)
    local = (start + (end - start) / 2).astimezone(zone)
    due = {}
    for channel, per_day in daily_rate.items():
        hourly = DIURNAL.get(channel, [1.0] * 24)
        shape = hourly[local.hour] / (sum(hourly) / 24) * WEEKLY.get(channel, [1.0] * 7)[local.weekday()]
        due[channel] = int(rng.poisson(per_day * shape * seconds / 86_400))
    return due


def _done_within(dt: timedelta, median: timedelta, rng: np.random.Generator) -> bool:
    if median <= timedelta(0):
        return True
    return bool(rng.random() < 1 - 2 ** (-(dt / median)))


def next_step(
    status: Status, channel: str, limits: StageLimits, dt: timedelta, rng: np.random.Generator
) -> NextStep | None:
    """The step an open case in `status` takes within `dt`, or None when it is still in its
    stage. A few reports are rejected, a few cases returned or reopened, as in a real centre."""
    if status is Status.REPORTED:
        if not _done_within(dt, limits.accept_h * STAGE_MEDIAN_SHARE["accept"] * HOUR, rng):
            return None
        if rng.random() < REJECT_SHARE:
            return NextStep(
                Action.REJECT, "现场核实无此问题 / nothing found on site", reason=RejectReason.INVALID
            )
        return NextStep(Action.ACCEPT)
    if status in (Status.ACCEPTED, Status.RETURNED):
        median = limits.dispatch_h * STAGE_MEDIAN_SHARE["dispatch"] * HOUR
        return NextStep(Action.DISPATCH) if _done_within(dt, median, rng) else None
    handle = limits.handle_h * STAGE_MEDIAN_SHARE["handle"] * HOUR
    if status is Status.DISPATCHED:
        if not _done_within(dt, handle * START_SHARE, rng):
            return None
        if rng.random() < RETURN_SHARE:
            return NextStep(Action.RETURN, "不属本部门职责，退回指挥中心 / not ours: back to the centre")
        return NextStep(Action.START)
    if status is Status.IN_PROGRESS:
        return NextStep(Action.HANDLE, "处置完毕 / handled") if _done_within(dt, handle, rng) else None
    if status is Status.HANDLED:
        if not _done_within(dt, limits.verify_h * STAGE_MEDIAN_SHARE["verify"] * HOUR, rng):
            return None
        if rng.random() < REOPEN_SHARE:
            return NextStep(Action.REOPEN, "回访群众不满意，重新派遣 / the resident is not satisfied")
        return NextStep(Action.VERIFY)
    if status is Status.VERIFIED:
        median = CLOSE_MEDIAN_H["staff" if channel in STAFF_CHANNELS else "resident"] * HOUR
        if not _done_within(dt, median, rng):
            return None
        score = int(rng.choice(5, p=SATISFACTION_P)) + 1 if channel not in STAFF_CHANNELS else None
        return NextStep(Action.CLOSE, satisfaction=score)
    return None
