"""Building the app in-process for a test: the settings come from the arguments only, never from
ONESCREEN_* variables that happen to be set on the machine running the tests.

Seeding the demo park takes most of an app's build (about 7 s of 7.5 s on a quiet machine, 20-40 s
beside a browser test, generated and written row by row as `make run` does), and some ninety test
modules build one or start a server on one. A seed depends on the number of cases and the
generator's seed only, so a test run seeds each such park once, as a template shared by its test
processes (pytest-xdist's workers: a lock file lets one make it while the others wait), and every
build or server on that park gets a copy, its times moved forward as a fresh seed would have them
at that moment (the same rows; readings on the same 5-minute marks; generated_at this minute).
The app's build then does the rest on the copy (its users, its sources) as on a seeded store.
FRESH_DEMO_PARKS=1 seeds every app anew."""

from __future__ import annotations

import contextlib
import fcntl
import io
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
from services.store_setup import prepare_store
from store.data_versions import rewriting_tables
from store.engine import make_engine
from store.model_base import Base
from store.models import Meta
from store.types import SQLITE_TIME_FORMAT, UtcDateTime

STORE = "onescreen.sqlite"
READING_STEP_S = 300  # the demo readings' interval (demo/spec.py reading_interval_min)
APPEND_ONLY = {"audit_log"}  # its trigger refuses updates; the seed's few rows keep their times
# one folder for the whole run (its workers share PYTEST_XDIST_TESTRUNUID), else this process's;
# removed when the run ends (tests/conftest.py: pytest_sessionfinish)
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
TEMPLATES = (
    Path(tempfile.gettempdir()) / f"onescreen-test-parks-{_RUN}"
    if _RUN
    else Path(tempfile.mkdtemp(prefix="onescreen-test-parks-"))
)
# SQLite's datetime() keeps whole seconds: the stored fraction is appended again
_FRACTION_AT = len(datetime(2000, 1, 1, tzinfo=UTC).strftime(SQLITE_TIME_FORMAT.partition(".")[0])) + 1


def clear_onescreen_env(patch: pytest.MonkeyPatch) -> None:
    """Remove every ONESCREEN_* variable from the environment (restored when `patch` undoes)."""
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        patch.delenv(key)


def _template_key(demo_cases: int, settings: dict[str, Any]) -> str | None:
    """The template a build may copy (named by what the seed depends on), or None when it must
    seed its own park (another store, or a variable asks for fresh parks)."""
    if os.environ.get("FRESH_DEMO_PARKS") or "database_url" in settings:
        return None
    return f"park-{demo_cases}-{settings.get('demo_seed', 'default')}"


def template_park(demo_cases: int, demo_seed: int | None = None) -> tuple[Path, datetime]:
    """The template store of this park (migrated and seeded, nothing else), made by the first
    test process to ask while the others wait, and its park's generated_at (the seed's `now`)."""
    folder = TEMPLATES / _template_key(demo_cases, {} if demo_seed is None else {"demo_seed": demo_seed})
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "making.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / "ready").exists():
            seed = {} if demo_seed is None else {"demo_seed": demo_seed}
            # quietly: the seed's progress bar would land in whatever test asked first (capsys)
            with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(io.StringIO()):
                clear_onescreen_env(patch)
                engine = prepare_store(load_settings(data_dir=folder, demo_cases=demo_cases, **seed))
                engine.dispose()
            (folder / "ready").touch()
    seeded_at = _generated_at(folder / STORE)
    assert seeded_at is not None, f"the template {folder} holds no demo park"
    return folder / STORE, seeded_at


def copy_park(data_dir: Path, demo_cases: int, demo_seed: int | None = None) -> None:
    """A copy of the template park in `data_dir` (which holds no store yet), moved up to now.
    With FRESH_DEMO_PARKS set, nothing: the app seeds its own."""
    if os.environ.get("FRESH_DEMO_PARKS"):
        return
    template, seeded_at = template_park(demo_cases, demo_seed)
    _copy_store(template, data_dir / STORE)
    # as a fresh seed now would give it (services/store_setup.seed_demo_park): its `now` is
    # taken to the minute and its readings fall on 5-minute marks (demo/readings.py), so the
    # times move by whole 5-minute steps and the park's generated_at becomes this minute
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    step = READING_STEP_S
    moved = (int(now.timestamp()) // step - int(seeded_at.timestamp()) // step) * step
    _move_forward(data_dir / STORE, moved, now)


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
                # the mark of one not yet moved would collide. So the table's indexes go while
                # its rows move (in one pass; kept, a unique one needed two and took seconds
                # for a park's 280,000 readings) and are made again after.
                indexes = connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table.name,),
                ).all()
                for name, _sql in indexes:
                    connection.exec_driver_sql(f'DROP INDEX "{name}"')
                modifier = (f"{seconds:+d} seconds",)
                connection.execute(update(table).values({c.name: _moved(c, modifier) for c in columns}))
                for _name, sql in indexes:
                    connection.exec_driver_sql(sql)
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
    if key is not None and not (data_dir / STORE).exists():
        copy_park(data_dir, demo_cases, settings.get("demo_seed"))
    with pytest.MonkeyPatch.context() as patch:
        clear_onescreen_env(patch)
        return build_dash(load_settings(data_dir=data_dir, demo_cases=demo_cases, **settings), seed=seed)


def _generated_at(store: Path) -> datetime | None:
    with sqlite3.connect(store) as connection:
        row = connection.execute("SELECT value FROM meta WHERE key = 'generated_at'").fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def remove_templates() -> None:
    """At the end of the run (the process that ran it, never a worker: they share the folder)."""
    shutil.rmtree(TEMPLATES, ignore_errors=True)
