"""`flask --app app store init --demo` (what `make prod` runs on a trial): the demo park into an
EMPTY store in the production profile, which builds none itself; never into a store holding
anything, never with demo users (production refuses them), never together with --fresh."""

from __future__ import annotations

import pytest
from apps import build_app
from sqlalchemy import func, select

import cli
from security.users import demo_users
from services.store_setup import DEMO_PARK
from store.models import Meta, User


def production_app(data_dir):
    return build_app(
        data_dir,
        copy=False,
        demo_cases=300,
        profile="production",
        database_url=f"sqlite:///{data_dir / 'production.sqlite'}",
        secret_key="a-trial-secret-key-for-this-test",
    )


def store_init(app, *args):
    return app.server.test_cli_runner().invoke(args=["store", "init", *args])


def count(app, model) -> int:
    with app.server.extensions["onescreen"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def generated(monkeypatch):
    """Demo parks the command generates: recorded, and the park's name written as the real
    generator writes it (what is decided is under test; the generator has tests of its own,
    on PostgreSQL too: test_demo_on_postgres.py)."""
    calls = []

    def record(engine, settings):
        calls.append(settings.profile)
        with engine.begin() as connection:
            connection.execute(Meta.__table__.insert().values(key="park", value=DEMO_PARK))

    monkeypatch.setattr(cli, "seed_demo_park", record)
    return calls


def test_demo_fills_an_empty_production_store_once_and_makes_no_demo_user(tmp_path, generated):
    app = production_app(tmp_path)
    first = store_init(app, "--demo")
    assert first.exit_code == 0, first.output
    assert "demo park: generated, as the store was empty" in first.output
    assert generated == ["production"]
    again = store_init(app, "--demo")
    assert again.exit_code == 0, again.output
    assert "demo park: already in the store" in again.output
    assert generated == ["production"]
    assert count(app, User) == 0 and demo_users(app.server.extensions["onescreen"].engine) == []


def test_demo_never_touches_a_store_holding_anything_and_never_comes_with_fresh(tmp_path, generated):
    app = production_app(tmp_path)
    both = store_init(app, "--fresh", "--demo")
    assert both.exit_code == 2
    assert "--fresh and --demo exclude each other" in both.output
    assert generated == []
    engine = app.server.extensions["onescreen"].engine
    with engine.begin() as connection:
        connection.execute(Meta.__table__.insert().values(key="park", value="riverside"))
    result = store_init(app, "--demo")
    assert result.exit_code == 0, result.output
    assert "demo park: not added, the store holds the riverside park" in result.output
    assert generated == []
    with engine.connect() as connection:
        assert connection.execute(select(Meta.value).where(Meta.key == "park")).scalar_one() == "riverside"
