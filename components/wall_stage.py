"""A layout drawn as a stage: its canvas (domain/screens.py: 1080 CSS px high, or a whole wall)
as a CSS grid of panels, which assets/85-wall-layouts.js scales and shifts so the part one
screen shows (`view`) fills the stage's parent exactly. Shared by the wall (pages/wall.py) and
the admin's preview (pages/admin_screens.py)."""

from __future__ import annotations

from typing import Any

from dash import html

from components.panels import PANELS
from domain.screens import Cell, Layout, Tile
from security.scope import Scope
from security.web_context import current_principal
from services.rendered_cells import FIRST_DRAW_REUSE_S, moment, reader, rendered

CELL = "wall-cell"  # pattern-matching id type of a placed panel: {"type": CELL, "cell": index}


def _span(start: int, count: int, sizes: tuple[float, ...]) -> tuple[float, float]:
    """Where a cell starts and ends along one axis, as fractions of the canvas."""
    total = sum(sizes)
    return sum(sizes[: start - 1]) / total, sum(sizes[: start - 1 + count]) / total


def cell_on_screen(layout: Layout, cell: Cell, view: Tile) -> bool:
    """Whether any of `cell` shows in `view` (a tile draws only its own panels)."""
    width, height = layout.resolution.canvas
    x0, x1 = (f * width for f in _span(cell.column, cell.columns, layout.column_sizes))
    y0, y1 = (f * height for f in _span(cell.row, cell.rows, layout.row_sizes))
    return x0 < view.x + view.width and x1 > view.x and y0 < view.y + view.height and y1 > view.y


def build_cell(
    layout: Layout, index: int, lang: str, scope: Scope, at: str | None = None, *, first: bool = False
):
    """The panel of the layout's cell `index`; `at` (services/rendered_cells.moment, read once
    for all the cells of a page or refresh): drawn once for every screen showing it now. `first`:
    the page's first drawing, which may take a recent one of the same data (rendered_cells)."""
    cell = layout.cells[index]

    def build():
        return PANELS[cell.panel].build(cell.params, lang, scope)

    if at is None:
        return build()
    who = reader(current_principal(), scope)
    reuse = FIRST_DRAW_REUSE_S if first else 0
    return rendered(f"{layout.name}#{index}:{lang}:{who}:{at}", build, reuse_s=reuse)


def stage(layout: Layout, view: Tile, lang: str, scope: Scope, *, ids: bool = True) -> html.Div:
    """The canvas with the panels `view` shows; `ids`: give each panel its pattern-matching id
    (the wall refreshes them; a preview does not)."""
    width, height = layout.resolution.canvas
    cells = []
    at = moment()
    for index, cell in enumerate(layout.cells):
        if not cell_on_screen(layout, cell, view):
            continue
        extra: dict[str, Any] = {"id": {"type": CELL, "cell": index}} if ids else {}
        cells.append(
            html.Div(
                build_cell(layout, index, lang, scope, at, first=True),
                className=f"os-wall-cell os-wall-{cell.panel.replace('_', '-')}",
                style={
                    "gridRow": f"{cell.row} / span {cell.rows}",
                    "gridColumn": f"{cell.column} / span {cell.columns}",
                },
                **extra,
            )
        )
    view_attr: dict[str, Any] = {"data-view": f"{view.x},{view.y},{view.width},{view.height}"}
    return html.Div(
        cells,
        className="os-wall-stage os-overview os-fit",
        style={
            "width": f"{width}px",
            "height": f"{height}px",
            "gridTemplateRows": " ".join(f"{s:g}fr" for s in layout.row_sizes),
            "gridTemplateColumns": " ".join(f"{s:g}fr" for s in layout.column_sizes),
        },
        **view_attr,
    )
