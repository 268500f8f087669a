"""The hints the Cases grid gives the store's planner (store/planner_hints.py, case_query._plan)
change how rows are found, never which rows or in what order: every filter, sort, scope and
block reads what the same filter and sort on the whole table read with pandas, whichever way
SQLite was told to go. And the hints compile to what each engine understands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from apps import build_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from security.scope import WHOLE_PARK, Scope
from services.case_query import OPEN_STATUSES, TABLE, CaseFilter, _plan, case_page, conditions, ordering

OWN = "urban_management"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("case-plans"), demo_cases=800)
    services = app.server.extensions["onescreen"]
    engine = services.engine
    with engine.connect() as connection:
        frame = pd.read_sql(select(TABLE), connection)
    for name in ("reported_at", "sla_deadline"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return engine, services.settings.zone, frame


def _expected(frame, f: CaseFilter, scope: Scope, zone, now, sort) -> list[str]:
    """The ids in the grid's order, by pandas over the whole table."""
    keep = pd.Series(True, index=frame.index)
    if not scope.whole_park:
        keep &= frame["department"] == scope.department
    for name in ("channel", "domain", "grid_cell", "department", "status"):
        if getattr(f, name):
            keep &= frame[name].isin(getattr(f, name))
    if f.overdue:
        keep &= frame["status"].isin(OPEN_STATUSES) & (frame["sla_deadline"] < now)
    if f.since is not None:
        keep &= frame["reported_at"] >= pd.Timestamp(datetime.combine(f.since, datetime.min.time(), zone))
    column, ascending = (sort[0]["colId"], sort[0]["sort"] == "asc") if sort else ("reported_at", False)
    rows = frame[keep].sort_values([column, "pk"], ascending=[ascending, ascending], na_position="first")
    return rows["id"].tolist()


def _filters(frame, zone, now):
    today = now.astimezone(zone).date()
    cell = frame.loc[frame["department"] == OWN, "grid_cell"].dropna().mode()[0]
    return {
        "all": CaseFilter(),
        "open": CaseFilter(status=("dispatched", "in_progress", "handled")),
        "closed": CaseFilter(status=("closed",)),
        "channel": CaseFilter(channel=(frame["channel"].mode()[0],)),
        "channel_domain": CaseFilter(
            channel=(frame["channel"].mode()[0],), domain=(frame["domain"].mode()[0],)
        ),
        "overdue": CaseFilter(overdue=True),
        "department_30d": CaseFilter(department=(OWN,), since=today - timedelta(days=30)),
        "two_departments": CaseFilter(department=(OWN, frame["department"].mode()[0])),
        "cell": CaseFilter(grid_cell=(cell,)),
    }


@pytest.mark.parametrize("sort_name", ["newest", "deadline_asc", "deadline_desc", "oldest"])
def test_every_plan_reads_the_rows_pandas_reads_in_the_same_order(store, sort_name):
    engine, zone, frame = store
    now = datetime.now(UTC)
    sort = {
        "newest": None,
        "deadline_asc": [{"colId": "sla_deadline", "sort": "asc"}],
        "deadline_desc": [{"colId": "sla_deadline", "sort": "desc"}],
        "oldest": [{"colId": "reported_at", "sort": "asc"}],
    }[sort_name]
    for name, f in _filters(frame, zone, now).items():
        for scope in (WHOLE_PARK, Scope(OWN)):
            expected = _expected(frame, f.within(scope), scope, zone, now, sort)
            # small blocks make SQLite walk the sort's index, large ones make it sort (_plan)
            for start, end in ((0, 10), (15, 25), (0, 300)):
                rows, total = case_page(engine, f, scope, zone, start=start, end=end, sort=sort, now=now)
                assert total == len(expected), (name, scope)
                assert [r["id"] for r in rows] == expected[start:end], (name, scope, start, end)


def test_the_plan_follows_how_many_rows_match(store):
    engine, _, _ = store
    with engine.connect() as connection:
        rows = connection.execute(select(TABLE.c.pk).order_by(TABLE.c.pk.desc())).first()[0]
        plain = CaseFilter(channel=("hotline_12345",))
        # most rows match: reading the sort's index in order finds a block soonest
        assert _plan(connection, plain, "sla_deadline", rows, 10, None) == "walk"
        # a handful match: read them and sort
        assert _plan(connection, plain, "sla_deadline", 3, 100, None) == "sort"
        # a report-time range is uneven over the deadline order: always read and sorted
        ranged = CaseFilter(since=datetime.now(UTC).date() - timedelta(days=30))
        assert _plan(connection, ranged, "sla_deadline", rows, 10, None) == "sort"
        assert _plan(connection, ranged, "reported_at", rows, 10, None) == "walk"
        # a sort without an index of its own is left to the planner
        assert _plan(connection, plain, None, rows, 10, None) is None


def test_hints_compile_for_each_engine(store):
    _, zone, _ = store
    where = conditions(CaseFilter(status=("dispatched",), channel=("wechat",)), Scope(OWN), zone,
                       walk="reported_at")  # fmt: skip
    query = select(TABLE.c.id).where(*where).order_by(*ordering(None, sorted_after=True))
    on_sqlite = str(query.compile(dialect=sqlite.dialect()))
    assert "likelihood(+cases.status IN" in on_sqlite and "0.01)" in on_sqlite
    assert "+cases.channel IN" in on_sqlite and "cases.department = " in on_sqlite
    assert "ORDER BY +cases.reported_at DESC, cases.pk DESC" in on_sqlite
    on_postgresql = str(query.compile(dialect=postgresql.dialect()))
    assert "likelihood" not in on_postgresql and "+cases" not in on_postgresql
    assert "cases.status IN" in on_postgresql
    assert "ORDER BY (cases.reported_at + interval '0 seconds') DESC, cases.pk DESC" in on_postgresql


def _plan_reads(engine, zone, f: CaseFilter, scope: Scope) -> list[str]:
    """The statements case_page runs for a block of `f` within `scope` besides the count and the
    page (the planner's sizes: _plan), read off the real engine."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        case_page(engine, f, scope, zone, start=0, end=10, sort=[{"colId": "sla_deadline", "sort": "asc"}])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    count, *sizes, page = seen
    assert "count(*)" in count and "LIMIT" in page, seen
    return sizes


def test_the_plan_reads_only_the_sizes_it_uses(store):
    engine, zone, frame = store
    channel = frame["channel"].mode()[0]
    # the whole park: its size is the largest key, read at once
    [largest] = _plan_reads(engine, zone, CaseFilter(channel=(channel,)), WHOLE_PARK)
    assert "max(cases.pk)" in largest
    # one department and more: the department's size only
    for f, scope in ((CaseFilter(channel=(channel,)), Scope(OWN)),
                     (CaseFilter(department=(OWN,), channel=(channel,)), WHOLE_PARK)):  # fmt: skip
        [department] = _plan_reads(engine, zone, f, scope)
        assert "count(*)" in department and "max(" not in department
    # one department alone: its size is the count just read
    for f, scope in ((CaseFilter(), Scope(OWN)), (CaseFilter(department=(OWN,)), WHOLE_PARK),
                     (CaseFilter(department=(OWN,)), Scope(OWN))):  # fmt: skip
        assert _plan_reads(engine, zone, f, scope) == []
