"""The SLA clock of a case (时限): each stage's limit from the case-type catalogue
(config/case_types.yaml), counted from the end of the stage before, and the whole case's
closing limit, counted from its report.

    stage     runs while the case is                starts at
    accept    reported                              reported_at
    dispatch  accepted, returned                    accepted_at (a return: when it came back)
    handle    dispatched, in_progress               dispatched_at (a reopen: when it was reopened)
    verify    handled                               handled_at

A verified case waits only for its closing; closed and rejected cases have no running clock.
A running deadline is "due soon" once less than `warn_share` of its limit is left (and it is
not yet passed), "overdue" once passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.case_lifecycle import Status

STAGES = ("accept", "dispatch", "handle", "verify")
WARN_SHARE = 0.2
# the status a stage runs in, and the time column that starts it
RUNNING_STAGE = {
    Status.REPORTED: "accept",
    Status.ACCEPTED: "dispatch",
    Status.RETURNED: "dispatch",
    Status.DISPATCHED: "handle",
    Status.IN_PROGRESS: "handle",
    Status.HANDLED: "verify",
}
STAGE_START = {
    "accept": "reported_at",
    "dispatch": "accepted_at",
    "handle": "dispatched_at",
    "verify": "handled_at",
}
STAGE_END = {
    "accept": "accepted_at",
    "dispatch": "dispatched_at",
    "handle": "handled_at",
    "verify": "verified_at",
}


class Standing(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"  # finished within its limit
    MISSED = "missed"  # finished after its limit
    PENDING = "pending"  # not reached yet


@dataclass(frozen=True, slots=True)
class StageLimits:
    """Hours allowed per stage for one case type."""

    accept_h: float
    dispatch_h: float
    handle_h: float
    verify_h: float

    def hours(self, stage: str) -> float:
        return float(getattr(self, f"{stage}_h"))

    @property
    def total(self) -> timedelta:
        return timedelta(hours=sum(self.hours(s) for s in STAGES))


@dataclass(frozen=True, slots=True)
class Times:
    """The case's stage times (None when not reached) and when it entered its current status."""

    reported_at: datetime
    accepted_at: datetime | None = None
    dispatched_at: datetime | None = None
    handled_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    status_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StageClock:
    stage: str
    limit: timedelta
    started: datetime | None
    deadline: datetime | None
    finished: datetime | None
    standing: Standing


@dataclass(frozen=True, slots=True)
class CaseClock:
    """The case's current stage (None when none runs) and its deadline, the whole case's
    deadline, and how each stands at `now`."""

    stage: str | None
    stage_deadline: datetime | None
    stage_standing: Standing | None
    case_deadline: datetime
    case_standing: Standing
    stages: tuple[StageClock, ...]

    @property
    def overdue(self) -> bool:
        return Standing.OVERDUE in (self.stage_standing, self.case_standing)

    @property
    def due_soon(self) -> bool:
        return not self.overdue and Standing.DUE_SOON in (self.stage_standing, self.case_standing)


def case_deadline(reported_at: datetime, limits: StageLimits) -> datetime:
    """The time by which a case must be closed: its report plus the sum of its stage limits."""
    return reported_at + limits.total


def _running(deadline: datetime, limit: timedelta, now: datetime, warn_share: float) -> Standing:
    if now > deadline:
        return Standing.OVERDUE
    return Standing.DUE_SOON if deadline - now < limit * warn_share else Standing.ON_TIME


def clock(
    status: Status, times: Times, limits: StageLimits, now: datetime, *, warn_share: float = WARN_SHARE
) -> CaseClock:
    """The clock of a case in `status` with `times` at `now` (all timezone-aware)."""
    running = RUNNING_STAGE.get(status)
    stages = []
    reached_running = False
    for stage in STAGES:
        limit = timedelta(hours=limits.hours(stage))
        started = getattr(times, STAGE_START[stage])
        if stage == running:
            reached_running = True
            # a returned case waits for a new dispatch: that clock counts from its return (a
            # reopen re-stamps dispatched_at, so the handling clock restarts by itself)
            if status is Status.RETURNED and times.status_at is not None:
                started = times.status_at
            started = started or times.status_at or times.reported_at
            deadline = started + limit
            stages.append(
                StageClock(stage, limit, started, deadline, None, _running(deadline, limit, now, warn_share))
            )
            continue
        finished = getattr(times, STAGE_END[stage])
        if reached_running or started is None or finished is None:
            stages.append(
                StageClock(stage, limit, None if reached_running else started, None, None, Standing.PENDING)
            )
            continue
        deadline = started + limit
        stages.append(
            StageClock(
                stage,
                limit,
                started,
                deadline,
                finished,
                Standing.MET if finished <= deadline else Standing.MISSED,
            )
        )
    whole = case_deadline(times.reported_at, limits)
    total = limits.total
    if status is Status.CLOSED:
        end = times.closed_at or times.status_at or now
        case_standing = Standing.MET if end <= whole else Standing.MISSED
    elif status is Status.REJECTED:
        case_standing = Standing.MET
    else:
        case_standing = _running(whole, total, now, warn_share)
    current = next((s for s in stages if s.stage == running), None)
    return CaseClock(
        stage=running,
        stage_deadline=current.deadline if current else None,
        stage_standing=current.standing if current else None,
        case_deadline=whole,
        case_standing=case_standing,
        stages=tuple(stages),
    )
