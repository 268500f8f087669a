"""CSV downloads, the one writer the JSON API and the admin pages share, and park-local times
at the boundary: filters typed in the park's time become UTC bounds, exported times are
written in the park's zone.

A download is UTF-8 with a byte order mark (Excel then reads Chinese right), times ISO 8601
with their offset, and text that a spreadsheet would run as a formula quoted. Small downloads
(the audit log's) are written whole by `csv_text`; large ones (cases) are streamed by
`csv_chunks`, one chunk of rows at a time, with the same cells."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

# Excel runs a cell that starts with one of these as a formula (CSV injection, OWASP): a
# citizen's description, or a username a visitor typed at sign-in, must not become one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def park_to_utc(moment: date | datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of `moment` read in the park's zone: a date is its midnight there, a
    date-time without offset its wall time there; one with an offset stays the instant it is."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def csv_text(frame: pd.DataFrame, zone: ZoneInfo, *, json_columns: tuple[str, ...] = ()) -> str:
    """`frame` as CSV text beginning with a BOM: aware times in `zone`, `json_columns` as JSON,
    formula-like text quoted with a leading apostrophe. Column-wise: 200,000 cases take
    seconds, not tens of them."""
    return BOM + _cells(frame, zone, json_columns).to_csv(index=False, lineterminator="\r\n")


def csv_chunks(
    columns: list[str], frames: Iterable[pd.DataFrame], zone: ZoneInfo, *, json_columns: tuple[str, ...] = ()
) -> Iterator[bytes]:
    """The CSV of `frames` (each with `columns`) as UTF-8 bytes, one piece per frame after a
    first piece with the BOM and the header (so an export with no rows still names its
    columns): the same cells as csv_text, never more than one frame's text in memory."""
    yield (BOM + pd.DataFrame(columns=columns).to_csv(index=False, lineterminator="\r\n")).encode("utf-8")
    for frame in frames:
        if not frame.empty:
            text = _cells(frame[columns], zone, json_columns).to_csv(
                index=False, header=False, lineterminator="\r\n"
            )
            yield text.encode("utf-8")


def _cells(frame: pd.DataFrame, zone: ZoneInfo, json_columns: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with the cells a download writes: times as ISO text in `zone`, `json_columns`
    as JSON, formula-like text quoted (see FORMULA_START)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = _iso_in(series, zone)
            continue
        if column in json_columns:
            series = out[column] = series.map(
                lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
            )
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            # checked once per distinct value: most columns hold a few (status, domain, action)
            formulas = [v for v in pd.unique(series) if isinstance(v, str) and v.startswith(FORMULA_START)]
            if formulas:
                hit = series.isin(formulas)
                out.loc[hit, column] = "'" + series[hit]
    return out


def _iso_in(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Aware times as ISO 8601 text to the second in `zone`, with its offset ('' for none).
    Column-wise: the wall time by numpy, the offset from the few distinct ones (isoformat per
    row took seconds for an export)."""
    utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
    local = series.dt.tz_convert(zone).dt.tz_localize(None)
    minutes = (local - utc).dt.total_seconds() // 60
    offsets = {
        m: f"{'-' if m < 0 else '+'}{int(abs(m)) // 60:02d}:{int(abs(m)) % 60:02d}"
        for m in minutes.dropna().unique()
    }
    wall = pd.Series(
        np.datetime_as_string(local.to_numpy().astype("datetime64[s]")), index=series.index, dtype=object
    )
    return (wall + minutes.map(offsets)).where(series.notna(), "")


def export_detail(rows: int, matched: int, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The detail of an export's audit row, the same keys for every download: `rows` written,
    `matched` in all (more than `rows`: the download was cut), then the filters (times as ISO
    8601, tuples as lists: the detail is stored as JSON)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return list(value) if isinstance(value, tuple) else value

    return {"rows": rows, "matched": matched, **{key: plain(value) for key, value in filters.items()}}
