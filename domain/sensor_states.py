"""The sensor network's state, by kind of sensor: how many sensors report on time (online),
have missed their latest reading (late), or have gone quiet (silent).

- silent: no reading for `silent_after` (the map's sensors layer and the "sensors reporting"
  KPI use the same 30 minutes, so the three agree on one screen);
- late: heard within that time, but its newest reading is older than its kind's usual interval
  between readings by half an interval or more (a reading missed);
- online: the rest.

A kind's usual interval is measured, not configured: the median gap between consecutive
readings of its sensors within the window (a feed may report every minute or every five). With
no two readings of a sensor of that kind in the window it is unknown, and a heard sensor counts
as online. Pure: the reading times come in from the store (services/sensor_states.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from statistics import median

STATES = ("online", "late", "silent")
GRACE = 1.5  # intervals a newest reading may be old before one counts as missed


def usual_interval(times: Iterable[Sequence[datetime]]) -> timedelta | None:
    """The median gap between consecutive readings over several sensors' reading times."""
    gaps: list[timedelta] = []
    for series in times:
        ordered = sorted(set(series))
        gaps.extend(b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a)
    return timedelta(seconds=median(g.total_seconds() for g in gaps)) if gaps else None


def state_of(
    times: Sequence[datetime], now: datetime, silent_after: timedelta, interval: timedelta | None
) -> str:
    recent = [at for at in times if now - at < silent_after]
    if not recent:
        return "silent"
    if interval is not None and now - max(recent) > interval * GRACE:
        return "late"
    return "online"


def states_by_kind(
    kinds: Mapping[str, str],
    heard: Mapping[str, Sequence[datetime]],
    now: datetime,
    silent_after: timedelta,
) -> dict[str, Counter]:
    """kind -> Counter of STATES over the sensors `kinds` names (sensor id -> kind); `heard`:
    each sensor's reading times within the window (a sensor not in it is silent)."""
    by_kind: dict[str, list[str]] = {}
    for sensor, kind in kinds.items():
        by_kind.setdefault(kind, []).append(sensor)
    out: dict[str, Counter] = {}
    for kind, sensors in sorted(by_kind.items()):
        interval = usual_interval(heard.get(s, ()) for s in sensors)
        out[kind] = Counter({state: 0 for state in STATES})
        out[kind].update(state_of(heard.get(s, ()), now, silent_after, interval) for s in sensors)
    return out
