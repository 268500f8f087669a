"""The map's layer list: the range of the ranged layers, then each thematic layer with its switch,
its count, its legend (a swatch, a name and a count per class) and its filters, or, when it is
broken, the reason in words (the other layers still draw). Counts and legends are those the
layers were drawn with (services/map_layers.py), so the list and the map agree."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from domain.map_layers import LayerSpec
from locales import catalogue, t
from services.map_catalogue import RANGES
from services.map_drawn import Drawn, LegendEntry

RANGE = "map-range"
SHOWN = "map-shown"
FILTER = "map-filter"  # pattern-matching: {"type": FILTER, "layer": id, "field": name}


def _number(n: int, lang: str) -> str:
    return f"{n:,}"


def _value_name(field: str, entry: LegendEntry, lang: str) -> str:
    return catalogue(lang).get(f"map.value.{field}.{entry.key}", entry.name(lang))


def range_picker(view: dict[str, Any], lang: str) -> html.Div:
    """The presets; a custom range (from a shared address: ?range=custom&from=…&to=…) is offered
    as one more choice, named by its days."""
    options = [{"label": t(f"map.range.{r}", lang), "value": r} for r in RANGES if r != "custom"]
    chosen = view.get("range") if view.get("range") in RANGES else "7d"
    if chosen == "custom":
        named = t("map.range.custom", lang, since=view.get("from") or "?", until=view.get("to") or "?")
        options.append({"label": named, "value": "custom"})
    return html.Div(
        [
            html.Label(t("map.range", lang), htmlFor=RANGE, className="small text-body-secondary"),
            dcc.Dropdown(
                id=RANGE,
                options=options,
                value=chosen,
                clearable=False,
                searchable=False,
            ),
        ],
        className="os-map-range",
    )


def switches(specs: tuple[LayerSpec, ...], shown: list[str], lang: str) -> dcc.Checklist:
    """One switch per thematic layer; its label is filled in by `entries`."""
    return dcc.Checklist(
        id=SHOWN,
        options=[{"label": spec.name(lang), "value": spec.id} for spec in specs if spec.group == "theme"],
        value=shown,
        className="os-map-switches",
        inputClassName="form-check-input me-2",
        labelClassName="form-check",
    )


def _legend(drawn: Drawn, lang: str) -> html.Ul | None:
    if not drawn.legend:
        return None
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(className=f"os-swatch os-k-{e.css}"),
                    html.Span(e.name(lang)),
                    html.Span(_number(e.count, lang), className="os-map-legend-n"),
                ]
            )  # fmt: skip
            for e in drawn.legend[:12]
        ],
        className="os-map-legend",
    )


def _state(spec: LayerSpec, drawn: Drawn, lang: str) -> list:
    if drawn.broken:
        return [html.Div([html.I(className="bi bi-exclamation-octagon me-1"), t("map.broken", lang, reason=drawn.broken)],
                         className="os-map-broken")]  # fmt: skip
    out: list = []
    if drawn.stale:
        out.append(html.Div(t("map.stale", lang), className="os-map-stale"))
    if drawn.capped:
        out.append(html.Div(t("map.capped", lang, shown=_number(drawn.count, lang), total=_number(drawn.total, lang)),
                            className="os-map-stale"))  # fmt: skip
    if drawn.refused_count:
        first = drawn.refused[0] if drawn.refused else ("", "")
        out.append(html.Div(t("map.refused", lang, count=drawn.refused_count, id=first[0], reason=first[1]),
                            className="os-map-broken", title="\n".join(f"{i}: {r}" for i, r in drawn.refused)))  # fmt: skip
    return out


def _filters(spec: LayerSpec, drawn: Drawn, wanted: dict[str, str], lang: str) -> list:
    out = []
    for name, values in drawn.filters.items():
        out.append(
            dcc.Dropdown(
                id={"type": FILTER, "layer": spec.id, "field": name},
                options=[
                    {"label": f"{_value_name(name, e, lang)} ({_number(e.count, lang)})", "value": e.key}
                    for e in values
                ],
                value=wanted.get(name),
                placeholder=catalogue(lang).get(f"map.filter.{name}", name),
                className="os-map-filter",
            )
        )
    return out


def entries(specs: tuple[LayerSpec, ...], drawn: dict[str, Drawn], counts: dict[str, int], shown: list[str],
            filters: dict[str, dict[str, str]], lang: str) -> list:  # fmt: skip
    """The list under the switches: per thematic layer its count, state, legend and filters."""
    out = []
    for spec in specs:
        if (
            spec.group != "theme"
            or spec.id not in drawn
            or (spec.id not in shown and not drawn[spec.id].broken)
        ):
            continue  # the switches name every layer; below them, what the shown ones draw
        d = drawn[spec.id]
        count = t(
            "map.count",
            lang,
            count=_number(d.total if spec.draw in ("choropleth", "heat") else counts[spec.id], lang),
        )
        body: list = [
            html.Div(
                [
                    html.Span(spec.name(lang), className="flex-grow-1"),
                    html.Span(count, className="os-map-count"),
                ],
                className="os-map-layer-head",
            ),  # fmt: skip
            *_state(spec, d, lang),
        ]
        if spec.id in shown and not d.broken:
            legend = _legend(d, lang)
            if legend is not None:
                body.append(legend)
            body += _filters(spec, d, filters.get(spec.id, {}), lang)
        out.append(html.Div(body, className="os-map-layer", id=f"map-layer-{spec.id}"))
    return out


def panel(specs: tuple[LayerSpec, ...], view: dict[str, Any], shown: list[str], lang: str) -> html.Aside:
    return html.Aside(
        [
            html.H2(t("map.layers", lang)),
            range_picker(view, lang),
            switches(specs, shown, lang),
            dbc.Spinner(html.Div(id="map-layer-states"), size="sm", delay_show=400),
        ],
        className="os-map-layers",
    )
