"""Act before complaints (未诉先办) as served: the counts domain/hotspots.py tests are GROUP BY
queries that run in the store (grid cell × case type × block of the window and its baseline
weeks; case type × block for the earlier years' season), and only the window's cases are read
as rows (a week of reports, for the ids behind a finding and the repeated-complaint clusters).
Every query carries the viewer's scope; the findings are cached per scope and newest case
(flask-caching), so a page refresh or the map's layer does not compute them again until a case
is added or TTL_S has passed.

Measured on the 300,000-case demo park (SQLite, whole park): see README, "Act before
complaints"."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, Result, and_, case, func, literal, or_, select

from domain.hotspots import Finding, HotspotRules, Span, Windows, find_hotspots, windows
from security.scope import Scope
from services.cache import cache
from services.case_types import type_name
from services.context import get_services
from store.models import Case, GridCell

TABLE = Case.__table__
TTL_S = 300  # new cases arrive a dozen an hour: a five-minute-old ranking is still today's
RULES = HotspotRules()
_lock = threading.Lock()


@dataclass(frozen=True)
class Hotspots:
    """The findings for one scope, with when and over which window they were computed."""

    findings: tuple[Finding, ...]
    windows: Windows
    computed_at: datetime
    query_ms: float  # the store's time for the counts and the window's cases
    tested: int  # (cell, type) pairs tested


def _frame(result: Result, columns: list[str]) -> pd.DataFrame:
    # plain tuples: pandas reads SQLAlchemy's Row objects one by one (18,000 rows: 200-350 ms
    # against 10-30 ms)
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def _bucket(spans: list[tuple[int, Span]]):
    return case(
        *[(and_(TABLE.c.reported_at >= s.start, TABLE.c.reported_at < s.end), literal(i)) for i, s in spans],
        else_=None,
    )


def _scoped(query, scope: Scope):
    return query if scope.whole_park else query.where(TABLE.c.department == scope.department)


def _first_report(connection: Connection, scope: Scope) -> datetime | None:
    query = select(func.min(TABLE.c.reported_at))
    if not scope.whole_park:
        query = query.where(TABLE.c.department == scope.department)
    return connection.execute(query).scalar_one_or_none()


def recent_counts(connection: Connection, w: Windows, scope: Scope) -> pd.DataFrame:
    """Cases per grid cell, case type and block (0 the window, k the k-th week back)."""
    spans = list(enumerate(w.years[0]))
    bucket = _bucket(spans).label("block")
    lo = min(s.start for _, s in spans)
    # Grouped by an expression, not the column: SQLite's planner otherwise walks the whole
    # grid-cell index to save the GROUP BY's sort instead of reading the report-time range
    # (measured 1.9-3.3 s at 300,000 cases against 80 ms).
    cell = TABLE.c.grid_cell.concat("").label("grid_cell")
    query = (
        select(cell, TABLE.c.case_type, bucket, func.count().label("count"))
        .where(TABLE.c.reported_at >= lo, TABLE.c.reported_at < w.window.end)
        .group_by(cell, TABLE.c.case_type, bucket)
    )
    frame = _frame(connection.execute(_scoped(query, scope)), ["grid_cell", "case_type", "block", "count"])
    # cases without a cell are dropped here, not in SQL: the range is what the index reads
    frame = frame.dropna(subset=["block", "grid_cell"])
    return frame.astype({"block": "int64", "count": "int64"})


def history_counts(connection: Connection, w: Windows, scope: Scope, years: list[int]) -> pd.DataFrame:
    """The type's park-wide (in scope) cases per block in the earlier `years`."""
    if not years:
        return pd.DataFrame(columns=["case_type", "year", "block", "count"])
    k = len(w.years[0])
    spans = [(y * k + b, span) for y in years for b, span in enumerate(w.years[y])]
    bucket = _bucket(spans).label("bucket")
    reach = or_(
        *[
            and_(TABLE.c.reported_at >= w.years[y][-1].start, TABLE.c.reported_at < w.years[y][0].end)
            for y in years
        ]
    )
    query = (
        select(TABLE.c.case_type, bucket, func.count().label("count"))
        .where(reach)
        .group_by(TABLE.c.case_type, bucket)
    )
    frame = _frame(connection.execute(_scoped(query, scope)), ["case_type", "bucket", "count"])
    frame = frame.dropna(subset=["bucket"]).astype({"bucket": "int64", "count": "int64"})
    frame["year"], frame["block"] = frame["bucket"] // k, frame["bucket"] % k
    return frame[["case_type", "year", "block", "count"]]


def window_cases(connection: Connection, w: Windows, scope: Scope) -> pd.DataFrame:
    """The window's cases: the ids behind findings and the places clusters are found in."""
    c = TABLE.c
    query = select(c.id, c.case_type, c.grid_cell, c.lon, c.lat, c.address).where(
        c.reported_at >= w.window.start, c.reported_at < w.window.end
    )
    frame = _frame(
        connection.execute(_scoped(query, scope)), ["id", "case_type", "grid_cell", "lon", "lat", "address"]
    )
    return frame.dropna(subset=["grid_cell"]).reset_index(drop=True)


