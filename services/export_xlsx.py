"""XLSX downloads: the cells of services.export's CSV written as an Excel workbook, in bounded
memory.

xlsxwriter in constant_memory mode writes each row to disk as soon as the next one starts, into
an anonymous temporary file (deleted by the system when closed, even if the process dies), so a
workbook of a million cases costs the memory of one chunk of rows, never the file's. An XLSX is a
zip whose directory comes last: it cannot be sent before it is finished, so the file is written
whole first and then streamed from disk.

Cells, against the CSV's:
- text is written as text, always (`write_string`; the workbook never turns a string into a
  formula, a number or a link), so a citizen's "=HYPERLINK(...)" arrives as those characters and
  needs no neutralising apostrophe;
- times are real Excel date-times (sortable, filterable, usable in a pivot) holding the park's
  wall time, cut to the second like the CSV's; Excel has no time zones, so each time's number
  format spells its offset ("2026-12-06 10:00:00 +08:00"): the cell reads as the CSV's text does
  and the zone is never lost;
- numbers are numbers; a missing value is an empty cell.
One sheet holds at most 1,048,576 rows (Excel's limit), the header included: a caller checks
`fits` before writing and refuses a larger export (splitting it over sheets would make a list
that no filter or sort in Excel sees whole)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import xlsxwriter

SHEET_ROWS = 1_048_576  # Excel's rows per sheet
MAX_ROWS = SHEET_ROWS - 1  # the header takes the first
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")  # day 0 of Excel's 1900 date system
SECONDS_PER_DAY = 86_400
# Rows read from the store per chunk: the workbook is written a cell at a time, so a chunk
# larger than this buys no speed and only raises the memory an export holds.
CHUNK_ROWS = 1_000


def fits(rows: int) -> bool:
    """Whether `rows` rows and a header fit on one sheet."""
    return rows <= MAX_ROWS


def xlsx_file(
    columns: list[str], frames: Iterable[pd.DataFrame], zone: ZoneInfo, *, sheet: str = "Sheet1"
) -> IO[bytes]:
    """A workbook of one sheet named `sheet`: a header of `columns`, then the rows of `frames`
    (each with `columns`) in order, cells as the module says. Returns an open anonymous temporary
    file positioned at its start; closing it deletes it. Memory: one frame plus xlsxwriter's
    current row. Blocks while writing. Raises ValueError when the rows do not fit on one sheet
    (check `fits` first: nothing useful has been sent by then) and OSError when the disk is full."""
    # not a context manager: the open file is what the caller gets (and closes)
    out = tempfile.TemporaryFile(prefix="onescreen-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        workbook = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                # text stays text: no formulas, numbers or links made from a citizen's string
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        for index, name in enumerate(columns):
            worksheet.write_string(0, index, name, bold)
        worksheet.freeze_panes(1, 0)
        time_formats: dict[str, Any] = {}
        row = 1
        for frame in frames:
            if frame.empty:
                continue
            if row + len(frame) > SHEET_ROWS:
                raise ValueError(f"more than {MAX_ROWS} rows: an XLSX sheet holds no more")
            writers = [_column_writer(worksheet, workbook, time_formats, frame[c], zone) for c in columns]
            for offset in range(len(frame)):
                for index, (values, write) in enumerate(writers):
                    value = values[offset]
                    if value is not None:
                        write(row + offset, index, value)
            row += len(frame)
        workbook.close()
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


class FileChunks:
    """A WSGI body that sends an open file in pieces of `chunk_bytes` and closes it (deleting a
    temporary file) when the server closes the body, when the pieces run out, or when the body
    is dropped unread (a client that went away before the first byte). Iterate once."""

    def __init__(self, file: IO[bytes], chunk_bytes: int = 256 * 1024) -> None:
        self._file = file
        self._chunk_bytes = chunk_bytes

    def __iter__(self) -> Iterator[bytes]:
        try:
            while piece := self._file.read(self._chunk_bytes):
                yield piece
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()

    def __del__(self) -> None:
        self.close()


Writer = Callable[[int, int, Any], Any]


def _column_writer(
    worksheet: Any, workbook: Any, time_formats: dict[str, Any], series: pd.Series, zone: ZoneInfo
) -> tuple[list[Any], Writer]:
    """The column's values (None: an empty cell) and the call that writes one of them."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _times(worksheet, workbook, time_formats, series, zone)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.astype("float64")
        values = [None if np.isnan(v) else v for v in numbers.to_numpy()]
        return values, worksheet.write_number
    texts = [None if v is None or v is pd.NA or v != v else str(v) for v in series.astype(object)]
    return texts, worksheet.write_string


def _times(
    worksheet: Any, workbook: Any, time_formats: dict[str, Any], series: pd.Series, zone: ZoneInfo
) -> tuple[list[Any], Writer]:
    """Excel serial days of the park's wall time, to the second, each paired with the format
    that shows its offset. Column-wise (write_datetime converts one value at a time)."""
    local = series.dt.tz_convert(zone).dt.tz_localize(None)
    utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
    seconds = (local.to_numpy().astype("datetime64[s]") - EXCEL_EPOCH).astype("int64")
    offsets = ((local - utc).dt.total_seconds() // 60).to_numpy()
    for minutes in pd.unique(offsets[~np.isnan(offsets)]):
        label = f"{'-' if minutes < 0 else '+'}{int(abs(minutes)) // 60:02d}:{int(abs(minutes)) % 60:02d}"
        if minutes not in time_formats:
            time_formats[minutes] = workbook.add_format({"num_format": f'yyyy-mm-dd hh:mm:ss "{label}"'})
    missing = series.isna().to_numpy()
    values = [
        None if gone else (day / SECONDS_PER_DAY, time_formats[minutes])
        for gone, day, minutes in zip(missing, seconds.tolist(), offsets.tolist(), strict=True)
    ]

    def write(row: int, column: int, value: tuple[float, Any]) -> Any:
        return worksheet.write_number(row, column, value[0], value[1])

    return values, write
