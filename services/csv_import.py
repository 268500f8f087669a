"""`flask --app app cases import-csv FILE --mapping MAPPING.yaml`: a 12345 hotline's or a grid
system's CSV export into the store, through a mapping (data_sources/case_mapping.py) and the one
import service (services/case_import.py).

The file is read and mapped whole (a broken line, a value the mapping cannot read or an id that
repeats an earlier line rejects only its own line), then imported `chunk_rows` lines at a time:
each chunk is committed and followed by a checkpoint naming the last line done and the file's
identity (its size and a hash of its first 64 KiB). Run again after an interruption, the import
continues after that line; a file that changed since starts from the top, and so does a file
whose import finished (importing it again updates its cases, never duplicates them). A chunk
committed but not yet checkpointed when the run stopped is imported again: an update."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data_sources.adapters.csv_file import read_csv
from data_sources.case_mapping import CsvCaseMapping, MappingError, map_cases
from data_sources.errors import SourceUnavailable
from services.case_import import ImportReport, RowRejection, import_cases, load_checkpoint, save_checkpoint

CHUNK_ROWS = 10_000  # lines per commit and checkpoint
HEAD_BYTES = 64 * 1024


@dataclass
class CsvImportResult:
    """One run: its counts and rejections (those of the lines it read, in line order), the line
    it continued after (None when it began at the top) and, when a checkpoint was there but not
    used, why."""

    report: ImportReport
    resumed_after: int | None = None
    not_resumed: str | None = None
    lines_done: list[int] = field(default_factory=list)  # the line after which each chunk was saved


def checkpoint_key(path: Path) -> str:
    return f"csv:{path.resolve()}"


def file_identity(path: Path) -> dict[str, object]:
    """What tells this file from another at the same path: its size and its first bytes' hash."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            head = hashlib.sha256(file.read(HEAD_BYTES)).hexdigest()
    except OSError as exc:
        raise SourceUnavailable(f"import {path}: {exc.strerror or exc}") from None
    return {"size": size, "head": head}


def import_csv(
    path: Path,
    mapping: CsvCaseMapping,
    *,
    restart: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    actor: str | None = None,
    after_chunk: Callable[[int], None] | None = None,
) -> CsvImportResult:
    """Import the cases of the CSV file at `path` read through `mapping`, resuming after the
    last checkpoint unless `restart`. `after_chunk(line)` is called after each checkpoint.
    Runs in an app context; blocks while it reads and writes. Raises SourceUnavailable (no such
    file, or it is empty), SourceMisconfigured / MappingError (not CSV in the mapping's encoding,
    a column the mapping names is not in the header) before importing anything, and the store's
    error when a write fails (what was checkpointed stays)."""
    where = f"import {path}"
    parsed = read_csv(path, mapping.encoding, mapping.delimiter, "import")
    identity = file_identity(path)
    header = [h.strip() for h in parsed.header or []]
    for column, key in mapping.needed_columns:
        if header.count(column) > 1:
            raise MappingError(f"{where}: {key}: the header names {column!r} more than once")
    frame = pd.DataFrame(
        parsed.records, columns=header, index=pd.Index(parsed.lines, dtype="int64"), dtype=object
    )
    source = f"csv:{path.name}"
    mapped, mapping_rejections = map_cases(frame, mapping, source=source, where=where)
    reasons: dict[int, list[str]] = {}
    for line, reason, _raw in parsed.broken:
        reasons.setdefault(line, []).append(f"(line): {reason}")
    for rejection in mapping_rejections:
        reasons.setdefault(rejection.row, []).append(
            f"{rejection.field}: {rejection.reason} (value {rejection.value})"
        )
    ids = {r.row: r.key for r in mapping_rejections if r.key} | _ids(mapped)
    mapped = _without_repeated_ids(mapped, reasons)

    key = checkpoint_key(path)
    start, result = 0, CsvImportResult(ImportReport())
    saved = None if restart else load_checkpoint(key)
    if saved is not None:
        cursor = json.loads(saved)
        if cursor.get("complete"):
            result.not_resumed = "the last import of this file finished; importing it again"
        elif cursor.get("file") != identity:
            result.not_resumed = "the file changed since the interrupted import; starting from the top"
        else:
            start = result.resumed_after = int(cursor["line"])

    lines = [n for n in parsed.lines if n > start]
    chunks = [lines[i : i + chunk_rows] for i in range(0, len(lines), chunk_rows)] or [[]]
    done = start
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        upto = parsed.line_count if last else chunk[-1]
        rows = mapped[mapped.index.isin(chunk)]
        local = sorted(n for n in reasons if done < n <= upto)
        unread = [RowRejection(f"line {n}", ids.get(n), "; ".join(reasons[n])) for n in local]
        if len(rows) or unread:
            positions = [f"line {n}" for n in rows.index]
            _add(
                result.report,
                import_cases(rows, source=source, positions=positions, actor=actor, unread=unread),
            )
        save_checkpoint(key, json.dumps({"file": identity, "line": upto, "complete": last}))
        result.lines_done.append(upto)
        done = upto
        if after_chunk is not None:
            after_chunk(upto)
    result.report.rejections.sort(key=_line_of)
    return result


def _without_repeated_ids(mapped: pd.DataFrame, reasons: dict[int, list[str]]) -> pd.DataFrame:
    """`mapped` without the rows whose id an earlier line of the file has (rejected, naming it):
    the file is imported in chunks, so the import's own check would see only one chunk's repeats."""
    if "id" not in mapped:
        return mapped
    ids = mapped["id"].astype("string").str.strip()
    repeated = ids.notna() & ids.duplicated(keep="first")
    if not repeated.any():
        return mapped
    first = ids[~repeated & ids.notna()].reset_index().groupby("id")["index"].first()
    for line in mapped.index[repeated.to_numpy()]:
        reasons.setdefault(int(line), []).append(
            f"id: case id {ids.at[line]!r} repeats line {first[ids.at[line]]}"
        )
    return mapped[~repeated]


def _ids(mapped: pd.DataFrame) -> dict[int, str]:
    return {int(n): str(v) for n, v in mapped["id"].dropna().items()} if "id" in mapped else {}


def _add(total: ImportReport, part: ImportReport) -> None:
    total.imported += part.imported
    total.updated += part.updated
    total.rejected += part.rejected
    total.rejections += part.rejections


def _line_of(rejection: RowRejection) -> int:
    return int(rejection.position.removeprefix("line "))
