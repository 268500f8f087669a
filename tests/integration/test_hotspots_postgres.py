"""Act before complaints on the real PostgreSQL: the same GROUP BY queries (grid cell × case type
× block, the earlier years' blocks, the window's cases) find a burst, within a department's
scope, and the API serves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from signin import signed_in
from sqlalchemy import insert, select

from domain.hotspots import COUNT, REPEAT
from security.scope import Scope
from services import hotspots
from store.models import Case, GridCell

pytestmark = pytest.mark.integration
TYPE = "um.manhole_cover_damaged"


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=600, database_url=pg_url, demo_live=False)
    yield app
    app.server.extensions["onescreen"].engine.dispose()


def test_a_burst_is_found_on_postgresql(app):
    engine = app.server.extensions["onescreen"].engine
    assert engine.dialect.name == "postgresql"
    now = datetime.now(UTC)
    with engine.begin() as c:
        cell, lon, lat = c.execute(
            select(GridCell.id, GridCell.lon, GridCell.lat).where(GridCell.id == "U300")
        ).one()
        c.execute(
            insert(Case.__table__),
            [
                {"id": f"PGHS{i}", "channel": "wechat", "domain": "urban_management", "case_type": TYPE,
                 "grid_cell": cell, "department": "urban_management", "status": "reported",
                 "reported_at": now - timedelta(hours=1 + 13 * i), "lon": lon, "lat": lat, "version": 1,
                 "reopen_count": 0}
                for i in range(6)
            ],
        )  # fmt: skip
    with app.server.app_context():
        park = hotspots.hotspots(Scope(None), now=now)
        own = hotspots.hotspots(Scope("urban_management"), now=now)
        other = hotspots.hotspots(Scope("ecology_environment"), now=now)
    burst = {f.kind: f for f in park.findings if f.grid_cell == cell and f.case_type == TYPE}
    assert set(burst) == {COUNT, REPEAT}
    assert burst[COUNT].case_ids == tuple(f"PGHS{i}" for i in range(6))
    assert any(f.grid_cell == cell for f in own.findings)
    assert not any(f.case_type == TYPE for f in other.findings)
    client, _ = signed_in(app, "department_head")
    body = client.get("/api/v1/cases/hotspots").get_json()
    assert any(f["properties"]["grid_cell"] == cell for f in body["features"])
