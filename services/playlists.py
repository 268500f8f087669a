"""The playlists and the wall's kiosk options of the screens file (setting `screens_file`),
read once: services/screens.load_screens checked them at start-up with the layouts."""

from __future__ import annotations

import functools
from pathlib import Path

from config.settings import Settings
from domain.playlists import Playlist, WallOptions, parse_playlists, parse_wall_options
from domain.screens import LayoutError
from services.config_files import read_config
from services.context import get_services
from services.screens import layouts


@functools.cache
def _playlists(path: Path) -> dict[str, Playlist]:
    return parse_playlists(read_config(path, LayoutError), layouts())


@functools.cache
def _options(path: Path) -> WallOptions:
    return parse_wall_options(read_config(path, LayoutError))


def playlists() -> dict[str, Playlist]:
    return _playlists(get_services().settings.screens_file)


def wall_options(settings: Settings | None = None) -> WallOptions:
    """The wall's options; `settings` given: also outside a request (the shell's first drawing)."""
    return _options((settings or get_services().settings).screens_file)
