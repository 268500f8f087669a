"""Screen layouts (config/screens.yaml): a named layout is a grid of panels, each with its
parameters, drawn for one resolution. Pure: the panels a layout may name come in as a mapping of
panel id -> its parameters' types (components/panels.panel_params), so this is tested with plain
dictionaries. LayoutError names the layout and the key at fault.

Every layout is designed on a canvas 1080 CSS px high (the wall theme's text, 18 px, is sized for
it), as wide as the resolution's aspect ratio makes it, and shown scaled to the screen: a
3840×2160 screen draws the 1920×1080 canvas at twice the size, a 7680×2160 one a 3840×1080
canvas. A wall of tiles (3×3 screens of 1920×1080) has one canvas as large as all its screens;
each browser window (`?tile=r,c`) shows its own 1920×1080 part of it, so the nine line up into
one picture."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

DESIGN_HEIGHT = 1080  # CSS px: the canvas height every single-screen layout is designed on


class LayoutError(ValueError):
    """A layout file that cannot be used: the message names the layout and the key."""


@dataclass(frozen=True)
class Resolution:
    name: str
    width: int  # device pixels of one screen
    height: int
    rows: int = 1  # screens stacked in a wall
    columns: int = 1

    @property
    def screen_canvas(self) -> tuple[int, int]:
        """One screen's part of the canvas, in CSS px (1080 high)."""
        return round(self.width * DESIGN_HEIGHT / self.height), DESIGN_HEIGHT

    @property
    def canvas(self) -> tuple[int, int]:
        w, h = self.screen_canvas
        return w * self.columns, h * self.rows

    @property
    def tiled(self) -> bool:
        return self.rows * self.columns > 1


RESOLUTIONS: dict[str, Resolution] = {
    r.name: r
    for r in (
        Resolution("1920x1080", 1920, 1080),
        Resolution("3840x2160", 3840, 2160),
        Resolution("7680x2160", 7680, 2160),
        Resolution("5760x1080", 5760, 1080),
        Resolution("wall-3x3-1920x1080", 1920, 1080, rows=3, columns=3),
    )
}


@dataclass(frozen=True)
class Cell:
    panel: str
    row: int  # 1-based, as a person counts the grid
    column: int
    rows: int = 1  # how many grid rows it spans
    columns: int = 1
    params: Mapping[str, Any] = None  # type: ignore[assignment]

    def squares(self) -> set[tuple[int, int]]:
        return {
            (r, c)
            for r in range(self.row, self.row + self.rows)
            for c in range(self.column, self.column + self.columns)
        }


@dataclass(frozen=True)
class Layout:
    name: str
    resolution: Resolution
    rows: int
    columns: int
    cells: tuple[Cell, ...]
    title: Mapping[str, str]  # by language
    row_sizes: tuple[float, ...]  # relative heights of the grid's rows (CSS fr)
    column_sizes: tuple[float, ...]


@dataclass(frozen=True)
class Tile:
    """One screen's window onto a layout's canvas, in canvas CSS px."""

    row: int
    column: int
    x: int
    y: int
    width: int
    height: int


