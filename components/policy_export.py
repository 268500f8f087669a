"""A policy's lists as a download: every listed enterprise (those that qualify, nearly qualify
and lack figures) with its status, identity, figures and, for the last two, what it misses in
words, headers in the reader's language. Written by the app's CSV and XLSX writers
(components.kpi_export: services.export's BOM and formula quoting; services.export_xlsx)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from components.policy_words import reasons_text, status_text
from locales import t


def export_frame(frame: pd.DataFrame, names: Mapping[str, str], lang: str) -> pd.DataFrame:
    """`frame` (services.policies.matches) as the download's table."""

    def number(column: str, scale: float = 1.0, digits: int = 2) -> pd.Series:
        return (pd.to_numeric(frame[column], errors="coerce") * scale).round(digits)

    name_column = "name_en" if lang == "en" else "name"
    names_shown = frame[name_column].where(
        frame[name_column].notna() & (frame[name_column] != ""), frame["name"]
    )
    return pd.DataFrame(
        {
            t("policies.col.status", lang): [status_text(s, lang) for s in frame["status"]],
            "id": frame["id"],
            t("policies.col.credit_code", lang): frame["credit_code"],
            t("policies.col.name", lang): names_shown,
            t("policies.col.link", lang): [
                names.get(v, v) if isinstance(v, str) else None for v in frame["chain_link"]
            ],
            t("policies.col.size", lang): [
                t(f"size.{s}", lang) if isinstance(s, str) else None for s in frame["size"]
            ],
            t("policies.col.revenue", lang): number("revenue", digits=1),
            t("policies.col.rd_share", lang): number("rd_share", 100),
            t("policies.col.growth", lang): number("revenue_growth", 100),
            t("policies.col.patents_total", lang): number("patents_total", digits=0),
            t("policies.col.age", lang): number("age_years"),
            t("policies.col.reason", lang): [reasons_text(r or (), lang) for r in frame["reasons"]],
        }
    )
