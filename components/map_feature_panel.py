"""The map's side panel: what was clicked, with its properties and where to go next — a case to
its detail on the Cases page, a sensor or an alert to the Alerts desk, a grid cell to its KPIs
and its open cases, an enterprise to its chain's cases nearby, a hot spot to the cases behind it.
Records are read again within the reader's scope (a tampered click naming another department's
case shows nothing of it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from components.timefmt import format_time
from domain.map_layers import LayerSpec
from locales import catalogue, t
from security.scope import Scope
from services import records
from services.case_types import type_name
from services.context import get_services
from services.map_layers import properties_of

SKIP = frozenset({"k", "n", "name", "name_en", "category"})  # shown otherwise, or internal
MAX_ROWS = 14


def _label(key: str, lang: str) -> str:
    return catalogue(lang).get(f"map.prop.{key}", key)


def _value(key: str, value: Any, lang: str) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:8]) + (" …" if len(value) > 8 else "")
    if isinstance(value, float):
        return f"{value:,.2f}"
    text = str(value)
    return catalogue(lang).get(f"map.value.{key}.{text}", text)


def _rows(props: dict[str, Any], lang: str) -> html.Dl:
    items: list = []
    shown = [
        (k, v)
        for k, v in props.items()
        if k not in SKIP and not k.endswith("_en") and v not in (None, "", [])
    ]
    for key, value in shown[:MAX_ROWS]:
        english = props.get(f"{key}_en")
        items += [
            html.Dt(_label(key, lang)),
            html.Dd(_value(key, english if lang == "en" and english else value, lang)),
        ]
    return html.Dl(items, className="os-map-props")


def _link(text: str, href: str, icon: str) -> dcc.Link:
    return dcc.Link(
        [html.I(className=f"bi {icon} me-1"), text], href=href, className="btn btn-sm btn-outline-secondary"
    )


def _links(spec: LayerSpec, fid: str, props: dict[str, Any], lang: str) -> list:
    contract = spec.source.contract
    if contract == "cases":
        return [_link(t("map.open_case", lang), "/cases?" + urlencode({"case": fid}), "bi-card-text")]
    if contract == "alerts":
        return [_link(t("map.open_alert", lang), "/alerts?" + urlencode({"alert": fid}), "bi-bell")]
    if contract == "sensors":
        return [
            _link(
                t("map.sensor_alerts", lang),
                "/alerts?" + urlencode({"sensor": fid, "state": "all"}),
                "bi-activity",
            )
        ]
    if contract == "hotspots":
        ids = props.get("cases") or []
        return [
            _link(
                t("map.hotspot_cases", lang, count=len(ids)),
                "/cases?" + urlencode({"q": ",".join(ids[:50])}),
                "bi-list-check",
            )
        ]
    if spec.source.features == "grid_unit":
        return [
            _link(
                t("map.cell_kpis", lang),
                "/kpis?" + urlencode({"kpi": "open_cases", "grid_cell": fid}),
                "bi-graph-up-arrow",
            ),
            _link(
                t("map.cell_cases", lang),
                "/cases?" + urlencode({"grid_cell": fid, "status": "open"}),
                "bi-list-check",
            ),
        ]
    return []


def _case(fid: str, scope: Scope, lang: str) -> tuple[str, dict[str, Any]] | None:
    row = records.case(scope, fid)
    if row is None:
        return None
    zone = get_services().settings.zone
    status = row.get("status")
    props = {
        "id": fid,
        "case_type": type_name(row.get("case_type") or "", lang),
        "status": t(f"case.status.{status}", lang) if status else "",
        "address": row.get("address") or "",
        "reported_at": format_time(row.get("reported_at"), zone, "%Y-%m-%d %H:%M")
        if row.get("reported_at")
        else "",
        "sla_deadline": format_time(row.get("sla_deadline"), zone, "%Y-%m-%d %H:%M")
        if row.get("sla_deadline")
        else "",
        "department": row.get("department") or "",
    }
    return type_name(row.get("case_type") or "", lang), props


def side_panel(spec: LayerSpec, clicked: dict[str, Any], scope: Scope, lang: str) -> list:
    """The panel's content for the feature `clicked` (dash-leaflet's clickData) of layer `spec`."""
    fid = str(clicked.get("id") or "")[:128]
    props = clicked.get("properties") if isinstance(clicked.get("properties"), dict) else {}
    if spec.source.contract == "cases":
        found = _case(fid, scope, lang)
        if found is None:
            return [html.P(t("map.not_found", lang), className="text-body-secondary")]
        title, props = found
    else:
        props = {**props, **(properties_of(spec, fid) or {})}
        title = str((props.get("name_en") if lang == "en" else None) or props.get("name") or fid)
    return [
        html.Div(spec.name(lang), className="small text-body-secondary"),
        html.H2(title),
        _rows({"id": fid, **props}, lang),
        html.Div(_links(spec, fid, props, lang), className="os-map-links"),
    ]
