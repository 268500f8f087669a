"""The screen layouts file (setting `screens_file`, config/screens.yaml): read and checked at
start-up (app.build_dash) against the panel registry, so a typo stops the app naming the file,
the layout and the key, rather than a wall drawing a blank."""

from __future__ import annotations

import functools
from pathlib import Path

from components.panels import PANELS, panel_params
from domain.screens import Layout, LayoutError, parse_layouts
from services.config_files import load_config
from services.context import get_services


def load_screens(path: Path) -> dict[str, Layout]:
    """The layouts in `path`; LayoutError naming the file and the key at fault."""
    single = {key for key, panel in PANELS.items() if panel.single}
    return load_config(path, lambda data: parse_layouts(data, panel_params(), single), LayoutError)


@functools.cache
def _layouts(path: Path) -> dict[str, Layout]:
    return load_screens(path)


def layouts() -> dict[str, Layout]:
    """The app's layouts (its settings' file, read once: it was checked at start-up)."""
    return _layouts(get_services().settings.screens_file)
