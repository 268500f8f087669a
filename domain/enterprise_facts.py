"""One row of facts per enterprise, from the enterprises, enterprise-figures and chains
contracts: what the chain analysis, the enterprise profile and policy matching all ask of a firm
(its link and stage, age, size class, last year's figures, growth and R&D share).

"Last year" is the latest year the park has figures for (the statistics of a year arrive in
the next one); a firm without figures that year has its figures empty there, not an older
year's, so every total in a comparison is over the same year."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from domain.enterprise_sizes import size_class

FIGURES = ("revenue", "tax", "employees", "rd_spending", "patents")
PREVIOUS = ("revenue_previous", "tax_previous", "employees_previous")
COLUMNS = (
    "id", "name", "name_en", "credit_code", "industry_code", "chain", "chain_link", "stage",
    "lon", "lat", "founded_on", "age_years", "year", *FIGURES, "revenue_previous", "revenue_growth",
    "tax_previous", "employees_previous", "rd_share", "patents_total", "size",
)  # fmt: skip


def figures_year(figures: pd.DataFrame) -> int | None:
    """The latest year with figures, or None when there are none."""
    if figures.empty or figures["year"].isna().all():
        return None
    return int(figures["year"].max())


def growth(now: pd.Series, before: pd.Series) -> pd.Series:
    """now / before - 1, NaN where `before` is missing or not positive (no meaningful rate)."""
    now = pd.to_numeric(now, errors="coerce")
    before = pd.to_numeric(before, errors="coerce")
    return (now / before.where(before > 0)) - 1


def enterprise_facts(
    enterprises: pd.DataFrame, figures: pd.DataFrame, links: pd.DataFrame, today: date
) -> pd.DataFrame:
    """The facts frame (COLUMNS), one row per enterprise, in the enterprises' order."""
    firms = enterprises.reset_index(drop=True)
    out = pd.DataFrame({c: firms.get(c, None) for c in ("id", "name", "name_en", "credit_code")})
    out["industry_code"] = firms["industry_code"].astype(str)
    link_ids = firms["chain_link"] if "chain_link" in firms else pd.Series([None] * len(firms))
    known = links.drop_duplicates("link").set_index("link") if not links.empty else None
    # a park with no chain links yet (none synced) has enterprises in no link
    out["chain_link"] = link_ids.where(
        link_ids.isin(known.index) if known is not None else pd.Series(False, index=link_ids.index)
    )
    out["chain"] = out["chain_link"].map(known["chain"]) if known is not None else None
    out["stage"] = out["chain_link"].map(known["stage"]) if known is not None else None
    for c in ("lon", "lat"):
        out[c] = pd.to_numeric(firms[c], errors="coerce") if c in firms else np.nan
    founded = pd.to_datetime(firms["founded_on"], errors="coerce") if "founded_on" in firms else None
    out["founded_on"] = founded.dt.date if founded is not None else None
    out["age_years"] = (
        ((pd.Timestamp(today) - founded).dt.days / 365.25).round(2) if founded is not None else np.nan
    )
    year = figures_year(figures)
    out["year"] = year
    if year is None:
        for c in (*FIGURES, *PREVIOUS, "revenue_growth", "rd_share", "patents_total"):
            out[c] = np.nan
    else:
        last = figures[figures["year"] == year].drop_duplicates("enterprise_id").set_index("enterprise_id")
        before = (
            figures[figures["year"] == year - 1].drop_duplicates("enterprise_id").set_index("enterprise_id")
        )
        for c in FIGURES:
            out[c] = pd.to_numeric(out["id"].map(last[c]), errors="coerce")
        for c in PREVIOUS:  # last year's figures of the year before, for like-for-like growth
            out[c] = pd.to_numeric(out["id"].map(before[c.removesuffix("_previous")]), errors="coerce")
        out["revenue_growth"] = growth(out["revenue"], out["revenue_previous"])
        out["rd_share"] = out["rd_spending"] / out["revenue"].where(out["revenue"] > 0)
        totals = pd.to_numeric(figures["patents"], errors="coerce").groupby(figures["enterprise_id"]).sum()
        out["patents_total"] = out["id"].map(totals).fillna(0)
    out["size"] = [
        size_class(code, people, money)
        for code, people, money in zip(out["industry_code"], out["employees"], out["revenue"], strict=True)
    ]
    return out[list(COLUMNS)]


def history(figures: pd.DataFrame, enterprise_id: str) -> pd.DataFrame:
    """One firm's yearly figures, oldest first, with revenue growth and R&D share per year."""
    rows = figures[figures["enterprise_id"] == enterprise_id].sort_values("year").reset_index(drop=True)
    rows = rows.drop(columns=["enterprise_id"])
    rows["revenue_growth"] = growth(rows["revenue"], rows["revenue"].shift(1))
    revenue = pd.to_numeric(rows["revenue"], errors="coerce")
    rows["rd_share"] = pd.to_numeric(rows["rd_spending"], errors="coerce") / revenue.where(revenue > 0)
    return rows
