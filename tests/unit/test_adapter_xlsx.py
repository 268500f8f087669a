"""The file source reads Excel workbooks (.xlsx) too: rows numbered as the spreadsheet shows them,
cells as a CSV export would hold them, bad rows rejected with their row and the rest kept."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from data_sources.adapters.csv_file import CsvFileSource
from data_sources.adapters.xlsx_sheet import cell_text
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from domain.credit_code import check_character
from services.sources import SourceManager, SourcesFile

GOOD_CODE = "91110000MA01ABCDE" + check_character("91110000MA01ABCDE")
CHAINS_CSV = "chain,link,stage\nbio,bio.api,upstream\n"


def workbook(
    path: Path, rows: list[list[object]], sheet: str = "企业名录", first: str | None = "说明"
) -> Path:
    book = Workbook()
    if first is not None:  # a notes sheet first, as exports often have
        book.active.title = first
        book.active.append(["本表由园区管委会导出"])
        data = book.create_sheet(sheet)
    else:
        data = book.active
        data.title = sheet
    for row in rows:
        data.append(row)
    book.save(path)
    return path


ROWS: list[list[object]] = [
    ["企业编号", "企业名称", "行业代码", "统一社会信用代码", "所属环节", "成立日期"],  # row 1
    ["E1", "好药股份有限公司", "2710", GOOD_CODE, "bio.api", datetime(2015, 3, 1)],  # noqa: DTZ001 - a sheet holds naive times; row 2
    ["E2", "无名有限公司", 9999, None, None, date(2018, 1, 9)],  # row 3: no such class
    [None, None, None, None, None, None],  # row 4: blank
    ["E3", "迷路有限公司", 2710, None, "bio.nowhere", None],  # row 5: no such link
    ["E4", "多列有限公司", 2710, None, None, None, "stray"],  # row 6: beyond the header
    ["E5", "数字代码有限公司", 2720.0, None, None, "not a date"],  # row 7: a bad date
    ["E6", "正常有限公司", 2720, None, "bio.api", "2020-05-06"],  # row 8
]
COLUMNS = {
    "企业编号": "id",
    "企业名称": "name",
    "行业代码": "industry_code",
    "统一社会信用代码": "credit_code",
    "所属环节": "chain_link",
    "成立日期": "founded_on",
}


def park(tmp_path: Path, options: dict) -> SourceManager:
    (tmp_path / "chains.csv").write_text(CHAINS_CSV, encoding="utf-8")
    sources = {
        "chains-file": {
            "adapter": "csv",
            "serves": ["chains"],
            "options": {"path": "chains.csv", "contract": "chains"},
        },
        "firms": {
            "adapter": "csv",
            "serves": ["enterprises"],
            "options": {"contract": "enterprises", **options},
        },
    }
    return SourceManager(SourcesFile.model_validate({"sources": sources}), HealthBook(), base_dir=tmp_path)


def test_a_sheet_loads_its_good_rows_and_names_the_bad_ones_by_spreadsheet_row(tmp_path) -> None:
    workbook(tmp_path / "firms.xlsx", ROWS)
    manager = park(tmp_path, {"path": "firms.xlsx", "sheet": "企业名录", "columns": COLUMNS})
    snap = manager.read("enterprises")
    assert list(snap.frame["id"]) == ["E1", "E6"]
    assert list(snap.frame["founded_on"]) == [date(2015, 3, 1), date(2020, 5, 6)]
    found = {(r.row, r.field, r.reason) for r in manager.recent_rejections("firms")}
    assert found == {
        (3, "industry_code", "not a four-digit class of GB/T 4754-2017"),
        (5, "chain_link", "names no link of the industry chains"),
        (6, "(line)", "row 6: a value in column 7, beyond the header's 6 columns"),
        (7, "founded_on", "not a date"),
    }


def test_the_first_sheet_is_read_when_none_is_named(tmp_path) -> None:
    workbook(
        tmp_path / "firms.xlsx", [["id", "name", "industry_code"], ["E1", "甲有限公司", "2710"]], first=None
    )
    snap = park(tmp_path, {"path": "firms.xlsx"}).read("enterprises")
    assert list(snap.frame["id"]) == ["E1"]


def test_a_folder_reads_workbooks_and_csv_files_alike(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    workbook(folder / "a.xlsx", [["id", "name", "industry_code"], ["E1", "甲有限公司", 2710]], first=None)
    (folder / "b.csv").write_text("id,name,industry_code\nE2,乙有限公司,9999\n", encoding="utf-8")
    manager = park(tmp_path, {"path": "exports"})
    assert list(manager.read("enterprises").frame["id"]) == ["E1"]
    # the CSV's line 2 comes after the workbook's two rows
    assert [(r.row, r.field) for r in manager.recent_rejections("firms")] == [(4, "industry_code")]


def test_a_missing_sheet_is_named_with_the_sheets_there_are(tmp_path) -> None:
    workbook(tmp_path / "firms.xlsx", ROWS)
    source = CsvFileSource(
        "firms", {"path": "firms.xlsx", "contract": "enterprises", "sheet": "Sheet9"}, base_dir=str(tmp_path)
    )
    with pytest.raises(SourceMisconfigured, match=r"no sheet 'Sheet9' \(it has 说明, 企业名录\)"):
        source.fetch("enterprises")


def test_a_file_that_is_no_workbook_or_is_gone(tmp_path) -> None:
    (tmp_path / "firms.xlsx").write_text("id,name\n", encoding="utf-8")
    source = CsvFileSource("firms", {"path": "firms.xlsx", "contract": "enterprises"}, base_dir=str(tmp_path))
    with pytest.raises(SourceMisconfigured, match="not an Excel workbook"):
        source.fetch("enterprises")
    (tmp_path / "firms.xlsx").unlink()
    with pytest.raises(SourceUnavailable, match="no such file"):
        source.fetch("enterprises")


def test_cells_read_as_a_csv_export_writes_them() -> None:
    assert [cell_text(v) for v in (None, 2710, 2710.0, 12.5, True, " 甲 ")] == [
        "",
        "2710",
        "2710",
        "12.5",
        "TRUE",
        "甲",
    ]
    assert cell_text(datetime(2024, 3, 1, 8, 30)) == "2024-03-01T08:30:00"  # noqa: DTZ001 - as a sheet holds it
    assert cell_text(date(2024, 3, 1)) == "2024-03-01"
