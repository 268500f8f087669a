"""CSV text as numbered records: the header, the good records with the line each starts on, and
the broken ones apart with their line numbers, so one bad line loses only itself. Shared by the
CSV source (csv_file.py), the case import and the workbook reader (xlsx_sheet.py), whose sheets
come out in the same shape."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from data_sources.adapters import decode, read_bytes
from data_sources.errors import SourceMisconfigured, SourceUnavailable


@dataclass
class ParsedCsv:
    """One file's records: the header, the good records with their first line numbers, and the
    broken ones as (line number, reason, raw text)."""

    header: list[str] | None = None
    records: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    broken: list[tuple[int, str, str]] = field(default_factory=list)
    line_count: int = 0


def parse_csv(text: str, delimiter: str) -> ParsedCsv:
    """Split CSV text into records, keeping every broken line apart with its line number.

    A record whose field count differs from the header's is broken. A quoting error breaks the
    record it starts in; a quote left open to the end of the file breaks only the line it opens
    on, and reading starts again on the next line, so one stray quote cannot swallow the rest."""
    physical = list(io.StringIO(text, newline=""))
    parsed = ParsedCsv(line_count=len(physical))
    start_at = 0  # lines consumed before the current reader started
    while True:
        reader = csv.reader(islice(physical, start_at, None), delimiter=delimiter, strict=True)
        done = start_at  # lines consumed up to the end of the last record
        restart = None
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                first = done + 1
                if parsed.header is None:
                    raise _BrokenHeader(first, str(exc)) from None
                # CPython's strict reader says "unexpected end of data" for a quote never closed
                if "end of data" in str(exc):
                    parsed.broken.append(
                        (first, "a quote opened on this line is never closed", physical[first - 1])
                    )
                    restart = first
                    break
                done = start_at + reader.line_num
                parsed.broken.append((first, f"bad quoting ({exc})", "".join(physical[first - 1 : done])))
                continue
            first = done + 1
            done = start_at + reader.line_num
            if not record or record == [""]:
                continue  # a blank line
            if parsed.header is None:
                parsed.header = record
            elif len(record) != len(parsed.header):
                raw = "".join(physical[first - 1 : done])
                parsed.broken.append((first, f"expected {len(parsed.header)} fields, saw {len(record)}", raw))
            else:
                parsed.records.append(record)
                parsed.lines.append(first)
        if restart is None:
            return parsed
        start_at = restart


class _BrokenHeader(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")


def read_csv(path: Path, encoding: str, delimiter: str, where: str) -> ParsedCsv:
    """The records of the CSV file at `path`, its broken lines apart (parse_csv). Blocks on the
    file system; `where` starts every message. Raises SourceUnavailable when the file is not
    there or empty (an export job that truncates before writing leaves it so for a moment),
    SourceMisconfigured when it is not CSV text in `encoding` or its header is broken."""
    data = read_bytes(path, where)
    where = f"{where}: {path}"
    if not data.strip():
        raise SourceUnavailable(f"{where}: the file is empty")
    text = decode(
        data, encoding, f"{where}: encoding", hint="exports from Chinese government systems are often gb18030"
    )
    if "\x00" in text:
        raise SourceMisconfigured(
            f"{where}: not a CSV file (it holds NUL characters: a spreadsheet or binary?)"
        )
    try:
        return parse_csv(text, delimiter)
    except _BrokenHeader as exc:
        raise SourceMisconfigured(f"{where}: not a CSV file: the header is broken at {exc}") from None
