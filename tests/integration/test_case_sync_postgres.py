"""A foreign vendor's case table on the real PostgreSQL, synced into the store (itself on
PostgreSQL) through a `sql_cases` source and config/imports/grid_vendor.yaml: pinyin columns,
integer status and channel codes, local timestamps without a zone, the place in one
"POINT(lon lat)" text column. The first sync imports all, a change is picked up by the next
(rows stamped at the cursor's very instant included), a restart resumes from the checkpoint,
bad rows are rejected with reasons and the rest kept; the source never writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from live.case_sync import CaseSyncer
from services.case_sync import sync_cases, syncable
from store.models import Case

pytestmark = pytest.mark.integration

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"  # as tests/integration/conftest.py

STAMP = datetime(2026, 12, 1, 9, 0, 0)  # noqa: DTZ001 - the vendor's naive local time
COLUMNS = (
    "anjian_bh, shangbao_shijian, lian_shijian, paiqian_shijian, chuzhi_shijian, jiean_shijian, "
    "gengxin_shijian, zhuangtai_dm, leibie_dm, laiyuan_dm, wangge_bm, weizhi, dizhi, miaoshu"
)


@pytest.fixture
def vendor():
    """A schema holding the vendor's table, dropped afterwards; yields (engine, schema)."""
    schema = f"vendor_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
        c.execute(
            text(
                f"""CREATE TABLE "{schema}".gd_anjian (
                    anjian_bh integer PRIMARY KEY,
                    shangbao_shijian timestamp without time zone,
                    lian_shijian timestamp without time zone,
                    paiqian_shijian timestamp without time zone,
                    chuzhi_shijian timestamp without time zone,
                    jiean_shijian timestamp without time zone,
                    gengxin_shijian timestamp without time zone NOT NULL,
                    zhuangtai_dm smallint,
                    leibie_dm varchar(8),
                    laiyuan_dm smallint,
                    wangge_bm varchar(20),
                    weizhi text,
                    dizhi varchar(200),
                    miaoshu text,
                    beizhu text)"""
            )
        )
    yield engine, schema
    with engine.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def add(vendor, number: int, updated: datetime, **changes) -> None:
    engine, schema = vendor
    row = {
        "anjian_bh": number,
        "shangbao_shijian": STAMP - timedelta(hours=3),
        "lian_shijian": STAMP - timedelta(hours=2, minutes=50),
        "paiqian_shijian": None,
        "chuzhi_shijian": None,
        "jiean_shijian": None,
        "gengxin_shijian": updated,
        "zhuangtai_dm": 2,
        "leibie_dm": "0105",
        "laiyuan_dm": 1,
        "wangge_bm": "U156",
        "weizhi": "POINT(116.3912 39.9075)",
        "dizhi": "聚贤路26号",
        "miaoshu": "路灯不亮",
    }
    row.update(changes)
    with engine.begin() as c:
        c.execute(
            text(f'INSERT INTO "{schema}".gd_anjian ({COLUMNS}) VALUES ({", ".join(":" + k for k in row)})'),
            row,
        )


def update(vendor, number: int, **changes) -> None:
    engine, schema = vendor
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    with engine.begin() as c:
        c.execute(
            text(f'UPDATE "{schema}".gd_anjian SET {sets} WHERE anjian_bh = :n'), {**changes, "n": number}
        )


@pytest.fixture
def apps():
    """The apps a test builds, their store engines and sources closed afterwards."""
    built: list = []
    yield built
    for app in built:
        services = app.server.extensions["onescreen"]
        services.sources.close()
        services.engine.dispose()


def make_app(apps, tmp_path, pg_url, schema):
    tmp_path.mkdir(exist_ok=True)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"""sources:
  park-store:
    adapter: sql
    serves: [cases, case_events, sensors, readings, alerts, features, enterprises, enterprise_figures, chains]
    options: {{url: "${{store_url}}"}}
  grid-vendor:
    adapter: sql_cases
    title: {{zh: 网格化管理系统, en: Grid management system}}
    options:
      url: {PG_URL}
      table: {schema}.gd_anjian
      updated_column: gengxin_shijian
      key_column: anjian_bh
      mapping: config/imports/grid_vendor.yaml
      batch_rows: 2
""",
        encoding="utf-8",
    )
    app = build_app(tmp_path, demo_cases=300, database_url=pg_url, demo_live=False, sources_file=sources)
    apps.append(app)
    return app


def cases(app) -> dict[str, dict]:
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as c:
        rows = c.execute(select(Case.__table__).where(Case.id.like("WG-%"))).all()
    return {r.id: dict(r._mapping) for r in rows}


