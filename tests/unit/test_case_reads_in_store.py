"""No serving process reads the whole cases table (issue 11, DESIGN): a sign-in, the start-up
prefetch, an Overview load with the header's freshness, the Cases grid, the JSON API's case
pages and one case (and a probe of another department's), a Sources check, each on a demo park
of a few thousand cases, while every read the park store's adapter makes is counted. Records
read in the store give the answers the whole frame gives; case events are scoped through their
cases looked up in the store; the Sources page's row count for cases is the window's."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import signed_in
from sqlalchemy import event, func, select

from data_sources.adapters.sql_store import SqlStoreSource
from data_sources.contracts import CONTRACTS
from data_sources.validation import conform
from security.scope import WHOLE_PARK, Scope
from store.models import Case

OWN, OTHER = "urban_management", "ecology_environment"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("case-reads"), demo_cases=3_000)


@pytest.fixture
def fetched(app, monkeypatch):
    """Every fetch through the store's adapter from here on: (contract, since, rows), the real
    adapter answering. The snapshots read so far are dropped, so every read shows."""
    seen: list[tuple[str, datetime | None, int]] = []
    original = SqlStoreSource.fetch

    def counting(self, contract, since=None):
        frame = original(self, contract, since)
        seen.append((contract, since, len(frame)))
        return frame

    monkeypatch.setattr(SqlStoreSource, "fetch", counting)
    app.server.extensions["onescreen"].snapshots.forget()
    return seen


def _whole(app) -> pd.DataFrame:
    """Every case, read whole by the test (never by the app) and conformed as a snapshot is."""
    services = app.server.extensions["onescreen"]
    return conform(services.sources.monitors["park-store"].source.fetch("cases"), CONTRACTS["cases"])


def test_a_visit_never_reads_the_whole_cases_table(app, fetched):
    from app import SNAPSHOT_PANELS
    from services.data import prefetch

    services = app.server.extensions["onescreen"]
    with services.engine.connect() as c:
        every = c.execute(select(func.count()).select_from(Case.__table__)).scalar_one()
    assert every >= 3_000
    prefetch(app.server, SNAPSHOT_PANELS).join(timeout=120)
    leader, leader_csrf = signed_in(app, "leader")
    head, head_csrf = signed_in(app, "department_head")
    assert leader.get("/").status_code == 200
    for client, csrf in ((leader, leader_csrf), (head, head_csrf)):
        overview = call(client, csrf, app, output_named(app, "overview-body.children"),
                        {"overview-tick.n_intervals": 1, "shell-lang.value": "en"})  # fmt: skip
        assert overview.status_code == 200, overview.get_data(as_text=True)[:300]
        header = call(client, csrf, app, output_named(app, "shell-freshness.children"),
                      {"shell-freshness-tick.n_intervals": 1, "shell-lang.value": "en"})  # fmt: skip
        assert header.status_code == 200
        grid = call(client, csrf, app, output_named(app, "cases-grid.getRowsResponse"),
                    {"cases-grid.getRowsRequest": {"startRow": 0, "endRow": 100},
                     "cases-filter.data": {}, "shell-lang.value": "en"})  # fmt: skip
        assert grid.status_code == 200
    page = leader.get("/api/v1/cases?limit=50").get_json()
    assert page["total"] == every and len(page["items"]) == 50
    own = head.get("/api/v1/cases?limit=5").get_json()["items"][0]["id"]
    other = next(i["id"] for i in page["items"] if i["department"] not in (OWN, None))
    assert leader.get(f"/api/v1/cases/{own}").get_json()["id"] == own
    assert head.get(f"/api/v1/cases/{own}").status_code == 200
    assert head.get(f"/api/v1/cases/{other}").status_code == 404  # a probe, audited
    with app.server.app_context():
        services.snapshots.check("park-store")  # the Sources page's "check now"
    cases_reads = [(since, rows) for contract, since, rows in fetched if contract == "cases"]
    assert cases_reads, "the header reads the recent cases for their freshness"
    assert all(since is not None and rows < every for since, rows in cases_reads), cases_reads
    assert ("cases", None) not in services.snapshots._entries


@pytest.mark.parametrize(
    ("scope", "filters"),
    [
        (WHOLE_PARK, {}),
        (Scope(OWN), {}),
        (WHOLE_PARK, {"status": ["closed", "reported"], "domain": "urban_management"}),
        (Scope(OTHER), {"case_type": "illegal_parking", "since": datetime(2026, 1, 1, tzinfo=UTC)}),
        (Scope("no_such_department"), {}),
    ],
)
def test_pages_read_in_the_store_equal_the_whole_frames(app, scope, filters):
    from services import records

    frame = _whole(app)
    mask = pd.Series(True, index=frame.index)
    if not scope.whole_park:
        mask &= frame["department"] == scope.department
    for name in ("status", "case_type"):
        if name in filters:
            mask &= frame[name].isin(pd.Series(filters[name]).tolist())
    if "domain" in filters:
        mask &= frame["domain"] == filters["domain"]
    if "since" in filters:
        mask &= frame["reported_at"] >= filters["since"]
    expected = frame[mask].sort_values(["reported_at", "id"], ascending=False)
    with app.server.app_context():
        pages = [records.cases(scope, limit=40, offset=o, **filters) for o in (0, 40, len(expected))]
        records_of = records.records_of
    assert [total for _, total in pages] == [len(expected)] * 3
    got = pd.concat([pages[0][0], pages[1][0]])
    assert got["id"].tolist() == expected["id"].head(80).tolist()
    assert pages[2][0].empty
    if len(expected):
        assert records_of(got.head(3)) == records_of(expected.head(3))  # the same cells and types
        assert list(got.dtypes) == list(expected.dtypes)


@pytest.fixture
def statements(app):
    """The SQL the app's engine runs from here on (the real engine, listened to)."""
    engine = app.server.extensions["onescreen"].engine
    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_apis_case_pages_tell_sqlite_that_open_cases_are_few(app, statements):
    """An open-status page reads the few open cases and sorts them (the Cases grid's hint,
    store/planner_hints.rare), and newest first ends with the store's key, as every index does:
    without both SQLite walked the report-time index past a million closed cases."""
    from services import records

    frame = _whole(app)
    open_own = frame[(frame["department"] == OWN) & frame["status"].isin(["dispatched", "in_progress"])]
    expected = open_own.sort_values(["reported_at", "id"], ascending=False)["id"].head(20).tolist()
    with app.server.app_context():
        page, total = records.cases(Scope(OWN), status=["dispatched", "in_progress"], limit=20)
    assert total == len(open_own) and page["id"].tolist() == expected
    with app.server.app_context():
        export = records.export_cases(
            WHOLE_PARK, status="handled", engine=app.server.extensions["onescreen"].engine
        )
        export.close()
    pages = [s for s, _ in statements if "ORDER BY" in s]
    assert len(pages) == 2, statements
    for sql in pages:
        assert "likelihood(cases.status IN" in sql, sql
        assert "ORDER BY cases.reported_at DESC, cases.pk DESC" in sql, sql
    statements.clear()
    with app.server.app_context():
        records.cases(WHOLE_PARK, status=["closed", "reported"], limit=20)  # not all open: no hint
    assert not any("likelihood" in s for s, _ in statements)


