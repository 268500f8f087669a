"""A drill-down level's split as a download: one row per value of the level's field (its id, its
name in the reader's language, the KPI's figure for it in the unit the card shows:
components.kpi_format.scaled), written by
the app's one CSV writer (services.export: BOM, formula-like text quoted) or as an XLSX
(services.export_xlsx: text stays text)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pandas as pd

from components import kpi_format as fmt
from domain.kpis import KpiSpec
from services.export import csv_text
from services.export_xlsx import xlsx_file


def split_frame(spec: KpiSpec, by: str, rows: Sequence[tuple[str, float | None]], lang: str) -> pd.DataFrame:
    """The rows as a table with headers in `lang`: the value's id, its name, the figure (its unit
    in the header)."""
    unit = "%" if spec.format == "percent" else fmt.unit(spec, lang)
    figure = f"{fmt.label(spec, lang)} ({unit})" if unit else fmt.label(spec, lang)
    return pd.DataFrame(
        {
            "id": [key for key, _ in rows],
            fmt.field_name(by, lang): [fmt.value_name(by, key, lang) for key, _ in rows],
            figure: [None if v is None else round(fmt.scaled(v, spec.format), 4) for _, v in rows],
        }
    )


def csv_bytes(frame: pd.DataFrame, zone: ZoneInfo) -> bytes:
    return csv_text(frame, zone).encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame, zone: ZoneInfo, sheet: str) -> bytes:
    out = xlsx_file([str(c) for c in frame.columns], [frame.set_axis([str(c) for c in frame.columns], axis=1)], zone,
                    sheet=sheet[:31])  # fmt: skip
    try:
        return out.read()
    finally:
        out.close()
