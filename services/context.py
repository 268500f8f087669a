"""The app's services, reachable from callbacks and layouts through Flask's `current_app`
(one set per app, so several apps in one process — tests — do not share state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Engine

from config.settings import Settings
from services.sources import SourceManager

if TYPE_CHECKING:
    from services.data import SnapshotCache

KEY = "onescreen"


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    sources: SourceManager
    snapshots: SnapshotCache


def get_services() -> Services:
    """The current app's services; raises RuntimeError outside an app context."""
    return current_app.extensions[KEY]
