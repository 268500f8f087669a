"""The KPI page's time ranges in the park's time zone: today, this week, month, quarter and year
(each up to now), custom days, or the last N days up to now (a card's own rolling window); the period before of the same length, the same period a year
earlier, and the buckets of a range's sparkline. A range read from a URL is checked: an inverted,
future, pre-1900 or absurdly long range is refused with a message, never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RANGES = ("today", "week", "month", "quarter", "year", "custom")  # the picker's ranges
LAST = "last"  # the last `days` days up to now: how an Overview card's rolling window opens
MAX_DAYS = 3 * 366 + 1  # a custom range longer than three years is refused
# A custom range's days before this are refused: no park has data then, and a range near year 1
# would overflow the year-earlier and period-before arithmetic (Period.shifted / before).
EARLIEST = date(1900, 1, 1)
BUCKETS = {"today": ("hour", 24), "week": ("day", 7), "month": ("day", 31), "quarter": ("week", 14)}


class PeriodError(ValueError):
    """A range that cannot be read: the message says why (shown to the user)."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes, and how it was asked for."""

    name: str
    start: datetime
    end: datetime

    def shifted(self, *, years: int = 0) -> Period:
        """The same local dates `years` earlier (29 February becomes the 28th)."""

        def back(moment: datetime) -> datetime:
            try:
                return moment.replace(year=moment.year - years)
            except ValueError:
                return moment.replace(year=moment.year - years, day=28)

        return Period(self.name, back(self.start), back(self.end))

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.name, self.start - (self.end - self.start), self.start)


def park_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The park's date now: its days roll over at midnight in `zone` (the settings' timezone),
    whatever the zone or the clock of the computer showing them."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def period(
    name: str,
    now: datetime,
    zone: ZoneInfo,
    since: date | None = None,
    until: date | None = None,
    days: int | None = None,
) -> Period:
    """The range `name` as of `now` (custom: the park-local days since..until, until included;
    last: the `days` days up to now, from this minute that many days ago). Raises PeriodError."""
    today = now.astimezone(zone).date()
    if name == LAST:
        if days is None or not 1 <= days <= MAX_DAYS:
            raise PeriodError(f"the last {days} days: give 1 to {MAX_DAYS} days")
        # from the minute: the figure is cached by the minute (services.kpi_values), as is its end
        return Period(name, now.replace(second=0, microsecond=0) - timedelta(days=days), now)
    if name == "today":
        return Period(name, _midnight(today, zone), now)
    if name == "week":
        return Period(name, _midnight(today - timedelta(days=today.weekday()), zone), now)
    if name == "month":
        return Period(name, _midnight(today.replace(day=1), zone), now)
    if name == "quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(name, _midnight(first, zone), now)
    if name == "year":
        return Period(name, _midnight(today.replace(month=1, day=1), zone), now)
    if name != "custom":
        raise PeriodError(f"unknown range {name[:20]!r}: one of {', '.join(RANGES)}")
    if since is None or until is None:
        raise PeriodError("a custom range needs both a first and a last day")
    if until < since:
        raise PeriodError(f"the last day {until} is before the first {since}")
    if since < EARLIEST:
        raise PeriodError(f"the range starts before {EARLIEST} ({since})")
    if since > today:
        raise PeriodError(f"the range starts after today ({since})")
    if (until - since).days + 1 > MAX_DAYS:
        raise PeriodError(f"a range of {(until - since).days + 1} days is longer than {MAX_DAYS}")
    return Period(name, _midnight(since, zone), min(_midnight(until + timedelta(days=1), zone), now))


def edges(p: Period, zone: ZoneInfo) -> list[datetime]:
    """The sparkline's bucket edges over `p`: hours of today, days of a week or month, weeks of a
    quarter, months of a year or a long custom range; the last bucket ends at p.end."""
    if p.name in BUCKETS:
        unit, _ = BUCKETS[p.name]
    else:
        days = (p.end - p.start).days
        unit = "hour" if days < 2 else "day" if days <= 62 else "week" if days <= 190 else "month"
    start = p.start.astimezone(zone)
    out = [start]
    while out[-1] < p.end:
        last = out[-1]
        if unit == "hour":
            step = (last + timedelta(hours=1)).astimezone(zone)
        elif unit == "day":
            step = _midnight(last.date() + timedelta(days=1), zone)
        elif unit == "week":
            step = _midnight(last.date() + timedelta(days=7), zone)
        else:
            month = last.date().replace(day=1)
            step = _midnight((month + timedelta(days=32)).replace(day=1), zone)
        out.append(step)
    out[-1] = p.end
    return out if len(out) >= 2 else [p.start, p.end]
