"""`flask --app app cases import-csv` on SQLite: the two example mappings import their example
exports (a 12345 hotline's in GB18030, a city 311's), re-running updates and never duplicates,
bad rows are rejected with their line and reason while every good row is kept, and an
interrupted import continues after its last checkpoint."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apps import build_app
from sqlalchemy import func, select

from config.settings import ROOT
from data_sources.case_mapping import CsvCaseMapping, load_mapping
from security.audit import AuditFilter, query
from services.csv_import import import_csv
from store.models import Case

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
HOTLINE = ROOT / "config" / "imports" / "hotline_12345.yaml"
CITY_311 = ROOT / "config" / "imports" / "city_311.yaml"
HEADER = [
    "工单编号",
    "来电时间",
    "诉求类型",
    "诉求内容",
    "所属网格",
    "事发地址",
    "承办单位",
    "办理状态",
    "办结时间",
    "回访时间",
    "满意度",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("csv-import"), demo_cases=300, demo_live=False)


@pytest.fixture
def engine(app):
    with app.server.app_context():
        yield app.server.extensions["onescreen"].engine


def run(app, *args: str):
    return app.server.test_cli_runner().invoke(args=["cases", "import-csv", *map(str, args)])


def hotline_row(number: str, **changes: str) -> list[str]:
    row = {
        "工单编号": number,
        "来电时间": "2026/11/30 08:15:00",
        "诉求类型": "路灯不亮",
        "诉求内容": "来电反映：小区门口路灯不亮。",
        "所属网格": "U156",
        "事发地址": "聚贤路26号附近",
        "承办单位": "区城市管理局",
        "办理状态": "已受理",
        "办结时间": "",
        "回访时间": "",
        "满意度": "",
    }
    row.update(changes)
    return [row[h] for h in HEADER]


def write_export(path: Path, rows: list[list[str]], *, raw_lines: dict[int, str] | None = None) -> Path:
    """A 12345 export in GB18030; `raw_lines` puts text as it is before data row i (0-based)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        if raw_lines and i in raw_lines:
            out.write(raw_lines[i] + "\r\n")
        writer.writerow(row)
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def stored(engine, case_id: str) -> dict | None:
    with engine.connect() as connection:
        row = connection.execute(select(Case.__table__).where(Case.id == case_id)).first()
    return None if row is None else dict(row._mapping)


def count(engine, prefix: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(Case.id.like(f"{prefix}%"))).scalar_one()


def test_hotline_export_in_gb18030_imports_and_reimport_updates(app, engine):
    result = run(app, FIXTURES / "hotline_12345.csv", "--mapping", HOTLINE)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["imported 10, updated 0, rejected 0"]
    case = stored(engine, "GD202611280001")
    # 2026/11/28 07:42:15 in Shanghai; domain from the catalogue; 满意 → 4
    assert case["reported_at"] == datetime(2026, 11, 27, 23, 42, 15, tzinfo=UTC)
    assert (case["channel"], case["case_type"], case["domain"]) == (
        "hotline_12345",
        "um.street_light_out",
        "urban_management",
    )
    assert (case["status"], case["department"], case["grid_cell"], case["satisfaction"]) == (
        "closed",
        "urban_management",
        "U156",
        4,
    )
    assert case["description"].startswith("来电反映：金桥路与聚贤路交叉口")
    assert stored(engine, "GD202611280009")["status"] == "handled"
    again = run(app, FIXTURES / "hotline_12345.csv", "--mapping", HOTLINE)
    assert again.output.splitlines()[-1] == "imported 0, updated 10, rejected 0"
    assert count(engine, "GD2026112800") == 10


def test_city_311_export_reads_its_local_times_and_builds_ids(app, engine):
    result = run(app, FIXTURES / "city_311.csv", "--mapping", CITY_311)
    assert result.output.splitlines() == ["imported 8, updated 0, rejected 0"], result.output
    case = stored(engine, "311-59893547")
    assert case["reported_at"] == datetime(2026, 11, 28, 12, 15, 2, tzinfo=UTC)  # 07:15:02 AM EST
    assert case["sla_deadline"] == datetime(2026, 12, 8, 12, 15, 2, tzinfo=UTC)
    assert (case["status"], case["channel"], case["department"]) == ("accepted", "hotline_12345", "transport")
    assert (case["lon"], case["lat"]) == pytest.approx((-73.90169702164, 40.87804478543))
    assert stored(engine, "311-59895766")["channel"] == "portal"  # UNKNOWN takes the map's default
    assert stored(engine, "311-59893281")["closed_at"] == datetime(2026, 11, 28, 6, 37, 52, tzinfo=UTC)


