"""The KPI page's ranges in the park's time zone: where each starts, the period before and a
year earlier, the sparkline's buckets, and a bad custom range refused with a message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.kpi_periods import MAX_DAYS, PeriodError, edges, period

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # Monday 7 December, 04:30 in the park


def local(p_start: datetime) -> datetime:
    return p_start.astimezone(ZONE)


def test_each_range_starts_at_the_parks_midnight_and_ends_now():
    assert local(period("today", NOW, ZONE).start) == datetime(2026, 12, 7, tzinfo=ZONE)
    assert local(period("week", NOW, ZONE).start) == datetime(2026, 12, 7, tzinfo=ZONE)  # a Monday
    assert local(period("month", NOW, ZONE).start) == datetime(2026, 12, 1, tzinfo=ZONE)
    assert local(period("quarter", NOW, ZONE).start) == datetime(2026, 10, 1, tzinfo=ZONE)
    assert local(period("year", NOW, ZONE).start) == datetime(2026, 1, 1, tzinfo=ZONE)
    assert all(period(n, NOW, ZONE).end == NOW for n in ("today", "week", "month", "quarter", "year"))


def test_a_custom_range_holds_its_last_day_and_stops_at_now():
    p = period("custom", NOW, ZONE, date(2026, 11, 1), date(2026, 11, 30))
    assert local(p.start) == datetime(2026, 11, 1, tzinfo=ZONE) and local(p.end) == datetime(
        2026, 12, 1, tzinfo=ZONE
    )
    ongoing = period("custom", NOW, ZONE, date(2026, 12, 1), date(2026, 12, 31))
    assert ongoing.end == NOW


def test_the_last_n_days_run_from_this_minute_that_many_days_ago_to_now():
    moment = NOW + timedelta(seconds=42)
    p = period("last", moment, ZONE, days=30)
    assert p.start == NOW - timedelta(days=30) and p.end == moment
    assert p.before().end == p.start


def test_the_period_before_and_a_year_earlier():
    p = period("custom", NOW, ZONE, date(2024, 3, 1), date(2024, 3, 31))
    before = p.before()
    assert before.end == p.start and before.end - before.start == p.end - p.start
    leap = period("custom", NOW, ZONE, date(2024, 2, 29), date(2024, 2, 29)).shifted(years=1)
    assert local(leap.start) == datetime(2023, 2, 28, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("name", "since", "until", "message"),
    [
        ("custom", date(2026, 11, 30), date(2026, 11, 1), "before the first"),
        ("custom", date(2027, 1, 1), date(2027, 1, 2), "after today"),
        ("custom", date(2020, 1, 1), date(2026, 1, 1), f"longer than {MAX_DAYS}"),
        ("custom", None, date(2026, 1, 1), "needs both"),
        ("custom", date(1, 1, 1), date(1, 1, 5), "starts before 1900-01-01"),
        ("custom", date(1899, 12, 31), date(1900, 1, 2), "starts before 1900-01-01"),
        ("fortnight<script>", None, None, "unknown range"),
        ("last", None, None, "give 1 to"),
    ],
)
def test_a_bad_range_is_refused_with_a_message(name, since, until, message):
    with pytest.raises(PeriodError, match=message):
        period(name, NOW, ZONE, since, until)


def test_buckets_cover_the_range_in_local_units():
    today = edges(period("today", NOW, ZONE), ZONE)
    assert today[0] == period("today", NOW, ZONE).start and today[-1] == NOW and len(today) == 6  # 00-04:30
    month = edges(period("month", NOW, ZONE), ZONE)
    assert [local(e).day for e in month[:-1]] == [1, 2, 3, 4, 5, 6, 7]
    year = edges(period("year", NOW, ZONE), ZONE)
    assert [local(e).month for e in year[:-1]] == list(range(1, 13))
    long = edges(period("custom", NOW, ZONE, date(2025, 1, 1), date(2025, 12, 31)), ZONE)
    assert all(b > a for a, b in zip(long, long[1:], strict=False)) and long[-1] - long[-2] <= timedelta(
        days=31
    )
