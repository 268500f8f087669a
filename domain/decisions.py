"""The leaders' "needs a decision" list (待决策事项): the few things on the park that want a
decision now, ranked and each put as one sentence a leader reads from across the room.

Three kinds, in this order of urgency: critical alerts nobody has acknowledged (a hazard,
minutes count), open cases past their deadline (residents wait, by department), and the chain
links most worth an investment drive (services/chains targets: weeks, not minutes). The list
holds at most MAX_ITEMS sentences: each kind has a QUOTA, and a kind with less to say leaves
its lines to the next kind with more. A kind that has more than its lines can name closes with
one sentence counting the rest, so nothing is dropped in silence.

Pure: the facts come in as plain values (services/decisions.py reads them from the store, in
the principal's scope) and each Decision is a catalogue key with its values, which the panel
(components/panel_decisions.py) puts into words in the reader's language: a Name by language, a
Term as its catalogue text, a timedelta as a duration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_ITEMS = 5  # sentences a leader takes in at a glance
KINDS = ("alert", "overdue", "gap")  # most urgent first
QUOTA = {"alert": 2, "overdue": 2, "gap": 1}


@dataclass(frozen=True)
class Name:
    """A thing's name in both languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class Term:
    """A word of the catalogue (its key), for things named by the app, not the data."""

    key: str


@dataclass(frozen=True)
class OverdueGroup:
    """A department's open cases past their deadline."""

    department: Name | Term
    count: int
    oldest_deadline: datetime


@dataclass(frozen=True)
class WaitingAlert:
    """A critical alert nobody has acknowledged. `place` None: the reader may count alerts but
    not read which and where (a screens viewer), and the sentence only counts them."""

    rule: Term
    place: Name | None
    raised_at: datetime


@dataclass(frozen=True)
class Gap:
    """A chain link that is an investment target: services/chains targets' first row."""

    chain: Name
    link: Name
    status: str  # empty | weak
    finding: Any  # its first finding (domain.chain_analysis.Finding), put in words by the panel


@dataclass(frozen=True)
class Decision:
    kind: str  # one of KINDS
    key: str  # the sentence's catalogue key
    values: Mapping[str, Any] = field(default_factory=dict)


def allot(available: Mapping[str, int], limit: int = MAX_ITEMS) -> dict[str, int]:
    """Lines per kind: its quota first, then what is left to the kinds with more, most urgent
    first."""
    lines: dict[str, int] = {}
    spare = limit
    for kind in KINDS:
        lines[kind] = min(QUOTA[kind], available.get(kind, 0), spare)
        spare -= lines[kind]
    for kind in KINDS:
        extra = min(spare, available.get(kind, 0) - lines[kind])
        lines[kind] += extra
        spare -= extra
    return lines


def _alert_lines(alerts: Sequence[WaitingAlert], total: int, lines: int, now: datetime) -> list[Decision]:
    if not alerts or lines < 1:
        return []
    oldest_first = sorted(alerts, key=lambda a: a.raised_at)
    named = oldest_first if len(alerts) <= lines else oldest_first[: lines - 1]
    if oldest_first[0].place is None or not named:  # counted only (or one line for several)
        age = now - oldest_first[0].raised_at
        return [Decision("alert", "decisions.alerts_counted", {"count": total, "age": age})]
    out = [
        Decision("alert", "decisions.alert", {"rule": a.rule, "place": a.place, "age": now - a.raised_at})
        for a in named
    ]
    rest = oldest_first[len(named) :]
    if rest:
        age = now - rest[0].raised_at
        values = {"count": total - len(named), "age": age}
        out.append(Decision("alert", "decisions.alerts_more", values))
    return out


def _overdue_lines(groups: Sequence[OverdueGroup], lines: int, now: datetime) -> list[Decision]:
    if not groups or lines < 1:
        return []
    # the department with most overdue first; alike: the one keeping a resident waiting longest
    ranked = sorted(groups, key=lambda g: (-g.count, g.oldest_deadline))
    named = ranked if len(ranked) <= lines else ranked[: lines - 1]
    if not named:  # one line for several departments: all of them counted together
        oldest = min(g.oldest_deadline for g in ranked)
        values = {"count": sum(g.count for g in ranked), "departments": len(ranked), "age": now - oldest}
        return [Decision("overdue", "decisions.overdue_counted", values)]
    out = [
        Decision(
            "overdue",
            "decisions.overdue",
            {"department": g.department, "count": g.count, "age": now - g.oldest_deadline},
        )
        for g in named
    ]
    rest = ranked[len(named) :]
    if rest:
        values = {"count": sum(g.count for g in rest), "departments": len(rest)}
        out.append(Decision("overdue", "decisions.overdue_more", values))
    return out


def _gap_lines(gaps: Sequence[Gap], lines: int) -> list[Decision]:
    if not gaps or lines < 1:
        return []
    first = gaps[0]
    values = {
        "chain": first.chain,
        "link": first.link,
        "finding": first.finding,
        "count": len(gaps),
    }
    return [Decision("gap", "decisions.gap", values)]


def needs_decision(
    alerts: Sequence[WaitingAlert],
    overdue: Sequence[OverdueGroup],
    gaps: Sequence[Gap],
    now: datetime,
    alert_total: int | None = None,
    limit: int = MAX_ITEMS,
) -> list[Decision]:
    """The ranked sentences: unacknowledged critical alerts (oldest first), overdue cases by
    department (most first), the chains' best investment target; at most `limit`.
    `alert_total`: how many such alerts there are when `alerts` holds only the oldest."""
    total = max(alert_total or 0, len(alerts))
    counted_only = bool(alerts) and alerts[0].place is None
    lines = allot(
        {"alert": 1 if counted_only else len(alerts), "overdue": len(overdue), "gap": min(len(gaps), 1)},
        limit,
    )
    return [
        *_alert_lines(alerts, total, lines["alert"], now),
        *_overdue_lines(overdue, lines["overdue"], now),
        *_gap_lines(gaps, lines["gap"]),
    ]
