"""The Cases page's grid queries run in the store: each filter counts what the same filter on
the cases frame counts, the scope is a condition of every query, a tampered link narrows the
view and says what it dropped, sorting takes known columns only and pages never overlap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest
from apps import build_app

from security.scope import WHOLE_PARK, Scope
from services.case_query import MAX_PAGE, OPEN_STATUSES, CaseFilter, case_page

OWN = "urban_management"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("case-query"), demo_cases=800)


@pytest.fixture(scope="module")
def store(app):
    services = app.server.extensions["onescreen"]
    with app.server.app_context():
        from services.data import snapshot

        frame = snapshot("cases").frame
    return services.engine, services.settings.zone, frame


def _known(frame):
    return {
        name: (lambda n=name: set(frame[n].dropna()))
        for name in ("status", "channel", "domain", "department")
    }


def _count(store, f: CaseFilter, scope: Scope = WHOLE_PARK, now=None) -> int:
    engine, zone, _ = store
    return case_page(engine, f, scope, zone, start=0, end=1, now=now)[1]


def test_each_filter_counts_what_pandas_counts(store):
    _, zone, frame = store
    status = frame["status"].iloc[0]
    assert _count(store, CaseFilter()) == len(frame)
    assert _count(store, CaseFilter(status=(status,))) == (frame["status"] == status).sum()
    two = tuple(frame["channel"].unique()[:2])
    domain = frame["domain"].iloc[5]
    both = frame["channel"].isin(two) & (frame["domain"] == domain)
    assert _count(store, CaseFilter(channel=two, domain=(domain,))) == both.sum()
    cell = frame["grid_cell"].dropna().iloc[3]
    assert _count(store, CaseFilter(grid_cell=(cell,))) == (frame["grid_cell"] == cell).sum()
    # days are the park's: from the first day's midnight to the end of the last day, local time
    day = frame["reported_at"].max().tz_convert(zone).date() - timedelta(days=10)
    start = pd.Timestamp(datetime.combine(day, time(), zone))
    inside = (frame["reported_at"] >= start) & (frame["reported_at"] < start + pd.Timedelta(days=3))
    assert _count(store, CaseFilter(since=day, until=day + timedelta(days=2))) == inside.sum()


def test_overdue_is_open_past_its_deadline(store):
    _, _, frame = store
    # a small demo park may have no open case past its deadline today (800 cases over a year
    # leave one or two open): judge just before and just after the first open deadline, so the
    # count moves from none to some while every closed case's deadline has long passed
    open_deadlines = frame.loc[frame["status"].isin(OPEN_STATUSES), "sla_deadline"].dropna()
    assert len(open_deadlines) > 0 and (frame["sla_deadline"] < open_deadlines.min()).sum() > 0
    first = open_deadlines.min().to_pydatetime()
    for now in (
        first - timedelta(seconds=1),
        first + timedelta(seconds=1),
        datetime.now(UTC) + timedelta(days=60),
    ):
        overdue = frame["status"].isin(OPEN_STATUSES) & (frame["sla_deadline"] < pd.Timestamp(now))
        assert _count(store, CaseFilter(overdue=True), now=now) == overdue.sum()
    assert _count(store, CaseFilter(overdue=True), now=first - timedelta(seconds=1)) == 0
    assert _count(store, CaseFilter(overdue=True), now=first + timedelta(seconds=1)) > 0


def test_a_department_head_reads_their_department_only_whatever_the_filter_names(store):
    engine, zone, frame = store
    other = next(d for d in frame["department"].dropna().unique() if d != OWN)
    rows, total = case_page(engine, CaseFilter(department=(other,)), Scope(OWN), zone, start=0, end=MAX_PAGE)
    assert total == (frame["department"] == OWN).sum()
    assert {r["department"] for r in rows} == {OWN}


def test_a_tampered_link_reads_a_narrower_view_and_names_what_it_dropped(store):
    _, _, frame = store
    status = frame["status"].iloc[0]
    query = {
        "status": [status, "<script>alert(1)</script>"],
        "department": "atlantis," + OWN,
        "channel": "x" * 500,
        "since": "yesterday",
        "until": "2026-12-05",
        "overdue": "maybe",
    }
    f = CaseFilter.parse(query, _known(frame))
    assert f.status == (status,) and f.department == (OWN,) and f.channel == ()
    assert f.since is None and f.until == date(2026, 12, 5) and f.overdue is False
    assert "status=<script>alert(1)</script>" in f.dropped and "department=atlantis" in f.dropped
    assert "since=yesterday" in f.dropped and any(d.startswith("channel=xxx") for d in f.dropped)
    assert max(len(d) for d in f.dropped) < 100
    assert CaseFilter.parse(f.query(), _known(frame)) == f  # a link reproduces the view


def test_sorting_takes_known_columns_and_pages_never_overlap(store):
    engine, zone, frame = store
    ascending, _ = case_page(
        engine,
        CaseFilter(),
        WHOLE_PARK,
        zone,
        start=0,
        end=50,
        sort=[{"colId": "reported_at", "sort": "asc"}],
    )
    assert ascending[0]["reported_at"] == frame["reported_at"].min().to_pydatetime()
    tampered = [{"colId": "pk; DROP TABLE cases", "sort": "asc"}, "junk", {"colId": "description"}]
    default, _ = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=50, sort=tampered)
    assert default[0]["reported_at"] == frame["reported_at"].max().to_pydatetime()
    whole, _ = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=300)
    pages = [
        case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=s, end=s + 100)[0] for s in (0, 100, 200)
    ]
    assert [r["id"] for p in pages for r in p] == [r["id"] for r in whole]
    huge, total = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=-5, end=10**9)
    assert len(huge) == MAX_PAGE and total == len(frame)


@pytest.mark.parametrize(
    "sort",
    [
        [{"colId": ["reported_at"], "sort": "asc"}],  # a list is no column name (and unhashable)
        [{"colId": {"x": 1}, "sort": "asc"}],
        [{"colId": "no_such_column", "sort": "asc"}],
        [{"colId": "sla_deadline", "sort": "sideways"}],
        [{"colId": "sla_deadline", "sort": ["asc"]}],
        [{"colId": "sla_deadline"}],
        ["junk", 3, None, ["sla_deadline", "asc"]],
        {"colId": "sla_deadline", "sort": "asc"},  # not a list
        "sla_deadline",
        42,
    ],
    ids=lambda s: repr(s)[:40],
)
def test_a_tampered_sort_reads_the_default_order(store, sort):
    engine, zone, _ = store
    default, total = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=60)
    rows, tampered_total = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=60, sort=sort)
    assert tampered_total == total
    assert [r["id"] for r in rows] == [r["id"] for r in default]


def test_the_valid_entries_of_a_partly_tampered_sort_are_kept(store):
    engine, zone, frame = store
    sort = [{"colId": ["x"], "sort": "asc"}, "junk", {"colId": "sla_deadline", "sort": "asc"}]
    rows, _ = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=60, sort=sort)
    clean, _ = case_page(engine, CaseFilter(), WHOLE_PARK, zone, start=0, end=60,
                         sort=[{"colId": "sla_deadline", "sort": "asc"}])  # fmt: skip
    assert [r["id"] for r in rows] == [r["id"] for r in clean]
    deadlines = [r["sla_deadline"] for r in rows if r["sla_deadline"] is not None]
    assert deadlines == sorted(deadlines)
