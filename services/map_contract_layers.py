"""Map layers drawn from the contracts with locations, each within the reader's scope: sensors
coloured by their state (an open alert's severity, silent, or reporting), enterprises by their
industrial chain, the cases of a time range (the newest CASE_CAP as points for the clusters, and
all of them counted in squares for the heat map), the hot spots of the case analysis, and the
open alerts at their sensors. Cases and alerts are queried in the store (store/map_rows.py),
never read whole; sensors, enterprises and chains are small contracts from the snapshot cache."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from domain.alert_lifecycle import SEVERITY_RANK
from domain.map_layers import LayerSpec
from locales import t
from security.scope import Scope
from services import hotspots as hotspot_service
from services.case_types import type_name
from services.context import get_services
from services.data import snapshot
from services.kpi_periods import Period
from services.map_drawn import Drawn, LegendEntry, band_legend, band_of, bands, categories, feature, point
from services.map_feature_layers import park_centre
from services.scoping import scoped_snapshot
from store import alert_rows, map_rows
from store.kpi_sql import scope_condition

CASE_CAP = 20_000  # points a browser clusters smoothly (FIELD_NOTES: 56,801 take ~1 s at 4K)
SILENT_AFTER = timedelta(minutes=30)  # a sensor not heard for this long is drawn as silent
METRES_PER_DEGREE = 111_320.0
# Fixed classes, in legend order, and the catalogue message naming each (a word the reader knows)
SEVERITIES = {
    "critical": "alert_severity.critical",
    "warning": "alert_severity.warning",
    "info": "alert_severity.info",
}
SENSOR_STATES = {**SEVERITIES, "silent": "map.class.silent", "ok": "map.class.reporting"}
CASE_CLASSES = {"overdue": "map.class.overdue", "open": "map.class.open", "closed": "case.status.closed"}
HOTSPOT_KINDS = {"count": "hotspots.kind.count", "repeat": "hotspots.kind.repeat"}


def _fixed_legend(names: dict[str, str], found: Counter) -> tuple[LegendEntry, ...]:
    return tuple(
        LegendEntry(k, k, t(key, "zh"), t(key, "en"), found[k]) for k, key in names.items() if found.get(k)
    )


def sensors_layer(spec: LayerSpec, scope: Scope, now: datetime) -> Drawn:
    frame = scoped_snapshot("sensors", scope)
    with get_services().engine.connect() as connection:
        alerts = map_rows.open_alerts_at_sensors(connection, scope_condition("alerts", scope))
        heard = alert_rows.heard_since(connection, now - SILENT_AFTER)  # sensor → its readings' times
    worst: dict[str, str] = {}
    for a in alerts:
        held = worst.get(a["sensor_id"])
        if held is None or SEVERITY_RANK.get(a["severity"], 0) > SEVERITY_RANK.get(held, 0):
            worst[a["sensor_id"]] = a["severity"]
    features, states = [], Counter()
    for row in frame.itertuples(index=False):
        if row.lon is None or row.lat is None or math.isnan(row.lon) or math.isnan(row.lat):
            continue
        state = worst.get(row.id) or ("ok" if row.id in heard else "silent")
        states[state] += 1
        props = {"k": state, "name": row.name, "name_en": row.name_en, "kind": row.kind}
        features.append(feature(row.id, point(row.lon, row.lat), props))
    return Drawn(spec.id, features, _fixed_legend(SENSOR_STATES, states), len(features))


def enterprises_layer(spec: LayerSpec) -> Drawn:
    firms = snapshot("enterprises").frame
    chains = snapshot("chains").frame
    chain_of = dict(zip(chains["link"], chains["chain"], strict=True)) if not chains.empty else {}
    names = {
        c: (zh, en)
        for c, zh, en in zip(
            chains.get("chain", []),
            chains.get("chain_name", []),
            chains.get("chain_name_en", []),
            strict=True,
        )
    }
    located = firms[firms["lon"].notna() & firms["lat"].notna()] if not firms.empty else firms
    chain = [
        chain_of.get(link, "none") if isinstance(link, str) else "none"
        for link in located.get("chain_link", [])
    ]
    css, legend = categories(chain, lambda c: names.get(c, ("链外企业", "Outside the chains")))
    features = [
        feature(
            row.id,
            point(row.lon, row.lat),
            {"k": css[c], "name": row.name, "name_en": row.name_en, "chain": c},
        )
        for row, c in zip(located.itertuples(index=False), chain, strict=True)
    ]
    return Drawn(spec.id, features, legend, len(features))


def _case_class(row: dict[str, Any], now: datetime) -> str:
    if row["status"] in map_rows.OPEN_STATUSES:
        deadline = row["sla_deadline"]
        return "overdue" if deadline is not None and deadline < now else "open"
    return "closed"


def cases_layer(spec: LayerSpec, scope: Scope, span: Period, now: datetime) -> Drawn:
    with get_services().engine.connect() as connection:
        rows, total = map_rows.case_points(
            connection, span.start, span.end, scope_condition("cases", scope), CASE_CAP
        )
    found: Counter = Counter()
    features = []
    for row in rows:
        k = _case_class(row, now)
        found[k] += 1
        props = {"k": k, "type": row["case_type"], "name": type_name(row["case_type"], "zh"),
                 "name_en": type_name(row["case_type"], "en")}  # fmt: skip
        features.append(feature(row["id"], point(row["lon"], row["lat"]), props))
    return Drawn(spec.id, features, _fixed_legend(CASE_CLASSES, found), total, capped=total > len(features))


def heat_layer(spec: LayerSpec, scope: Scope, span: Period) -> Drawn:
    """The cases of the range counted in squares of about heat_m metres (at the park's
    latitude), each square a polygon coloured by its band."""
    assert spec.heat_m is not None
    centre_lat = park_centre()[1]
    dy = spec.heat_m / METRES_PER_DEGREE
    dx = dy / max(math.cos(math.radians(centre_lat)), 0.1)
    with get_services().engine.connect() as connection:
        squares = map_rows.case_squares(
            connection, span.start, span.end, scope_condition("cases", scope), (dx, dy)
        )
    counts = [n for _x, _y, n in squares]
    cuts = bands(counts)
    features = []
    for x, y, n in squares:
        west, south = x * dx - 180.0, y * dy - 90.0
        ring = [[round(west, 6), round(south, 6)], [round(west + dx, 6), round(south, 6)],
                [round(west + dx, 6), round(south + dy, 6)], [round(west, 6), round(south + dy, 6)],
                [round(west, 6), round(south, 6)]]  # fmt: skip
        features.append(
            feature(
                f"{x}:{y}", {"type": "Polygon", "coordinates": [ring]}, {"n": n, "k": f"b{band_of(n, cuts)}"}
            )
        )
    legend = tuple(e for e in band_legend(counts, cuts, ("件", "cases")) if e.css != "b0")
    return Drawn(spec.id, features, legend, sum(counts))


def hotspots_layer(spec: LayerSpec, scope: Scope) -> Drawn:
    collection = hotspot_service.feature_collection(hotspot_service.hotspots(scope))
    found: Counter = Counter()
    features = []
    for f in collection["features"]:
        if f["geometry"] is None:
            continue
        p = f["properties"]
        found[p["kind"]] += 1
        props = {"k": p["kind"], "name": p["case_type_name"], "name_en": p["case_type_name_en"],
                 "cell": p["grid_cell_name"], "cell_en": p["grid_cell_name_en"], "observed": p["observed"],
                 "expected": p["expected"], "cases": p["case_ids"][:50]}  # fmt: skip
        features.append(feature(f["id"], f["geometry"], props))
    return Drawn(spec.id, features, _fixed_legend(HOTSPOT_KINDS, found), len(features))


def alerts_layer(spec: LayerSpec, scope: Scope) -> Drawn:
    with get_services().engine.connect() as connection:
        rows = map_rows.open_alerts_at_sensors(connection, scope_condition("alerts", scope))
    rows.sort(key=lambda r: -SEVERITY_RANK.get(r["severity"], 0))  # the most severe drawn on top
    rows.reverse()
    found: Counter = Counter()
    features = []
    for row in rows:
        found[row["severity"]] += 1
        props = {"k": row["severity"], "state": row["state"], "rule": row["rule"], "sensor": row["sensor_id"],
                 "raised_at": row["raised_at"].isoformat()}  # fmt: skip
        features.append(feature(row["id"], point(row["lon"], row["lat"]), props))
    return Drawn(spec.id, features, _fixed_legend(SEVERITIES, found), len(features))