def grid_cells(connection: Connection) -> pd.DataFrame:
    """The unit grid cells: names, centres and areas (index id)."""
    query = select(
        GridCell.id, GridCell.name, GridCell.name_en, GridCell.lon, GridCell.lat, GridCell.area_m2
    ).where(GridCell.level == "unit")
    frame = _frame(connection.execute(query), ["id", "name", "name_en", "lon", "lat", "area_m2"])
    return frame.set_index("id")


def compute(connection: Connection, scope: Scope, now: datetime, rules: HotspotRules = RULES) -> Hotspots:
    """The findings for `scope` at `now`, read from the store (uncached)."""
    started = time.perf_counter()
    zone = get_services().settings.zone
    w = windows(now, zone, rules)
    first = _first_report(connection, scope)
    covered = [b for b, span in enumerate(w.years[0]) if b > 0 and first is not None and span.start >= first]
    years = [y for y in range(1, len(w.years)) if first is not None and w.years[y][-1].start >= first]
    recent = recent_counts(connection, w, scope)
    history = history_counts(connection, w, scope, years)
    cases = window_cases(connection, w, scope)
    cells = grid_cells(connection)
    query_ms = (time.perf_counter() - started) * 1000
    findings = find_hotspots(recent, history, cases, cells, rules, w, baseline_blocks=len(covered))
    tested = recent.groupby(["grid_cell", "case_type"]).ngroups if not recent.empty else 0
    return Hotspots(tuple(findings), w, now, query_ms, tested)


def hotspots(scope: Scope, now: datetime | None = None) -> Hotspots:
    """The cached findings for `scope`, recomputed when a case was added since (the newest case's
    key names the cache entry: one primary-key read per refresh) and at least every TTL_S, as the
    window moves; one computation per process at a time. `now` (tests) bypasses the cache."""
    engine = get_services().engine
    if now is not None:
        with engine.connect() as connection:
            return compute(connection, scope, now)
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(TABLE.c.pk))).scalar_one_or_none()
    key = f"hotspots:{scope.department or '*'}:{newest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = cache.get(key)
        if cached is None:
            with engine.connect() as connection:
                cached = compute(connection, scope, datetime.now(UTC))
            cache.set(key, cached, timeout=TTL_S)
    return cached


def cell_names() -> dict[str, tuple[str, str]]:
    """grid cell id → (zh name, en name), cached like the findings."""
    cached = cache.get("hotspots:cells")
    if cached is None:
        with get_services().engine.connect() as connection:
            cells = grid_cells(connection)
        cached = {
            str(i): (str(zh), str(en))
            for i, zh, en in zip(cells.index, cells["name"], cells["name_en"], strict=True)
        }
        cache.set("hotspots:cells", cached, timeout=TTL_S)
    return cached


def feature(finding: Finding, zone: ZoneInfo) -> dict[str, Any]:
    """One finding as a GeoJSON Feature (RFC 7946): a Point at its cell's centre (a count) or
    its cases' centroid (a repeat; `radius_m` says how far they lie), null geometry when the
    place is unknown, and the evidence as properties. Windows are in the park's zone."""
    names = cell_names().get(finding.grid_cell, (finding.grid_cell, finding.grid_cell))
    located = finding.lon is not None and finding.lat is not None
    return {
        "type": "Feature",
        "id": f"{finding.kind}:{finding.grid_cell}:{finding.case_type}:{finding.case_ids[0] if finding.case_ids else ''}",
        "geometry": {"type": "Point", "coordinates": [finding.lon, finding.lat]} if located else None,
        "properties": {
            "kind": finding.kind,
            "grid_cell": finding.grid_cell,
            "grid_cell_name": names[0],
            "grid_cell_name_en": names[1],
            "case_type": finding.case_type,
            "case_type_name": type_name(finding.case_type, "zh"),
            "case_type_name_en": type_name(finding.case_type, "en"),
            "observed": finding.observed,
            "expected": round(finding.expected, 3),
            "ratio": None if math.isinf(finding.ratio) else round(finding.ratio, 2),
            "p": finding.p,
            "q": finding.q,
            "window_start": finding.window_start.astimezone(zone).isoformat(),
            "window_end": finding.window_end.astimezone(zone).isoformat(),
            "radius_m": finding.radius_m,
            "case_ids": list(finding.case_ids),
        },
    }


def feature_collection(result: Hotspots) -> dict[str, Any]:
    """The findings, ranked, as a GeoJSON FeatureCollection (with when they were computed)."""
    zone = get_services().settings.zone
    return {
        "type": "FeatureCollection",
        "features": [feature(f, zone) for f in result.findings],
        "computed_at": result.computed_at.isoformat(),
        "window_start": result.windows.window.start.astimezone(zone).isoformat(),
        "window_end": result.windows.window.end.astimezone(zone).isoformat(),
        "tested": result.tested,
    }
