"""The sign-in modules' app (built once for this directory, not seeded), its store, a store of a
test's own with one department, and a fake clock for the sign-in route."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from apps import build_app
from login_checks import T0
from sqlalchemy import insert

from store.engine import make_engine
from store.migrate import upgrade
from store.models import Department


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("login")


@pytest.fixture(scope="package")
def app(data_dir):
    return build_app(data_dir, seed=False, demo_cases=300)


@pytest.fixture(scope="package")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


@pytest.fixture
def store(tmp_path):
    """A migrated SQLite store of its own, with one department."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(Department).values(id="urban_management", name="城管局", name_en="Urban management")
        )
    return engine


@pytest.fixture
def clock(monkeypatch):
    """A fake clock for the sign-in route: security.views reads the time as datetime.now(UTC)."""
    import security.views

    class Clock(datetime):
        current = T0

        @classmethod
        def now(cls, tz=None):
            return cls.current.astimezone(tz) if tz else cls.current

    monkeypatch.setattr(security.views, "datetime", Clock)
    return Clock