def _positive(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LayoutError(f"{where}: a whole number of at least 1 is expected, not {value!r}")
    return value


def _pair(value: object, where: str, default: tuple[int, int] | None = None) -> tuple[int, int]:
    if value is None and default is not None:
        return default
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise LayoutError(f"{where}: [row, column] is expected, not {value!r}")
    return _positive(value[0], where), _positive(value[1], where)


def _sizes(value: object, count: int, where: str) -> tuple[float, ...]:
    """Relative sizes of a grid's rows or columns; none given: all alike."""
    if value is None:
        return (1.0,) * count
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise LayoutError(f"{where}: a list of {count} positive numbers is expected, not {value!r}")
    return tuple(float(v) for v in value)


# (panel, parameter) -> the values a list parameter's items may take (the map's layers: the
# theme layers of config/map_layers.yaml), so a misspelt layer stops start-up, not a blank map
Choices = Mapping[tuple[str, str], Collection[str]]


def _check_items(value: object, known: Collection[str], where: str) -> None:
    for item in value if isinstance(value, list) else []:
        if item not in known:
            raise LayoutError(f"{where}: unknown value {item!r}; known: {', '.join(sorted(known))}")


def _cell(raw: object, where: str, panels: Mapping[str, Mapping[str, type]], choices: Choices) -> Cell:
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: a mapping with panel, at (and size, params) is expected")
    unknown_keys = set(raw) - {"panel", "at", "size", "params"}
    if unknown_keys:
        raise LayoutError(f"{where}: unknown key {sorted(unknown_keys)[0]!r} (panel, at, size, params)")
    panel = raw.get("panel")
    if panel not in panels:
        raise LayoutError(f"{where}.panel: unknown panel {panel!r}; known: {', '.join(sorted(panels))}")
    row, column = _pair(raw.get("at"), f"{where}.at")
    rows, columns = _pair(raw.get("size"), f"{where}.size", (1, 1))
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise LayoutError(f"{where}.params: a mapping is expected, not {params!r}")
    allowed = panels[str(panel)]
    for key, value in params.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise LayoutError(
                f"{where}.params.{key}: panel {panel} takes no such parameter (it takes: {known})"
            )
        if not isinstance(value, allowed[key]):
            raise LayoutError(f"{where}.params.{key}: a {allowed[key].__name__} is expected, not {value!r}")
        if (str(panel), key) in choices:
            _check_items(value, choices[(str(panel), key)], f"{where}.params.{key}")
    return Cell(str(panel), row, column, rows, columns, dict(params))


def _layout(
    name: str, raw: object, panels: Mapping[str, Mapping[str, type]], single: set[str], choices: Choices
) -> Layout:
    where = f"layouts.{name}"
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: a mapping with resolution, grid and cells is expected")
    resolution = RESOLUTIONS.get(raw.get("resolution"))  # type: ignore[arg-type]
    if resolution is None:
        known = ", ".join(RESOLUTIONS)
        raise LayoutError(f"{where}.resolution: unknown resolution {raw.get('resolution')!r}; known: {known}")
    grid = raw.get("grid")
    if not isinstance(grid, dict):
        raise LayoutError(f"{where}.grid: {{rows: N, columns: M}} is expected")
    rows = _positive(grid.get("rows"), f"{where}.grid.rows")
    columns = _positive(grid.get("columns"), f"{where}.grid.columns")
    row_sizes = _sizes(grid.get("row_sizes"), rows, f"{where}.grid.row_sizes")
    column_sizes = _sizes(grid.get("column_sizes"), columns, f"{where}.grid.column_sizes")
    raw_cells = raw.get("cells")
    if not isinstance(raw_cells, list) or not raw_cells:
        raise LayoutError(f"{where}.cells: a list of at least one cell is expected")
    cells: list[Cell] = []
    taken: dict[tuple[int, int], int] = {}
    for i, raw_cell in enumerate(raw_cells, start=1):
        cell_where = f"{where}.cells[{i}]"
        cell = _cell(raw_cell, cell_where, panels, choices)
        if cell.row + cell.rows - 1 > rows or cell.column + cell.columns - 1 > columns:
            raise LayoutError(
                f"{cell_where}: rows {cell.row}-{cell.row + cell.rows - 1}, columns "
                f"{cell.column}-{cell.column + cell.columns - 1} lie outside the {rows}×{columns} grid"
            )
        for square in sorted(cell.squares()):
            if square in taken:
                raise LayoutError(
                    f"{cell_where}: overlaps cell {taken[square]} at row {square[0]}, column {square[1]}"
                )
            taken[square] = i
        if cell.panel in single and any(c.panel == cell.panel for c in cells):
            raise LayoutError(f"{cell_where}: panel {cell.panel} may be placed once on a screen")
        cells.append(cell)
    title = raw.get("title") or {}
    if not isinstance(title, dict) or not all(isinstance(title.get(lang), str) for lang in ("zh", "en")):
        raise LayoutError(f"{where}.title: a title in both languages is expected ({{zh: ..., en: ...}})")
    return Layout(name, resolution, rows, columns, tuple(cells), dict(title), row_sizes, column_sizes)


def parse_layouts(
    data: object,
    panels: Mapping[str, Mapping[str, type]],
    single: set[str] | None = None,
    choices: Choices | None = None,
) -> dict[str, Layout]:
    """The layouts of a parsed screens file. `panels`: panel id -> its parameters' types;
    `single`: panels that may appear once in a layout; `choices`: the values a list
    parameter's items may take."""
    if not isinstance(data, dict) or not isinstance(data.get("layouts"), dict) or not data["layouts"]:
        raise LayoutError("layouts: a mapping of layout name -> layout is expected")
    layouts = {}
    for name, raw in data["layouts"].items():
        if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
            raise LayoutError(f"layouts.{name}: a name of letters, digits, - and _ is expected (it is a URL)")
        layouts[name] = _layout(name, raw, panels, single or set(), choices or {})
    return layouts


def parse_tile(text: object, resolution: Resolution) -> tuple[int, int]:
    """`?tile=r,c` (1-based, row first) of a wall; LayoutError for anything else. A single
    screen has one tile, 1,1, and takes no tile at all as that one."""
    if text in (None, ""):
        if resolution.tiled:
            raise LayoutError(
                f"tile: this layout is a wall of {resolution.rows}×{resolution.columns} screens: name one as ?tile=row,column"
            )
        return 1, 1
    parts = str(text).split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise LayoutError(f"tile: row,column is expected (as 2,3), not {str(text)[:20]!r}")
    row, column = int(parts[0]), int(parts[1])
    if not (1 <= row <= resolution.rows and 1 <= column <= resolution.columns):
        raise LayoutError(
            f"tile: {row},{column} is outside the wall's {resolution.rows}×{resolution.columns} screens"
        )
    return row, column


MAX_SPEED = 20  # the alert strip's 10 s clock at 0.5 s: a panel's redraw takes a good part of that


def parse_speed(text: object) -> int:
    """`?speed=n` of a wall: its panels refresh n times as often (1 when not given), for a demo
    of live data or a soak test (bench/soak.py); LayoutError for anything but 1..MAX_SPEED."""
    if text in (None, ""):
        return 1
    value = str(text).strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_SPEED):
        raise LayoutError(f"speed: a whole number from 1 to {MAX_SPEED} is expected, not {str(text)[:20]!r}")
    return int(value)


def tile(resolution: Resolution, row: int, column: int) -> Tile:
    """The part of the canvas the screen at (row, column) shows."""
    w, h = resolution.screen_canvas
    return Tile(row, column, (column - 1) * w, (row - 1) * h, w, h)


def tile_urls(layout: Layout, prefix: str = "/wall") -> list[str]:
    """One URL per screen of the layout, row by row (a single screen: one, with no tile)."""
    if not layout.resolution.tiled:
        return [f"{prefix}/{layout.name}"]
    res = layout.resolution
    return [
        f"{prefix}/{layout.name}?tile={r},{c}"
        for r in range(1, res.rows + 1)
        for c in range(1, res.columns + 1)
    ]