def test_bad_rows_are_rejected_with_their_line_and_reason_and_good_ones_kept(app, engine, tmp_path):
    formula = '=HYPERLINK("http://evil.example","点我")'
    markup = "<script>alert('x')</script><b>路灯</b>"
    rows = [
        hotline_row("BAD-01"),  # line 2
        hotline_row("BAD-02", 诉求类型="外星人入侵"),  # line 3: not in the mapping's values
        hotline_row("BAD-03", 来电时间="2026/13/45 25:61:00"),  # line 4
        hotline_row("BAD-01", 诉求内容="same id again"),  # line 5
        hotline_row("BAD-05", 诉求内容="长" * 2001),  # line 6
        hotline_row("BAD-06", 诉求内容=formula),  # line 7
        hotline_row("BAD-07", 诉求内容=markup),  # line 8 (line 9 is the broken one before row 8)
        hotline_row("BAD-08", 办理状态="已办结", 办结时间="2026/11/30 18:00"),  # line 10
    ]
    path = write_export(tmp_path / "export.csv", rows, raw_lines={7: "BAD-99,2026/11/30 08:00,路灯不亮"})
    result = run(app, path, "--mapping", HOTLINE)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "imported 4, updated 0, rejected 5"
    assert (
        lines[1]
        == "line 3 (BAD-02): case_type: 诉求类型 value not in the mapping's values.case_type (value '外星人入侵')"
    )
    assert lines[2].startswith(
        "line 4 (BAD-03): reported_at: 来电时间: not a time in the form '%Y/%m/%d %H:%M:%S'"
    )
    assert lines[3] == "line 5 (BAD-01): id: case id 'BAD-01' repeats line 2"
    assert lines[4].startswith("line 6 (BAD-05): description: longer than 2000 characters")
    assert lines[5] == "line 9: (line): expected 11 fields, saw 3"
    assert (
        stored(engine, "BAD-01")["description"] == "来电反映：小区门口路灯不亮。"
    )  # the first, not the repeat
    assert stored(engine, "BAD-06")["description"] == formula  # kept as text, exactly
    assert stored(engine, "BAD-07")["description"] == markup
    assert stored(engine, "BAD-08")["handled_at"] == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert count(engine, "BAD-") == 4


def test_an_interrupted_import_continues_after_its_last_checkpoint(app, engine, tmp_path):
    path = write_export(tmp_path / "long.csv", [hotline_row(f"RES-{i:03d}") for i in range(25)])
    mapping = load_mapping(HOTLINE, CsvCaseMapping)

    def stop_after_first(line: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first commit

    with pytest.raises(KeyboardInterrupt):
        import_csv(path, mapping, chunk_rows=10, after_chunk=stop_after_first)
    assert count(engine, "RES-") == 10
    resumed = run(app, path, "--mapping", HOTLINE, "--chunk-lines", "10")
    assert resumed.output.splitlines() == [
        "resumed after line 11 (--restart imports the file from the top)",
        "imported 15, updated 0, rejected 0",
    ]
    assert count(engine, "RES-") == 25
    restarted = run(app, path, "--mapping", HOTLINE, "--restart")
    assert restarted.output.splitlines() == ["imported 0, updated 25, rejected 0"]
    # with the checkpoint of an unfinished import, a changed file starts from the top
    with pytest.raises(KeyboardInterrupt):
        import_csv(path, mapping, chunk_rows=10, after_chunk=stop_after_first)
    write_export(path, [hotline_row(f"RES-{i:03d}") for i in range(26)])
    changed = run(app, path, "--mapping", HOTLINE)
    assert changed.output.splitlines()[:2] == [
        "the file changed since the interrupted import; starting from the top",
        "imported 1, updated 25, rejected 0",
    ]
    audits = query(engine, AuditFilter(actions=("case.import",), target="csv:long.csv"))
    assert len(audits) == 6  # one per chunk: 1, then 2 (resumed), 1 (restart), 1, 1 (changed)


def test_a_malformed_mapping_or_a_missing_column_is_refused_naming_the_key(app, engine, tmp_path):
    before = count(engine, "")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "encoding: gb18030\ncolumns: {工单编号: case_number, 来电时间: reported_at}\n", encoding="utf-8"
    )
    result = run(app, FIXTURES / "hotline_12345.csv", "--mapping", bad)
    assert result.exit_code == 1
    assert "columns.工单编号: 'case_number' is not a field of cases" in result.output
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        HOTLINE.read_text(encoding="utf-8").replace("  满意度: satisfaction", "  满意度评价: satisfaction"),
        encoding="utf-8",
    )
    result = run(app, FIXTURES / "hotline_12345.csv", "--mapping", missing)
    assert result.exit_code == 1
    assert "columns.满意度评价: there is no column '满意度评价'" in result.output
    assert count(engine, "") == before


def test_sync_names_the_sources_it_can_sync_when_given_another(app):
    result = app.server.test_cli_runner().invoke(args=["cases", "sync", "park-store"])
    assert result.exit_code == 1
    assert "'park-store' is a sql source, not sql_cases; sources that sync cases: none" in result.output


def test_a_bulk_import_renews_the_statistics_the_grid_is_planned_on(app, engine, tmp_path, monkeypatch):
    from sqlalchemy import text

    import cli_cases

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'cases'"))
    small = write_export(tmp_path / "small.csv", [hotline_row("ST-0001")])
    assert run(app, small, "--mapping", HOTLINE).exit_code == 0
    with engine.connect() as connection:  # a small run leaves them
        assert connection.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases'")).scalar() == 0
    monkeypatch.setattr(cli_cases, "BULK", 2)
    bulk = write_export(tmp_path / "bulk.csv", [hotline_row(f"ST-{n:04d}") for n in range(2, 5)])
    result = run(app, bulk, "--mapping", HOTLINE)
    assert result.exit_code == 0 and "imported 3" in result.output
    with engine.connect() as connection:
        held = connection.execute(
            text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'cases' AND idx = 'ix_cases_status'")
        )
        assert (
            int(held.scalar_one().split()[0])
            == connection.execute(select(func.count()).select_from(Case)).scalar()
        )
