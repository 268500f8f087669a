"""How the chain pages say things: money in 万元 / 亿元 (yuan in English), shares and growth,
a link's status and each finding in words with the figures behind it, and why a target ranks
where it does. Pure presentation over domain/chain_analysis.py; no Dash component here."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from domain.chain_analysis import Finding
from locales import t


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, lang: str) -> str:
    """Revenue and tax, kept in 10,000 yuan (万元) as Chinese statistics report them: 亿元 from
    one hundred million up; in English yuan with m or bn."""
    if _missing(value):
        return "—"
    assert value is not None
    if lang == "zh":
        return f"{value / 10_000:,.2f} 亿元" if abs(value) >= 10_000 else f"{value:,.0f} 万元"
    yuan = value * 10_000
    if abs(yuan) >= 1e9:
        return f"¥{yuan / 1e9:,.2f} bn"
    if abs(yuan) >= 1e6:
        return f"¥{yuan / 1e6:,.1f} m"
    return f"¥{yuan:,.0f}"


def share(value: float | None, digits: int = 0) -> str:
    """A share as a percentage; a share too small to show at `digits` says so (<0.1%), not 0%."""
    if _missing(value):
        return "—"
    assert value is not None
    least = 10.0**-digits
    if 0 < value * 100 < least:
        return f"<{least:.{digits}f}%"
    return f"{value * 100:.{digits}f}%"


def change(value: float | None) -> str:
    """A growth rate with its sign and arrow: ▲ 12.3% / ▼ 4.0%."""
    if _missing(value):
        return "—"
    assert value is not None
    arrow = "▲" if value > 0 else "▼" if value < 0 else "■"
    return f"{arrow} {abs(value) * 100:.1f}%"


def count(value: float | int | None) -> str:
    return "—" if _missing(value) else f"{int(value):,}"  # type: ignore[arg-type]


def status_text(status: str, lang: str) -> str:
    return t(f"chain.status.{status}", lang)


def stage_text(stage: str, lang: str) -> str:
    return t(f"chain.stage.{stage}", lang)


def name_of(row: Mapping[str, object], lang: str, field: str = "name") -> str:
    """The English name in English when there is one, else the Chinese (and the id at worst)."""
    en = row.get(f"{field}_en")
    zh = row.get(field)
    chosen = en if lang == "en" and isinstance(en, str) and en else zh
    if isinstance(chosen, str) and chosen:
        return chosen
    fallback = row.get("link") if field == "name" else row.get("chain")
    return str(fallback or "")


def finding_text(finding: Finding, lang: str) -> str:
    """One finding in words with its figures, e.g. "2 enterprises, fewer than 3"."""
    v = finding.values
    if finding.code in ("alone", "concentrated"):
        firm = v.get("name_en") if lang == "en" and v.get("name_en") else v.get("name")
        return t(f"chain.finding.{finding.code}", lang, name=firm, share=share(v.get("share")))  # type: ignore[arg-type]
    if finding.code == "few":
        key = "chain.finding.few_one" if v["count"] == 1 else "chain.finding.few"
        return t(key, lang, count=v["count"], minimum=v["minimum"])
    if finding.code == "falling":
        return t("chain.finding.falling", lang, growth=share(abs(v["growth"]), 1))  # type: ignore[arg-type]
    if finding.code == "thin":
        return t("chain.finding.thin", lang, share=share(v["share"], 1), limit=share(v["limit"]))  # type: ignore[arg-type]
    return t(f"chain.finding.{finding.code}", lang)


def findings_text(findings: Sequence[Finding], lang: str) -> list[str]:
    return [finding_text(f, lang) for f in findings]


def market_text(target: Mapping[str, object], link_names: Mapping[str, str], lang: str) -> str:
    """Why the target ranks where it does: the links next to it and what they hold, or (none
    drawn) the chain's average link its market was taken as."""
    near = [*target.get("upstream", []), *target.get("downstream", [])]  # type: ignore[misc]
    if not near:
        return t("chain.target.market_chain", lang, revenue=money(target.get("market"), lang))  # type: ignore[arg-type]
    sep = "、" if lang == "zh" else ", "
    return t(
        "chain.target.market",
        lang,
        links=sep.join(link_names.get(link, link) for link in near),
        count=count(target.get("near_enterprises")),  # type: ignore[arg-type]
        revenue=money(target.get("near_revenue"), lang),  # type: ignore[arg-type]
    )
