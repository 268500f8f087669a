"""A critical alert taking over the wall: the park's map centred on its place with the place
marked (components/place_map.py: the park's own vector data, no tile server), and a card with
what it is, where, when, the reading against its threshold and what to do, in words read from
across a room. Drawn on a canvas of the layout's size (a `.os-fit` element, scaled by
assets/85-wall-layouts.js like the stage), so on a wall of screens the nine windows show one
picture; its text is sized to the canvas (`FONT_PX` per 1080 CSS px of its height), never below
the wall's 18 px."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dash_leaflet as dl
from dash import html

from components.alert_panel import alert_message, alert_title
from components.place_map import place_map
from components.timefmt import format_time
from domain.screens import DESIGN_HEIGHT, Layout, Tile
from locales import t
from services.alert_desk import sensor_of
from services.context import get_services
from services.reference import department_name
from services.surroundings import surroundings

FONT_PX = 30  # the card's body text on a 1080-px screen; its headings are set in em
MAP_ID = "wall-alert-map"
TAKEOVER_ZOOM = 17


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _unit(sensor: dict[str, Any] | None, quantity: object) -> str:
    """The unit of the alert's quantity, as the sensor's thresholds name it ("" if they don't)."""
    found = (sensor or {}).get("thresholds")
    if isinstance(found, str):
        try:
            found = json.loads(found)
        except ValueError:
            return ""
    entry = found.get(quantity) if isinstance(found, dict) and isinstance(quantity, str) else None
    return str(entry.get("unit") or "") if isinstance(entry, dict) else ""


def _what_to_do(rule: str, lang: str) -> str:
    key = f"wall_alert.todo.{rule}"
    text = t(key, lang)
    return text if text != key else t("wall_alert.todo.default", lang)


def _place(alert: dict[str, Any], sensor: dict[str, Any] | None, lang: str) -> str:
    name = (sensor or {}).get("name" if lang == "zh" else "name_en") or (sensor or {}).get("name")
    parts = [str(name or alert.get("sensor_id") or "—")]
    if (sensor or {}).get("grid_cell"):
        parts.append(t("wall_alert.cell", lang, cell=sensor["grid_cell"]))  # type: ignore[index]
    if alert.get("department"):
        parts.append(department_name(str(alert["department"]), lang))
    return t("cases.map.sep", lang).join(parts)


def _map(sensor: dict[str, Any] | None, lang: str) -> Any:
    lon, lat = (sensor or {}).get("lon"), (sensor or {}).get("lat")
    around = surroundings(lon, lat) if lon is not None and lat is not None else None
    if around is None:
        return html.Div(t("cases.map.no_place", lang), className="os-wall-alert-noplace")
    drawn = place_map(MAP_ID, float(lon), float(lat), around, lang, (sensor or {}).get("grid_cell"))  # type: ignore[arg-type]
    # a ring around the place, pulsing (assets/87-kiosk.css): found at a glance from across a room
    drawn.children[0].zoom = TAKEOVER_ZOOM  # the place's 250 m round fills the larger map
    drawn.children[0].children.append(
        dl.CircleMarker(center=[lat, lon], radius=30, className="os-wall-alert-ring")
    )
    return drawn


def _fact(label: str, value: str, extra: str = "") -> html.Div:
    return html.Div([html.Dt(label), html.Dd(value)], className=f"os-wall-alert-fact {extra}".strip())


def takeover(
    alert: dict[str, Any], layout: Layout, view: Tile, lang: str, until: float, waiting: int
) -> html.Div:
    """The alert over the whole canvas `layout` draws on, `view` being this window's part of it.
    `until`: when it gives the screen back unless acknowledged first (epoch seconds);
    `waiting`: how many critical alerts queue behind it."""
    zone = get_services().settings.zone
    sensor = sensor_of(alert.get("sensor_id"))
    width, height = layout.resolution.canvas
    raised = alert.get("raised_at")
    raised_at = datetime.fromisoformat(raised) if isinstance(raised, str) else raised
    resume = format_time(datetime.fromtimestamp(until, UTC), zone, "%H:%M:%S")
    unit = _unit(sensor, alert.get("quantity"))
    value = f"{_number(alert.get('value'))} {unit}".strip()
    threshold = f"{_number(alert.get('threshold'))} {unit}".strip()
    card = html.Div(
        [
            html.Div(
                [
                    html.Span(t("wall_alert.banner", lang), className="os-wall-alert-banner"),
                    html.Span(str(alert.get("id")), className="os-wall-alert-id"),
                ],
                className="os-wall-alert-head",
            ),
            html.H2(alert_title(alert, lang), className="os-wall-alert-title"),
            html.P(alert_message(alert, lang) or "", className="os-wall-alert-message"),
            html.Dl(
                [
                    _fact(t("wall_alert.place", lang), _place(alert, sensor, lang)),
                    _fact(t("wall_alert.time", lang), format_time(raised_at, zone)),
                    _fact(
                        t("wall_alert.value", lang),
                        t("wall_alert.value_of", lang, value=value, threshold=threshold),
                    ),
                    _fact(
                        t("wall_alert.todo", lang),
                        _what_to_do(str(alert.get("rule")), lang),
                        "os-wall-alert-todo",
                    ),
                ],
                className="os-wall-alert-facts",
            ),
            html.Div(
                [
                    html.Span(t("wall_alert.resumes", lang, time=resume)),
                    html.Span(t("wall_alert.waiting", lang, n=waiting)) if waiting else None,
                ],
                className="os-wall-alert-foot",
            ),
        ],
        className="os-wall-alert-card",
    )
    attrs: dict[str, Any] = {
        "data-view": f"{view.x},{view.y},{view.width},{view.height}",
        "data-alert": str(alert.get("id")),
    }
    return html.Div(
        [html.Div(_map(sensor, lang), className="os-wall-alert-map"), card],
        className="os-wall-takeover os-fit",
        role="alert",
        style={
            "width": f"{width}px",
            "height": f"{height}px",
            "fontSize": f"{FONT_PX * height / DESIGN_HEIGHT:g}px",
        },
        **attrs,
    )
