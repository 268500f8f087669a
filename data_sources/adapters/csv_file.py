"""CsvFileSource: one contract read from a CSV file or an Excel workbook's sheet (.xlsx,
xlsx_sheet.py), or from every such file a folder or glob names.

Exports from Chinese government systems are often GB18030/GBK with Chinese headers: `encoding`
and a `columns` mapping from the file's header to contract fields cover them. Naive times are
localised to `timezone` when one is given, else left for the validator to reject.

A broken line (wrong number of fields, bad quoting) loses only itself: it is reported with its
line number through the monitor's PARSE_REJECTIONS hook and the good rows are kept. The frame's
index is the line number of each row, so the validator's rejections name lines too. We parse with
the csv module, not pandas: pandas' `on_bad_lines` callable is given the fields but not the line
number, and its python engine is this same csv reader underneath. A workbook's records are
numbered by their spreadsheet row, as Excel shows them."""

from __future__ import annotations

import codecs
import glob
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from data_sources.adapters import resolve_path
from data_sources.adapters.csv_records import ParsedCsv, read_csv
from data_sources.adapters.csv_records import parse_csv as parse_csv  # where tests and callers found it
from data_sources.adapters.xlsx_sheet import is_workbook, read_sheet
from data_sources.base import DataSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import HAS_OFFSET, Rejection, localise, shorten

_GLOB_CHARS = frozenset("*?[")


def _known_encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown encoding {value!r}") from None
    return value


def _one_character(value: str) -> str:
    if len(value) != 1 or value in '\r\n"':
        raise ValueError(f"the delimiter must be one character other than a quote or newline, not {value!r}")
    return value


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
    return value


# Option types shared by every reader of CSV files (this source, the case import's mappings).
Encoding = Annotated[str, AfterValidator(_known_encoding)]
Delimiter = Annotated[str, AfterValidator(_one_character)]
ZoneName = Annotated[str | None, AfterValidator(_known_zone)]


class CsvFileOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str  # a file, a folder (every *.csv and *.xlsx in it) or a glob; relative to the config's base_dir
    sheet: str | None = None  # the sheet of a workbook (.xlsx) to read; default its first
    contract: str
    encoding: Encoding = "utf-8-sig"  # tolerates a byte-order mark; use gb18030 for GBK exports
    delimiter: Delimiter = ","
    columns: dict[str, str] = {}  # the file's header → contract field, e.g. {"案件编号": "id"}
    timezone: ZoneName = None  # the zone of naive times in the file, e.g. Asia/Shanghai

    @field_validator("contract")
    @classmethod
    def _known_contract(cls, value: str) -> str:
        if value not in CONTRACTS:
            raise ValueError(f"unknown contract {value!r}; known: {', '.join(CONTRACTS)}")
        return value


