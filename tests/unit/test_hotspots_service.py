"""Act before complaints served (services/hotspots.py, /api/v1/cases/hotspots): a burst of cases
written to a real store is found by the store's GROUP BY queries, within the viewer's scope,
cached, and served as GeoJSON with its evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from signin import signed_in
from sqlalchemy import event, select

from domain.hotspots import COUNT, REPEAT
from security.scope import Scope
from services import hotspots
from store.case_rows import insert_case
from store.models import GridCell

NOW = datetime.now(UTC).replace(microsecond=0)
TYPE = "um.manhole_cover_damaged"  # urban management's
CELL = "U017"
BURST = [f"HS{i:04d}" for i in range(8)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("hotspots"), demo_cases=800, demo_live=False)
    engine = app.server.extensions["onescreen"].engine
    with engine.begin() as connection:
        lon, lat = connection.execute(select(GridCell.lon, GridCell.lat).where(GridCell.id == CELL)).one()
        for i, case_id in enumerate(BURST):  # one damaged cover, reported again and again
            at = NOW - timedelta(hours=5 + 7 * i)
            insert_case(
                connection,
                {"id": case_id, "channel": "hotline_12345", "domain": "urban_management", "case_type": TYPE,
                 "grid_cell": CELL, "department": "urban_management", "status": "reported", "reported_at": at,
                 "lon": lon + 0.0001 * (i % 3), "lat": lat + 0.0001 * (i % 2), "address": "中华大街8号",
                 "description": "井盖破损松动", "version": 1, "reopen_count": 0},
            )  # fmt: skip
    return app


def test_a_burst_in_one_cell_is_found_as_a_count_and_a_repeat_with_its_cases(app) -> None:
    with app.server.app_context():
        found = hotspots.hotspots(Scope(None), now=NOW)
    mine = {f.kind: f for f in found.findings if f.grid_cell == CELL and f.case_type == TYPE}
    assert set(mine) == {COUNT, REPEAT}
    assert mine[COUNT].observed >= 8 and set(BURST) <= set(mine[COUNT].case_ids)
    assert mine[COUNT].expected < 1 and mine[COUNT].q <= 0.05
    assert set(mine[REPEAT].case_ids) == set(BURST)
    assert found.windows.window.end == NOW and found.tested > 0
    assert found.query_ms > 0


def test_findings_stay_within_the_viewers_department(app) -> None:
    with app.server.app_context():
        own = hotspots.hotspots(Scope("urban_management"), now=NOW)
        other = hotspots.hotspots(Scope("ecology_environment"), now=NOW)
    assert any(f.grid_cell == CELL and f.case_type == TYPE for f in own.findings)
    assert not any(f.case_type == TYPE for f in other.findings)
    assert all(not f.case_type.startswith("um.") for f in other.findings)


def test_a_refresh_reads_the_cache_and_a_new_case_recomputes(app) -> None:
    engine = app.server.extensions["onescreen"].engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.server.app_context():
        first = hotspots.hotspots(Scope(None))
        event.listen(engine, "before_cursor_execute", count)
        try:
            again = hotspots.hotspots(Scope(None))
            assert again == first
            assert len(statements) == 1 and "max(cases.pk)" in statements[0]  # the key, nothing else
        finally:
            event.remove(engine, "before_cursor_execute", count)
        with engine.begin() as connection:
            insert_case(
                connection,
                {"id": "HS9999", "channel": "wechat", "domain": "urban_management", "case_type": TYPE,
                 "grid_cell": CELL, "department": "urban_management", "status": "reported",
                 "reported_at": datetime.now(UTC) - timedelta(minutes=1), "version": 1, "reopen_count": 0},
            )  # fmt: skip
        fresh = hotspots.hotspots(Scope(None))
    count_finding = next(
        f for f in fresh.findings if f.kind == COUNT and f.grid_cell == CELL and f.case_type == TYPE
    )
    assert "HS9999" in count_finding.case_ids


def test_the_api_serves_the_findings_as_geojson_at_the_cells_centre(app) -> None:
    client, _ = signed_in(app, "leader")
    response = client.get("/api/v1/cases/hotspots")
    assert response.status_code == 200
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and body["tested"] > 0
    features = [f for f in body["features"] if f["properties"]["grid_cell"] == CELL]
    count = next(f for f in features if f["properties"]["kind"] == COUNT)
    with app.server.app_context():
        cell = hotspots.grid_cells(app.server.extensions["onescreen"].engine.connect()).loc[CELL]
    assert count["geometry"] == {"type": "Point", "coordinates": [cell["lon"], cell["lat"]]}
    props = count["properties"]
    assert props["case_type_name_en"] == "Damaged manhole cover"
    assert (props["grid_cell_name"], props["grid_cell_name_en"]) == (cell["name"], cell["name_en"])
    assert props["observed"] >= 8 and props["expected"] < 1 and props["q"] <= 0.05
    assert props["window_end"].endswith("+08:00") and set(BURST) <= set(props["case_ids"])
    repeat = next(f for f in features if f["properties"]["kind"] == REPEAT)
    assert repeat["properties"]["radius_m"] == 50.0 and repeat["geometry"]["type"] == "Point"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?department=atlantis", 400, "unknown department 'atlantis'"),
        ("?days=7", 422, "days: Unknown field"),
        ("?department=a&department=b", 422, "department: give this parameter once"),
    ],
)
def test_bad_api_input_is_refused_with_its_field_named(app, query: str, status: int, message: str) -> None:
    client, _ = signed_in(app, "leader")
    response = client.get("/api/v1/cases/hotspots" + query)
    assert response.status_code == status
    assert message in response.get_json()["message"]