def sync(app, *options: str) -> list[str]:
    result = app.server.test_cli_runner().invoke(args=["cases", "sync", "grid-vendor", *options])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_foreign_case_table_syncs_incrementally_and_resumes(vendor, apps, pg_url, tmp_path):
    engine, schema = vendor
    # three rows stamped at one instant: the pages (two rows each) split them
    add(vendor, 1001, STAMP)
    add(vendor, 1002, STAMP, zhuangtai_dm=3, paiqian_shijian=STAMP - timedelta(hours=2), laiyuan_dm=2)
    add(vendor, 1003, STAMP, leibie_dm="0201", weizhi="POINT(116.40 39.91)", laiyuan_dm=3)
    add(vendor, 1004, STAMP + timedelta(minutes=1), zhuangtai_dm=0)  # a code the mapping lacks
    add(vendor, 1005, STAMP + timedelta(minutes=2), weizhi="POINT(东经116 北纬39)")
    add(vendor, 1006, STAMP + timedelta(minutes=3), leibie_dm="0999", miaoshu="<script>x</script>")
    add(vendor, 1007, STAMP + timedelta(minutes=4), miaoshu="=1+1")
    app = make_app(apps, tmp_path / "a", pg_url, schema)

    lines = sync(app)
    assert lines == [
        "imported 4, updated 0, rejected 3",
        "gd_anjian anjian_bh=1004 (WG-1004): status: zhuangtai_dm value not in the mapping's values.status (value '0')",
        "gd_anjian anjian_bh=1005 (WG-1005): lon: weizhi is not a WKT point 'POINT(lon lat)' "
        "(value 'POINT(东经116 北纬39)')",
        "gd_anjian anjian_bh=1006 (WG-1006): case_type: leibie_dm value not in the mapping's values.case_type "
        "(value '0999')",
    ]
    health = {h.source: h for h in app.server.extensions["onescreen"].sources.health()}["grid-vendor"]
    assert (health.rows_accepted, health.rows_rejected) == (4, 3)  # as the Sources page shows it
    shown = app.server.extensions["onescreen"].sources.recent_rejections("grid-vendor")
    assert {(r.row, r.key, r.field, r.value) for r in shown} == {
        (1004, "WG-1004", "status", "'0'"),
        (1005, "WG-1005", "lon", "'POINT(东经116 北纬39)'"),
        (1006, "WG-1006", "case_type", "'0999'"),
    }
    stored = cases(app)
    assert sorted(stored) == ["WG-1001", "WG-1002", "WG-1003", "WG-1007"]
    first = stored["WG-1001"]
    assert first["reported_at"] == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 06:00 in Shanghai
    assert (first["status"], first["channel"], first["domain"]) == (
        "accepted",
        "grid_patrol",
        "urban_management",
    )
    assert (first["lon"], first["lat"]) == pytest.approx((116.3912, 39.9075))
    assert stored["WG-1002"]["channel"] == "hotline_12345" and stored["WG-1002"]["status"] == "dispatched"
    assert stored["WG-1007"]["description"] == "=1+1"  # text, as the vendor wrote it

    # the vendor closes 1002, corrects 1004, and adds 1008 stamped at the cursor's very instant
    later = STAMP + timedelta(minutes=10)
    update(vendor, 1002, zhuangtai_dm=7, jiean_shijian=later, gengxin_shijian=later)
    update(vendor, 1004, zhuangtai_dm=2, gengxin_shijian=later)
    add(vendor, 1008, STAMP + timedelta(minutes=4))
    assert sync(app) == ["imported 2, updated 1, rejected 0"]
    stored = cases(app)
    assert stored["WG-1002"]["status"] == "closed"
    assert stored["WG-1002"]["closed_at"] == datetime(2026, 12, 1, 1, 10, tzinfo=UTC)
    assert {"WG-1004", "WG-1008"} <= set(stored)
    assert sync(app) == ["imported 0, updated 0, rejected 0"]  # nothing changed since

    # a sync stopped after its first page; a restarted app continues from the checkpoint
    for n in range(1010, 1015):
        add(vendor, n, later + timedelta(minutes=n - 1009))
    with app.server.app_context():
        assert sync_cases("grid-vendor", max_pages=1).report.imported == 2
    restarted = make_app(apps, tmp_path / "b", pg_url, schema)
    assert sync(restarted) == ["imported 3, updated 0, rejected 0"]
    assert len(cases(restarted)) == 11
    again = sync(restarted, "--restart")  # the whole table again: updates, never duplicates
    assert again[0] == "imported 0, updated 11, rejected 2"
    assert len(cases(restarted)) == 11


def test_the_background_syncer_holds_a_lease_and_the_source_never_writes(vendor, apps, pg_url, tmp_path):
    _engine, schema = vendor
    add(vendor, 2001, STAMP)
    app = make_app(apps, tmp_path, pg_url, schema)
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    one = CaseSyncer(app.server, "grid-vendor", interval_s=30, owner="one")
    other = CaseSyncer(app.server, "grid-vendor", interval_s=30, owner="other")
    assert one.tick(now).report.imported == 1
    assert other.tick(now + timedelta(seconds=30)) is None  # one holds the lease for 90 s
    assert other.tick(now + timedelta(seconds=91)).report.imported == 0  # one stopped renewing
    with app.server.app_context():
        source = syncable("grid-vendor").source
        source.open()
        with pytest.raises(DBAPIError, match="read-only transaction"), source._engine.connect() as c:
            c.execute(text(f"UPDATE \"{schema}\".gd_anjian SET miaoshu = 'x'"))
        source.close()
    assert cases(app)["WG-2001"]["description"] == "路灯不亮"
