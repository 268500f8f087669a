"""Load and check the human-reviewed catalogues: departments and case types (config/*.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from demo.files import CONFIG_DIR, read_yaml

STAGES = ("accept", "dispatch", "handle", "verify")
SEASONS = ("none", "spring", "summer", "rainy", "autumn", "winter", "heating", "festival", "school")

# The six source channels (DOMAIN.md), in the order the screen lists them.
CHANNELS = pd.DataFrame(
    [
        ("hotline_12345", "12345热线", "12345 hotline"),
        ("video_ai", "视频智能发现", "Video-AI discovery"),
        ("grid_patrol", "网格员巡查", "Grid-worker patrol"),
        ("wechat", "微信公众号", "WeChat public account"),
        ("snap_report", "随手拍", "Snap-and-report app"),
        ("portal", "门户网站", "Portal website"),
    ],
    columns=["id", "name", "name_en"],
)
# Channels no domain's mix draws on, so the demo generates no case on them: cases officers open
# from sensor alerts (services/alert_cases.py). ALL_CHANNELS is what a case may arrive by.
OPENED_CHANNELS = pd.DataFrame([("iot_alert", "物联感知告警", "IoT sensor alert")], columns=CHANNELS.columns)
ALL_CHANNELS = pd.concat([CHANNELS, OPENED_CHANNELS], ignore_index=True)


class CatalogueError(ValueError):
    """A catalogue file is inconsistent; the message names the entry and the problem."""


@dataclass(frozen=True, slots=True)
class CaseCatalogue:
    """The case types (one row each, every stage limit resolved) and, per domain, its share of
    cases and its channel mix (a frame: domains × channels, rows adding up to 1)."""

    types: pd.DataFrame
    domain_share: pd.Series
    channel_mix: pd.DataFrame


def load_departments(path: Path | None = None) -> pd.DataFrame:
    """Departments as a frame: id, name, name_en, kind, domains (comma-separated ids).

    Raises CatalogueError on a duplicate id or an id longer than 32 characters."""
    raw = read_yaml(path or CONFIG_DIR / "departments.yaml")
    rows = []
    for d in raw["departments"]:
        if len(d["id"]) > 32:
            raise CatalogueError(f"department {d['id']!r}: id longer than 32 characters")
        rows.append((d["id"], d["zh"], d["en"], d["kind"], ",".join(d.get("domains") or [])))
    frame = pd.DataFrame(rows, columns=["id", "name", "name_en", "kind", "domains"])
    if frame["id"].duplicated().any():
        raise CatalogueError(f"duplicate department ids: {sorted(frame['id'][frame['id'].duplicated()])}")
    return frame


def load_case_types(departments: pd.DataFrame, path: Path | None = None) -> CaseCatalogue:
    """Read config/case_types.yaml, resolve each type's defaults and check it.

    Raises CatalogueError naming the offending domain or type."""
    raw = read_yaml(path or CONFIG_DIR / "case_types.yaml")
    known_departments = set(departments["id"])
    rows, shares, mixes = [], {}, {}
    for domain, spec in raw["domains"].items():
        shares[domain] = float(spec["share"])
        mix = {c: float(spec["channels"].get(c, 0.0)) for c in CHANNELS["id"]}
        unknown = set(spec["channels"]) - set(mix)
        if unknown or abs(sum(mix.values()) - 1) > 1e-6:
            raise CatalogueError(f"domain {domain}: channels must be known and add up to 1")
        mixes[domain] = mix
        for t in spec["types"]:
            rows.append(_resolve_type(domain, spec, t, known_departments))
    types = pd.DataFrame(rows)
    if types["id"].duplicated().any():
        raise CatalogueError(f"duplicate case type ids: {sorted(types['id'][types['id'].duplicated()])}")
    share = pd.Series(shares, dtype="float64")
    if abs(share.sum() - 1) > 1e-6:
        raise CatalogueError(f"domain shares add up to {share.sum():g}, not 1")
    return CaseCatalogue(types=types, domain_share=share, channel_mix=pd.DataFrame(mixes).T[CHANNELS["id"]])


def _resolve_type(domain: str, spec: dict, t: dict, known_departments: set[str]) -> dict:
    where = f"case type {t.get('id')!r}"
    department = t.get("department", spec["department"])
    if department not in known_departments:
        raise CatalogueError(f"{where}: unknown department {department!r}")
    if len(t["id"]) > 64:
        raise CatalogueError(f"{where}: id longer than 64 characters")
    season = t.get("season", "none")
    if season not in SEASONS:
        raise CatalogueError(f"{where}: unknown season {season!r}")
    sla = {**spec["sla_h"], **t.get("sla_h", {})}
    if "handle_h" in t:
        sla["handle"] = t["handle_h"]
    urgent = bool(t.get("urgent", False))
    if urgent:
        # An emergency is taken and sent on at once: half the ordinary acceptance and dispatch time.
        sla["accept"], sla["dispatch"] = sla["accept"] / 2, sla["dispatch"] / 2
    if any(float(sla[s]) <= 0 for s in STAGES):
        raise CatalogueError(f"{where}: every stage limit must be positive")
    return {
        "id": t["id"],
        "name": t["zh"],
        "name_en": t["en"],
        "domain": domain,
        "domain_name": spec["zh"],
        "domain_name_en": spec["en"],
        "department": department,
        **{f"sla_{s}_h": float(sla[s]) for s in STAGES},
        "urgent": urgent,
        "video_ai": bool(t.get("video_ai", False)),
        "season": season,
        "weight": float(t.get("weight", 1)),
        "note": t["note"],
    }
