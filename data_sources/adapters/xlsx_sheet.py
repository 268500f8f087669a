"""One sheet of an Excel workbook (.xlsx) as the CSV source's records: the first row with a value
is the header, every later row a record numbered as the spreadsheet numbers it (row 1 is the
first), so a rejection names the row a person sees in Excel or WPS.

Cells become the text a CSV export of the sheet would hold (a whole number without ".0", a
date or time in ISO 8601), so both file kinds go through one mapping and one validator. Formulas
give their last computed value (what the sheet shows); a workbook that was never opened in a
spreadsheet program after a formula was written has none, and the cell reads as empty.

openpyxl reads the sheet whole (not its read-only mode, which skips empty rows and so loses the
numbering): fine for the reference tables that come as spreadsheets (enterprises, chains)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from data_sources.adapters import read_bytes
from data_sources.adapters.csv_records import ParsedCsv
from data_sources.errors import SourceMisconfigured, SourceUnavailable

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in WORKBOOK_SUFFIXES


def cell_text(value: object) -> str:
    """A cell's value as a CSV export would write it; empty for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def read_sheet(path: Path, sheet: str | None, where: str) -> ParsedCsv:
    """The records of `sheet` (the first sheet when None) in the workbook at `path`. Raises
    SourceUnavailable when the file is not there or empty, SourceMisconfigured when it is not
    a workbook or has no such sheet."""
    data = read_bytes(path, where)
    where = f"{where}: {path}"
    if not data:
        raise SourceUnavailable(f"{where}: the file is empty")
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceMisconfigured(f"{where}: not an Excel workbook (.xlsx): {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceMisconfigured(
                f"{where}: sheet: the workbook has no sheet {sheet!r} (it has {', '.join(book.sheetnames)})"
            )
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        return _records(list(worksheet.iter_rows(min_row=1, values_only=True)))
    finally:
        book.close()


def _records(rows: list[tuple[object, ...]]) -> ParsedCsv:
    parsed = ParsedCsv(line_count=len(rows))
    width = 0
    for number, row in enumerate(rows, start=1):
        cells = [cell_text(value) for value in row]
        while cells and cells[-1] == "":
            cells.pop()
        if not cells:
            continue  # an empty row
        if parsed.header is None:
            parsed.header = cells
            width = len(cells)
        elif len(cells) > width:
            raw = ",".join(cells)
            parsed.broken.append(
                (number, f"a value in column {len(cells)}, beyond the header's {width} columns", raw)
            )
        else:
            parsed.records.append(cells + [""] * (width - len(cells)))
            parsed.lines.append(number)
    return parsed
