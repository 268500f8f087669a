"""The SQLite store's connection pool (store/engine.py): connections are reused, and one that
reads a file since replaced or removed is never handed out again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import text

from store.engine import make_engine


def _make(path: Path, value: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    engine.dispose()


def _read(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT v FROM t")).scalar_one()


def test_a_returned_connection_is_used_again(tmp_path: Path) -> None:
    _make(tmp_path / "store.sqlite", 1)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with engine.connect() as first:
        opened = first.connection.driver_connection
    with engine.connect() as second:
        assert second.connection.driver_connection is opened
    assert engine.pool.status().startswith("Pool size: 8")


def test_a_replaced_file_is_read_anew(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    _make(store, 1)
    _make(tmp_path / "other.sqlite", 2)
    engine = make_engine(f"sqlite:///{store}")
    assert _read(engine) == 1  # a pooled connection now holds the first file open
    os.replace(tmp_path / "other.sqlite", store)  # as a restore or `store init --fresh` would
    assert _read(engine) == 2


def test_a_removed_file_is_not_read_from_a_pooled_connection(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    _make(store, 1)
    engine = make_engine(f"sqlite:///{store}")
    assert _read(engine) == 1
    shutil.move(store, tmp_path / "moved.sqlite")
    _make(store, 3)
    assert _read(engine) == 3


def test_many_at_once_beyond_the_pool_size(tmp_path: Path) -> None:
    _make(tmp_path / "store.sqlite", 1)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    held = [engine.connect() for _ in range(20)]  # more than the pool keeps, never blocking
    try:
        assert all(c.execute(text("SELECT v FROM t")).scalar_one() == 1 for c in held)
    finally:
        for connection in held:
            connection.close()
