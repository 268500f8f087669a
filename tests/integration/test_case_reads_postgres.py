"""Case reads in the store on the real PostgreSQL (services/records.py, services/scoping.py):
pages, one case, probes outside a scope and case events scoped through their cases give what
the whole frame gives, with the snapshot's dtypes, and the cases are never read whole."""

from __future__ import annotations

import pandas as pd
import pytest
from apps import build_app

from data_sources.contracts import CONTRACTS
from data_sources.validation import conform
from security.scope import WHOLE_PARK, Scope

pytestmark = pytest.mark.integration
OWN = "urban_management"


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=600, database_url=pg_url, demo_live=False)
    yield app
    app.server.extensions["onescreen"].engine.dispose()


def test_case_reads_in_postgresql_equal_the_whole_frames(app):
    from services import records, scoping

    services = app.server.extensions["onescreen"]
    source = services.sources.monitors["park-store"].source
    frame = conform(source.fetch("cases"), CONTRACTS["cases"])  # read whole by the test only
    services.snapshots.forget()
    own = frame[frame["department"] == OWN].sort_values(["reported_at", "id"], ascending=False)
    other = frame.loc[frame["department"] != OWN, "id"].iloc[0]
    with app.server.app_context():
        first, total = records.cases(Scope(OWN), limit=30)
        second, _ = records.cases(Scope(OWN), limit=30, offset=30)
        closed, closed_total = records.cases(WHOLE_PARK, status="closed", limit=5)
        one = records.case(WHOLE_PARK, other)
        missing = records.case(Scope(OWN), other)
        probes = records.outside_scope(Scope(OWN), [other, own["id"].iloc[0], "no-such"])
        events = source.fetch("case_events")
        scoped = scoping.scope_frame("case_events", events, Scope(OWN))
    assert total == len(own) > 60
    assert pd.concat([first, second])["id"].tolist() == own["id"].head(60).tolist()
    assert list(first.dtypes) == list(own.dtypes)
    assert records.records_of(first.head(2)) == records.records_of(own.head(2))
    assert closed_total == (frame["status"] == "closed").sum() and set(closed["status"]) == {"closed"}
    assert one == records.records_of(frame[frame["id"] == other])[0] and missing is None
    assert probes == [other]
    owner = frame.set_index("id")["department"]
    assert len(scoped) == (events["case_id"].map(owner) == OWN).sum() > 0
    assert ("cases", None) not in services.snapshots._entries
