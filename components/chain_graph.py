"""The graph of one industrial chain (dash-cytoscape): its links in three columns by stage
(upstream, midstream, downstream), each fed by its parent link (an arrow from the parent),
each showing its enterprises, revenue and growth, and coloured by its status: strong, weak
(强链: to strengthen) or empty (补链: to fill, drawn dashed). Positions are computed here
(a preset layout), not by a force layout, so the same chain always draws the same way and a
wall screen does not rearrange itself when the figures change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dash_cytoscape as cyto
import pandas as pd
from dash import html

from components.chain_words import change, count, money, name_of
from components.charts import FONT
from locales import t

GRAPH = "chains-graph"
STAGES = ("upstream", "midstream", "downstream")
STATUS_COLOUR = {"strong": "#2fd0a7", "weak": "#f5b942", "empty": "#ef6b73"}
COLUMN_GAP = 440  # graph units between stage columns
ROW_GAP = 128  # between links in a column
NODE_W, NODE_H = 330, 104
LABEL_PX = 20  # in graph units; the graph is fitted, so about this many CSS px on a wall screen
INK = {"wall": "#e8eef8", "desk": "#1f2a37"}
EDGE = {"wall": "#6f7d93", "desk": "#8a96a8"}


def _order(links: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """link -> (column, row). Each column is sorted by where its parents sit in the column
    before (their mean row), so arrows cross as little as a simple rule allows."""
    place: dict[str, tuple[int, int]] = {}
    for column, stage in enumerate(STAGES):
        rows = links[links["stage"] == stage]
        keyed = []
        for position, row in enumerate(rows.itertuples(index=False)):
            parent = place.get(row.parent_link) if isinstance(row.parent_link, str) else None
            keyed.append(((parent[1] if parent else -1, position), row.link))
        for r, (_, link) in enumerate(sorted(keyed)):
            place[link] = (column, r)
    return place


@dataclass(frozen=True)
class Drawing:
    """Where links stand and how big they are, in graph units (the graph is fitted to its box)."""

    column_gap: int
    row_gap: int
    node_w: int
    node_h: int


FULL = Drawing(COLUMN_GAP, ROW_GAP, NODE_W, NODE_H)
# a wall panel a third of a screen high: one line a link (its name, cut short with an ellipsis
# when too long), rows close, so fitted into ~380 px the words stay at about 18 px
COMPACT = Drawing(330, 54, 300, 42)


def _label(row: Mapping[str, object], lang: str) -> str:
    """Three lines: the link's name; its enterprises and revenue; its growth (or its status)."""
    name = name_of(row, lang)
    key = "chain.graph.firm_one" if row["enterprises"] == 1 else "chain.graph.firms"
    firms = t(key, lang, count=count(row["enterprises"]))  # type: ignore[arg-type]
    if row["enterprises"] == 0:
        return f"{name}\n{t('chain.status.empty', lang)}"
    growth = change(row["growth"])  # type: ignore[arg-type]
    return f"{name}\n{firms} · {money(row['revenue'], lang)}\n{growth}"  # type: ignore[arg-type]


def _short_label(row: Mapping[str, object], lang: str) -> str:
    """The link's name alone: its status is its colour, its figures are on the chains page."""
    return name_of(row, lang)


def elements(
    links: pd.DataFrame, lang: str, selected: str | None = None, drawing: Drawing = FULL
) -> list[dict]:
    """Nodes and edges of one chain's links (link_figures rows of that chain)."""
    place = _order(links)
    label = _label if drawing is FULL else _short_label
    tallest = max((r for _, r in place.values()), default=0)
    nodes, edges = [], []
    for row in links.to_dict("records"):
        column, r = place.get(row["link"], (0, 0))
        in_column = sum(1 for c, _ in place.values() if c == column)
        offset = (tallest + 1 - in_column) * drawing.row_gap / 2  # centre each column vertically
        classes = row["status"] + (" picked" if row["link"] == selected else "")
        nodes.append(
            {
                "data": {"id": row["link"], "label": label(row, lang), "status": row["status"]},
                "position": {"x": column * drawing.column_gap, "y": offset + r * drawing.row_gap},
                "classes": classes,
                "selectable": True,
            }
        )
        parent = row.get("parent_link")
        if isinstance(parent, str) and parent in place and parent != row["link"]:
            edges.append(
                {"data": {"id": f"{parent}->{row['link']}", "source": parent, "target": row["link"]}}
            )
    return nodes + edges


def stylesheet(theme: str, drawing: Drawing = FULL) -> list[dict]:
    """Cytoscape draws on a canvas, which no CSS reaches: the theme's ink is set here."""
    ink = INK.get(theme, INK["wall"])
    styles: list[dict] = [
        {
            "selector": "node",
            "style": {
                "shape": "round-rectangle",
                "width": drawing.node_w,
                "height": drawing.node_h,
                "label": "data(label)",
                "text-wrap": "wrap" if drawing is FULL else "ellipsis",
                "text-max-width": drawing.node_w - 16,
                "text-valign": "center",
                "text-halign": "center",
                "font-family": FONT,
                "font-size": LABEL_PX,
                "line-height": 1.25,
                "color": ink,
                "border-width": 3,
                "background-opacity": 0.16,
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": 2.5,
                "line-color": EDGE.get(theme, EDGE["wall"]),
                "target-arrow-color": EDGE.get(theme, EDGE["wall"]),
                "target-arrow-shape": "triangle",
                "arrow-scale": 1.4,
                "curve-style": "bezier",
            },
        },
        {"selector": "node.picked", "style": {"border-width": 7, "background-opacity": 0.34}},
        {"selector": "node:selected", "style": {"border-width": 7}},
    ]
    for status, colour in STATUS_COLOUR.items():
        style = {"border-color": colour, "background-color": colour}
        if status == "empty":
            style |= {"border-style": "dashed", "background-opacity": 0.06}
        styles.append({"selector": f"node.{status}", "style": style})
    return styles


def chain_graph(links: pd.DataFrame, lang: str, theme: str, selected: str | None = None) -> cyto.Cytoscape:
    return cyto.Cytoscape(
        id=GRAPH,
        elements=elements(links, lang, selected),
        layout={"name": "preset", "fit": True, "padding": 24},
        stylesheet=stylesheet(theme),
        className="os-chain-graph",
        style={"width": "100%", "height": "100%"},
        minZoom=0.3,
        maxZoom=2.5,
        userZoomingEnabled=True,
        userPanningEnabled=True,
        boxSelectionEnabled=False,
        autoungrabify=True,  # links are not dragged about: the drawing is the chain's
        autounselectify=False,
        responsive=True,
    )


def legend(lang: str) -> list:
    """The status colours in words, for beside the graph (the canvas has no legend of its own)."""
    return [
        html.Span(
            [html.Span(className=f"os-chain-swatch os-chain-{status}"), t(f"chain.status.{status}", lang)],
            className="os-chain-legend-item",
        )
        for status in STATUS_COLOUR
    ]
