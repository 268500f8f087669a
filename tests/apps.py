"""Building the app in-process for a test: the settings come from the arguments only, never from
ONESCREEN_* variables that happen to be set on the machine running the tests.

Seeding the demo park takes most of an app's build (about 7 s of 7.5 s, generated and written
row by row as `make run` does), and some sixty test modules build one. So each test process
seeds a park once per set of arguments, keeps the store as a template and gives the next build
with the same arguments a copy, its times moved forward as a fresh seed would have them at
that moment (the same rows; readings on the same 5-minute marks; generated_at this minute),
with its triggers, versions and demo users. FRESH_DEMO_PARKS=1 seeds every app anew."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, update

from app import build_dash
from config.settings import load_settings
from store.data_versions import rewriting_tables
from store.engine import make_engine
from store.model_base import Base
from store.models import Meta
from store.types import SQLITE_TIME_FORMAT, UtcDateTime

STORE = "onescreen.sqlite"
FAR = "+36500 days"  # where rows wait while a table's times move
READING_STEP_S = 300  # the demo readings' interval (demo/spec.py reading_interval_min)
APPEND_ONLY = {"audit_log"}  # its trigger refuses updates; the seed's few rows keep their times
_TEMPLATES = Path(tempfile.mkdtemp(prefix="onescreen-test-parks-"))
_SEEDED: dict[str, datetime] = {}  # template key -> its park's generated_at (the seed's `now`)
# SQLite's datetime() keeps whole seconds: the stored fraction is appended again
_FRACTION_AT = len(datetime(2000, 1, 1, tzinfo=UTC).strftime(SQLITE_TIME_FORMAT.partition(".")[0])) + 1


def clear_onescreen_env(patch: pytest.MonkeyPatch) -> None:
    """Remove every ONESCREEN_* variable from the environment (restored when `patch` undoes)."""
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        patch.delenv(key)


def _template_key(demo_cases: int, settings: dict[str, Any]) -> str | None:
    """The template a build may copy, or None when it must seed its own park (another store,
    or a variable asks for fresh parks)."""
    if os.environ.get("FRESH_DEMO_PARKS") or "database_url" in settings:
        return None
    return repr((demo_cases, sorted((k, repr(v)) for k, v in settings.items())))


def _copy_store(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite store (the backup API, whatever its journal holds)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _moved(column, modifiers: tuple[str, ...]):
    return func.datetime(column, *modifiers).op("||")(func.substr(column, _FRACTION_AT))


def _move_forward(store: Path, seconds: int, generated_at: datetime) -> None:
    """Every time in the store `seconds` later, and the park's generated_at `generated_at`."""
    engine = make_engine(f"sqlite:///{store}")
    try:
        with engine.begin() as connection, rewriting_tables(connection):
            for table in Base.metadata.sorted_tables if seconds else ():
                if table.name in APPEND_ONLY:
                    continue
                columns = [c for c in table.c if isinstance(c.type, UtcDateTime)]
                if not columns:
                    continue
                # SQLite checks a unique index row by row as an UPDATE goes: a reading moved onto
                # the mark of one not yet moved would collide. So every row goes far away first,
                # then to its place (two rows moved by the same span never meet).
                for steps in ((FAR,), (f"-{FAR[1:]}", f"{seconds:+d} seconds")):
                    connection.execute(update(table).values({c.name: _moved(c, steps) for c in columns}))
            connection.execute(
                update(Meta).where(Meta.key == "generated_at").values(value=generated_at.isoformat())
            )
    finally:
        engine.dispose()


def build_app(
    data_dir: Path | str, *, seed: bool = True, demo_cases: int = 300, copy: bool = True, **settings: Any
):
    """The Dash app on the store in `data_dir`, built with no ONESCREEN_* variable set. With
    `copy` False the app seeds its own park (a test of seeding itself)."""
    data_dir = Path(data_dir)
    key = _template_key(demo_cases, settings) if seed and copy else None
    template = _TEMPLATES / str(abs(hash(key))) / STORE if key is not None else None
    if template is not None and key in _SEEDED and not (data_dir / STORE).exists():
        _copy_store(template, data_dir / STORE)
        # as a fresh seed now would give it (services/store_setup.seed_demo_park): its `now` is
        # taken to the minute and its readings fall on 5-minute marks (demo/readings.py), so the
        # times move by whole 5-minute steps and the park's generated_at becomes this minute
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        step = READING_STEP_S
        moved = (int(now.timestamp()) // step - int(_SEEDED[key].timestamp()) // step) * step
        _move_forward(data_dir / STORE, moved, now)
    fresh = template is not None and key not in _SEEDED and not (data_dir / STORE).exists()
    with pytest.MonkeyPatch.context() as patch:
        clear_onescreen_env(patch)
        app = build_dash(load_settings(data_dir=data_dir, demo_cases=demo_cases, **settings), seed=seed)
    if fresh and template is not None:
        _copy_store(data_dir / STORE, template)
        seeded_at = _generated_at(template)
        if seeded_at is not None:  # the demo park (another store is never copied)
            _SEEDED[key] = seeded_at
    return app


def _generated_at(store: Path) -> datetime | None:
    with sqlite3.connect(store) as connection:
        row = connection.execute("SELECT value FROM meta WHERE key = 'generated_at'").fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def _cleanup() -> None:  # pragma: no cover - at interpreter exit
    shutil.rmtree(_TEMPLATES, ignore_errors=True)


import atexit  # noqa: E402

atexit.register(_cleanup)
