"""`flask --app app store init --fresh` replaces only the embedded demo park: never another
profile's store or another park, an existing demo park only with --yes, and a park the app
generated while starting is not generated a second time."""

from __future__ import annotations

import shutil

import pytest
from apps import build_app
from sqlalchemy import delete, func, select, update

import cli
import services.store_setup
from store.engine import make_engine
from store.models import Case, Meta, User

STORE_FILE = "onescreen.sqlite"


@pytest.fixture(scope="module")
def started_on_empty_store(tmp_path_factory):
    """The app as `flask --app app ...` builds it on an empty embedded store, counting the
    demo parks it generates."""
    generated = []
    real = services.store_setup.seed_demo_park

    def counting(*args, **kwargs):
        generated.append(args)
        return real(*args, **kwargs)

    data_dir = tmp_path_factory.mktemp("empty")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services.store_setup, "seed_demo_park", counting)
        patch.setattr(cli, "seed_demo_park", counting)
        app = build_app(data_dir, demo_cases=300, copy=False)  # the seeding itself is under test
    return app, data_dir, generated


@pytest.fixture
def generated(monkeypatch):
    """Demo parks the CLI generates (recorded, not written: what is decided is under test)."""
    calls = []
    monkeypatch.setattr(cli, "seed_demo_park", lambda engine, settings: calls.append(engine))
    return calls


def store_init(app, *args):
    return app.server.test_cli_runner().invoke(args=["store", "init", *args])


def app_on_copy(started_on_empty_store, tmp_path, change=None, **settings):
    """The app started on a copy of the demo park's store; `change(connection)` edits the copy
    before the start."""
    _, data_dir, _ = started_on_empty_store
    shutil.copy(data_dir / STORE_FILE, tmp_path / STORE_FILE)
    if change is not None:
        engine = make_engine(f"sqlite:///{tmp_path / STORE_FILE}")
        with engine.begin() as connection:
            change(connection)
        engine.dispose()
    return build_app(tmp_path, demo_cases=300, **settings)


def case_count(app):
    with app.server.extensions["onescreen"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Case)).scalar_one()


def test_fresh_on_an_empty_store_does_not_generate_the_park_the_app_just_generated(
    started_on_empty_store,
):
    app, _, generated_so_far = started_on_empty_store
    result = store_init(app, "--fresh")
    assert result.exit_code == 0, result.output
    assert "generated just now" in result.output
    assert len(generated_so_far) == 1
    assert case_count(app) == 300


def test_fresh_without_yes_says_what_it_would_delete_and_deletes_nothing(
    started_on_empty_store, tmp_path, generated
):
    app = app_on_copy(started_on_empty_store, tmp_path)
    result = store_init(app, "--fresh")
    assert result.exit_code == 1
    assert "would delete the demo park (300 cases" in result.output
    assert "add --yes" in result.output
    assert generated == [] and case_count(app) == 300


def test_fresh_with_yes_replaces_the_demo_park(started_on_empty_store, tmp_path, generated):
    app = app_on_copy(started_on_empty_store, tmp_path)
    result = store_init(app, "--fresh", "--yes")
    assert result.exit_code == 0, result.output
    assert len(generated) == 1


def test_fresh_refuses_a_store_holding_another_park_even_with_yes(
    started_on_empty_store, tmp_path, generated
):
    app = app_on_copy(
        started_on_empty_store,
        tmp_path,
        lambda c: c.execute(update(Meta).where(Meta.key == "park").values(value="imported")),
    )
    result = store_init(app, "--fresh", "--yes")
    assert result.exit_code == 1
    assert "refused" in result.output and "the imported park" in result.output
    assert generated == []


def test_fresh_refuses_a_store_holding_data_without_a_park_name(started_on_empty_store, tmp_path, generated):
    app = app_on_copy(started_on_empty_store, tmp_path, lambda c: c.execute(delete(Meta)))
    result = store_init(app, "--fresh", "--yes")
    assert result.exit_code == 1
    assert "data without a park name" in result.output
    assert generated == []


def test_a_start_leaves_a_store_holding_data_without_a_park_name_as_it_is(started_on_empty_store, tmp_path):
    app_on_copy(started_on_empty_store, tmp_path, lambda c: c.execute(delete(Meta)))
    restarted = build_app(tmp_path, demo_cases=300)
    assert case_count(restarted) == 300


def test_fresh_is_refused_outside_the_embedded_profile(started_on_empty_store, tmp_path, generated):
    app = app_on_copy(
        started_on_empty_store,
        tmp_path,
        lambda c: c.execute(delete(User)),  # production refuses to start with demo users
        profile="production",
        database_url=f"sqlite:///{tmp_path / STORE_FILE}",
        secret_key="not-the-default",
    )
    result = store_init(app, "--fresh", "--yes")
    assert result.exit_code == 1
    assert "profile is 'production'" in result.output
    assert generated == [] and case_count(app) == 300


def test_fresh_on_an_empty_store_generates_the_park_without_yes(tmp_path, generated):
    app = build_app(tmp_path, seed=False, demo_cases=300)
    result = store_init(app, "--fresh")
    assert result.exit_code == 0, result.output
    assert len(generated) == 1
