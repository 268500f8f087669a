"""The screen layouts file (setting `screens_file`, config/screens.yaml): read and checked at
start-up (app.build_dash) against the panel registry and the map's layer catalogue (a map
panel's `layers`), so a typo stops the app naming the file, the layout and the key, rather than
a wall drawing a blank."""

from __future__ import annotations

import functools
from pathlib import Path

from components.panels import PANELS, panel_params
from domain.playlists import parse_playlists, parse_wall_options
from domain.screens import Layout, LayoutError, parse_layouts
from services.config_files import load_config
from services.context import get_services
from services.map_catalogue import LAYERS_FILE, load_layers


def load_screens(path: Path, layers_file: Path = LAYERS_FILE) -> dict[str, Layout]:
    """The layouts in `path`; LayoutError naming the file and the key at fault. A map panel's
    `layers` are theme layers of `layers_file` (the base drawing is always drawn)."""
    single = {key for key, panel in PANELS.items() if panel.single}
    themes = {spec.id for spec in load_layers(layers_file) if spec.group == "theme"}
    choices = {("map", "layers"): themes}

    def parse(data: object) -> dict[str, Layout]:
        found = parse_layouts(data, panel_params(), single, choices)
        parse_playlists(data, found)  # the playlists and the wall's options too: start-up
        parse_wall_options(data)  # refuses a bad one (services/playlists.py reads them)
        return found

    return load_config(path, parse, LayoutError)


@functools.cache
def _layouts(path: Path, layers_file: Path) -> dict[str, Layout]:
    return load_screens(path, layers_file)


def layouts() -> dict[str, Layout]:
    """The app's layouts (its settings' file, read once: it was checked at start-up)."""
    settings = get_services().settings
    return _layouts(settings.screens_file, settings.map_layers_file)
