"""The sql_cases adapter on an SQLite file: pages in (update time, key) order after a cursor, so
rows stamped at the cursor's instant are neither lost nor read twice; opened read-only; a table,
column or cursor that does not fit is refused naming the option; the README's examples hold."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

import pytest
import yaml
from apps import build_app
from sqlalchemy import select

from config.settings import ROOT
from data_sources.adapters.sql_cases import SqlCaseSource
from data_sources.case_mapping import CsvCaseMapping, parse_mapping
from data_sources.errors import SourceMisconfigured
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.registry import discover
from services.context import get_services
from store.models import Case

MAPPING = {
    "columns": {"zt": "status", "lx": "case_type", "sj": "reported_at"},
    "values": {"status": {1: "reported", 2: "accepted"}},
    "constants": {"channel": "grid_patrol"},
    "id_template": "V-{bh}",
    "timezone": "Asia/Shanghai",
}
T0 = datetime(2026, 12, 1, 9, 0)  # noqa: DTZ001 - the vendor's naive local time


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "vendor.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE aj (bh INTEGER PRIMARY KEY, zt INTEGER, lx TEXT, sj TIMESTAMP, gx TIMESTAMP)")
        rows = [
            (n, 1 if n % 2 else 2, "um.street_light_out", T0, T0 + timedelta(minutes=n // 4))
            for n in range(1, 10)
        ]
        rows.append((10, 7, "um.street_light_out", T0, T0 + timedelta(minutes=9)))  # status code 7 unmapped
        rows.append((11, 1, "um.street_light_out", T0, None))  # never stamped: never read
        c.executemany("INSERT INTO aj VALUES (?, ?, ?, ?, ?)", rows)
    return path


def source(path, **changes) -> SqlCaseSource:
    options = {
        "url": f"sqlite:///{path}",
        "table": "aj",
        "updated_column": "gx",
        "key_column": "bh",
        "mapping": MAPPING,
    }
    return SqlCaseSource("vendor", {**options, **changes})


def test_pages_follow_the_keyset_and_lose_no_row_stamped_at_the_cursor(database):
    vendor = source(database)
    seen, cursor = [], None
    while (page := vendor.read_page(cursor, limit=3)).rows:
        seen += list(page.frame["id"]) + [where for where, _ in page.rejected]
        cursor = page.cursor
    vendor.close()
    # bh 4..7 share one stamp; pages of three split them, and each is read exactly once
    assert seen == ["V-1", "V-2", "V-3", "V-4", "V-5", "V-6", "V-7", "V-8", "V-9", "aj bh=10"]
    assert vendor.read_page(cursor).rows == 0
    with sqlite3.connect(database) as c:  # a row stamped at the cursor's instant, after it
        c.execute(
            "INSERT INTO aj VALUES (12, 2, 'um.street_light_out', ?, ?)", (T0, T0 + timedelta(minutes=9))
        )
    page = vendor.read_page(cursor)
    assert list(page.frame["id"]) == ["V-12"] and page.positions == ["aj bh=12"]
    vendor.close()


def test_fetch_reads_all_with_rejections_and_the_file_is_opened_read_only(database):
    vendor = source(database, batch_rows=4)
    frame = vendor.fetch("cases")
    assert len(frame) == 9 and frame["reported_at"].iat[0].isoformat() == "2026-12-01T01:00:00+00:00"
    rejected = frame.attrs[PARSE_REJECTIONS]
    assert [(r.key, r.reason) for r in rejected] == [("V-10", "zt value not in the mapping's values.status")]
    with pytest.raises(Exception, match="readonly"), vendor._engine.connect() as c:
        c.exec_driver_sql("DELETE FROM aj")
    vendor.close()


def test_a_table_column_or_cursor_that_does_not_fit_is_refused(database):
    with pytest.raises(SourceMisconfigured, match="table: there is no table 'anjian'"):
        source(database, table="anjian").open()
    with pytest.raises(
        SourceMisconfigured, match=r"updated_column: the table has no column 'gengxin' \(it has bh, zt"
    ):
        source(database, updated_column="gengxin").open()
    with pytest.raises(SourceMisconfigured, match="columns.zt: 'kind' is not a field"):
        source(database, mapping={**MAPPING, "columns": {"zt": "kind"}})
    with pytest.raises(SourceMisconfigured, match="is not a cursor of this table"):
        source(database).read_page('{"file": {}, "line": 12}')  # another kind's checkpoint
    assert discover().get("sql_cases") is SqlCaseSource


def test_the_readme_examples_are_a_source_and_a_mapping_the_code_accepts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Importing cases") :]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    source_block = yaml.safe_load(blocks[0])["grid-vendor"]
    assert source_block["adapter"] == "sql_cases"
    vendor = SqlCaseSource("grid-vendor", source_block["options"], base_dir=str(ROOT))
    assert vendor.options.sync_interval_s == 60 and vendor.mapping.point == "weizhi"
    assert parse_mapping(yaml.safe_load(blocks[1]), CsvCaseMapping, "README").encoding == "gb18030"


def test_checking_the_source_on_the_sources_page_syncs_it_into_the_store(tmp_path):
    vendor = tmp_path / "vendor.sqlite"
    with sqlite3.connect(vendor) as c:
        c.execute("CREATE TABLE aj (bh INTEGER PRIMARY KEY, zt INTEGER, lx TEXT, sj TEXT, gx TEXT)")
        c.executemany(
            "INSERT INTO aj VALUES (?, ?, 'um.street_light_out', '2026-12-01 08:00:00', ?)",
            [(1, 1, "2026-12-01 09:00:00"), (2, 2, "2026-12-01 09:00:00"), (3, 7, "2026-12-01 09:01:00")],
        )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {
                "sources": {
                    "park-store": {"adapter": "sql", "serves": ["cases"], "options": {"url": "${store_url}"}},
                    "vendor": {
                        "adapter": "sql_cases",
                        "options": {
                            "url": f"sqlite:///{vendor}",
                            "table": "aj",
                            "updated_column": "gx",
                            "key_column": "bh",
                            "mapping": MAPPING,
                        },
                    },
                }
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    app = build_app(tmp_path / "store", demo_cases=300, demo_live=False, sources_file=sources)
    server = app.server
    with server.app_context():
        health = get_services().snapshots.check("vendor")
        assert (health.rows_accepted, health.rows_rejected) == (2, 1)
        with server.extensions["onescreen"].engine.connect() as c:
            stored = dict(c.execute(select(Case.id, Case.status).where(Case.id.like("V-%"))).all())
    assert stored == {"V-1": "reported", "V-2": "accepted"}
    server.extensions["onescreen"].engine.dispose()
