"""Apps for the operations tests: another app on a copy of a built app's store, so that other
settings (a proxy, JSON logs) do not seed a demo park of their own (tests/apps.py keys its
template parks by the settings)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from apps import build_app

from services.context import KEY


def copied_app(app, folder: Path, **settings):
    """An app with `settings` on a copy of `app`'s SQLite store in `folder`."""
    source = Path(str(app.server.extensions[KEY].engine.url.database))
    with sqlite3.connect(source) as original, sqlite3.connect(folder / source.name) as copy:
        original.backup(copy)
    return build_app(folder, seed=False, **settings)