def test_the_apis_newest_page_reads_the_report_time_index_in_order_with_no_sort(app, statements):
    """Ties broken by the store's key, with which every index ends: the page is the index's first
    rows, not a million rows sorted again by id (EXPLAIN QUERY PLAN of what the API ran)."""
    from services import records

    with app.server.app_context():
        records.cases(WHOLE_PARK, limit=20)
    [(sql, parameters)] = [(s, p) for s, p in statements if "ORDER BY" in s]
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as connection:
        plan = " / ".join(r[-1] for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters))
    assert "reported_at" in plan and "TEMP B-TREE" not in plan, plan


def test_one_case_and_the_probes_outside_a_scope(app):
    from services import records

    frame = _whole(app)
    own = frame.loc[frame["department"] == OWN, "id"].iloc[0]
    other = frame.loc[frame["department"] == OTHER, "id"].iloc[0]
    with app.server.app_context():
        assert records.case(Scope(OWN), own)["department"] == OWN
        assert records.case(Scope(OWN), other) is None
        assert records.case(WHOLE_PARK, "no-such-case") is None
        assert records.case(WHOLE_PARK, other) == records.records_of(frame[frame["id"] == other])[0]
        assert records.outside_scope(Scope(OWN), [own, other, "no-such-case", other]) == [other]
        assert records.outside_scope(WHOLE_PARK, [other]) == []


def test_case_events_are_scoped_through_their_cases_in_the_store(app, fetched):
    from services import scoping

    services = app.server.extensions["onescreen"]
    events = services.sources.monitors["park-store"].source.fetch("case_events")
    departments = _whole(app).set_index("id")["department"]
    fetched.clear()
    with app.server.app_context():
        scoped = scoping.scope_frame("case_events", events, Scope(OWN))
        park = scoping.scope_frame("case_events", events, WHOLE_PARK)
    assert len(park) == len(events)
    assert len(scoped) == (events["case_id"].map(departments) == OWN).sum() > 0
    assert set(scoped["case_id"].map(departments)) == {OWN}
    assert fetched == []  # the owners were asked of the store, not read as a snapshot


def test_the_sources_page_counts_the_cases_of_the_window_it_read(app):
    from services.data import large_window
    from services.freshness import served_contracts

    with app.server.app_context():
        services = app.server.extensions["onescreen"]
        window = large_window("cases")
        services.snapshots.refresh("cases", window)
        _, contracts = served_contracts()
    cases = next(c for c in contracts if c.contract == "cases")
    frame = _whole(app)
    recent = (frame["reported_at"] > pd.Timestamp(datetime.now(UTC) - window)).sum()
    assert cases.window == window and cases.rows == recent < len(frame)
    assert cases.newest == frame["reported_at"].max()
    from pages.sources import _note
    from services.freshness import age_text

    with app.server.app_context():
        for lang in ("en", "zh"):
            note = _note(cases, app.server.extensions["onescreen"].settings, lang)
            assert age_text(window, lang) in note  # the count is said to be the window's