class CsvFileSource(DataSource):
    """A CSV file (or folder of them) as one contract. Reads the whole file on each fetch;
    no connection to hold, so open() and close() do nothing."""

    kind = "csv"
    contracts = frozenset(CONTRACTS)  # each instance serves the one named in its options
    Options = CsvFileOptions
    options: CsvFileOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        contract = CONTRACTS[self.options.contract]
        fields = set(contract.columns)
        seen: dict[str, str] = {}
        for header, target in self.options.columns.items():
            if target not in fields:
                raise SourceMisconfigured(
                    f"source {name!r} (csv): columns.{header}: {target!r} is not a field of contract "
                    f"{contract.name!r} (fields: {', '.join(contract.columns)})"
                )
            if target in seen:
                raise SourceMisconfigured(
                    f"source {name!r} (csv): columns.{header}: {target!r} is already mapped from {seen[target]!r}"
                )
            seen[target] = header
        # The interface declares `contracts` on the class; a CSV source narrows it to its one
        # contract so the source manager refuses to let it serve any other at start-up.
        self.contracts = frozenset({contract.name})

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """Read every file; raise SourceUnavailable when none is there (a share may come back),
        SourceMisconfigured when a file is not CSV in the configured encoding or its header
        does not fit the contract."""
        if contract not in self.contracts:
            raise ContractError(
                f"source {self.name!r} (csv) provides {self.options.contract!r}, not {contract!r}"
            )
        files = self._files()
        frames: list[pd.DataFrame] = []
        rejections: list[Rejection] = []
        offset = 0  # with several files, rows are numbered as if the files were one, in name order
        for path in files:
            frame, broken, line_count = self._read(path, offset, label=path.name if len(files) > 1 else None)
            frames.append(frame)
            rejections.extend(broken)
            offset += line_count
        frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        frame, unlocalised = self._localise(frame)
        rejections.extend(unlocalised)
        frame.attrs[PARSE_REJECTIONS] = sorted(rejections, key=lambda r: r.row)
        return frame

    def _files(self) -> list[Path]:
        target = resolve_path(self.options.path, self.base_dir)
        if _GLOB_CHARS & set(str(target)):
            files = sorted(Path(p) for p in glob.glob(str(target)) if Path(p).is_file())
        elif target.is_dir():
            files = sorted(
                p for p in target.iterdir() if (p.suffix.lower() == ".csv" or is_workbook(p)) and p.is_file()
            )
        else:
            return [target]
        if not files:
            raise SourceUnavailable(f"source {self.name!r} (csv): no CSV file matches {str(target)!r}")
        return files

    def _read(self, path: Path, offset: int, label: str | None) -> tuple[pd.DataFrame, list[Rejection], int]:
        """One file's good rows (indexed by line number + offset), its broken lines, its line count."""
        where = f"source {self.name!r} (csv): {path}"
        if is_workbook(path):
            parsed = read_sheet(path, self.options.sheet, f"source {self.name!r} (csv)")
            unit = "row"  # as the spreadsheet numbers it
        else:
            parsed = read_csv(
                path, self.options.encoding, self.options.delimiter, f"source {self.name!r} (csv)"
            )
            unit = "line"
        names = self._columns(parsed, where)
        index = pd.Index([offset + n for n in parsed.lines], dtype="int64")
        frame = pd.DataFrame(parsed.records, columns=names, index=index, dtype=object)
        prefix = f"{label} " if label else ""
        rejections = [
            Rejection(
                self.name,
                self.options.contract,
                offset + line,
                None,
                "(line)",
                shorten(raw.rstrip("\r\n")),
                f"{prefix}{unit} {line}: {reason}",
            )
            for line, reason, raw in parsed.broken
        ]
        return frame, rejections, parsed.line_count

    def _columns(self, parsed: ParsedCsv, where: str) -> list[str]:
        """The contract field each header column holds; refuse a header that does not fit."""
        header = [h.strip() for h in parsed.header or []]
        missing = [h for h in self.options.columns if h not in header]
        if missing:
            raise SourceMisconfigured(
                f"{where}: columns.{missing[0]}: the header has no column {missing[0]!r} (it has {', '.join(header)})"
            )
        names = [self.options.columns.get(h, h) for h in header]
        for position, name in enumerate(names):
            if name in names[:position]:
                first = names.index(name)
                raise SourceMisconfigured(
                    f"{where}: the header names {name!r} more than once: "
                    f"{self._origin(header, first)} and {self._origin(header, position)}"
                )
        contract = CONTRACTS[self.options.contract]
        absent = [f.name for f in contract.fields if f.required and f.name not in names]
        if absent:
            raise SourceMisconfigured(
                f"{where}: the header lacks the {contract.name} fields {', '.join(absent)} "
                f"(it has {', '.join(header)}); map them with `columns`"
            )
        return names

    def _origin(self, header: list[str], position: int) -> str:
        """Where a column's field comes from, for a message: its header, and the mapping used."""
        text = header[position]
        mapped = f" through columns.{text}" if text in self.options.columns else ""
        return f"column {position + 1} {text!r}{mapped}"

    def _localise(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Rejection]]:
        """Give naive times the configured zone, as UTC ISO text; times with an offset and text
        that is no time at all are left as they are for the validator."""
        zone = self.options.timezone
        if zone is None or frame.empty:
            return frame, []
        rejections: list[Rejection] = []
        dropped = pd.Series(False, index=frame.index)
        for f in CONTRACTS[self.options.contract].fields:
            if f.kind != "datetime" or f.name not in frame:
                continue
            text = frame[f.name].astype("string").str.strip()
            naive = (text.fillna("") != "") & ~text.str.contains(HAS_OFFSET).fillna(False).astype(bool)
            if not naive.any():
                continue
            local = pd.to_datetime(text.where(naive), format="ISO8601", errors="coerce")
            utc = localise(local, zone)
            converted = utc.notna()
            frame.loc[converted, f.name] = utc[converted].dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
            # in a zone with daylight saving, an hour a year happens twice and one never does
            gap = local.notna() & ~converted
            for row in gap[gap].index:
                rejections.append(
                    Rejection(
                        self.name,
                        self.options.contract,
                        int(row),
                        None,
                        f.name,
                        shorten(text.at[row]),
                        f"this local time is ambiguous or does not exist in {zone}",
                    )
                )
            dropped |= gap
        return (frame[~dropped] if dropped.any() else frame), rejections
