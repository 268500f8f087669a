"""Data versions on SQLite: the store's triggers raise a contract's version on every write to
its table and on nothing else, and figures cached by version are computed again after a write
and not before (migration 0010, store/data_versions.py, services/figure_cache.py)."""

from __future__ import annotations

import importlib.util
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import delete, insert, inspect, select, text, update

from domain.case_lifecycle import Action, Actor, Desk, Status, Step
from services import figure_cache
from services.case_commands import apply_step
from services.figure_cache import cached_figure, full_key
from store import case_rows
from store.data_versions import VERSIONED, rewriting_tables, version_key, versions
from store.engine import begin_write, make_engine
from store.migrate import MIGRATIONS, upgrade
from store.models import Case, Meta, Reading

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("versions"), demo_cases=300, demo_live=False)


def _case(case_id: str) -> dict:
    return {
        "id": case_id,
        "channel": "hotline_12345",
        "domain": "urban_management",
        "case_type": "road_damage",
        "status": "reported",
        "reported_at": T0,
    }


def test_the_migration_seeds_one_version_per_versioned_contract_and_not_readings(engine):
    spec = importlib.util.spec_from_file_location("m0010", MIGRATIONS / "versions" / "0010_data_versions.py")
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.VERSIONED) == VERSIONED
    assert versions(engine) == dict.fromkeys(VERSIONED, 1)
    assert "readings" not in versions(engine)


def test_every_versioned_table_has_its_triggers_at_head(engine):
    # a later migration that rebuilds a table in batch mode (SQLite copies it) drops them
    with engine.connect() as c:
        names = set(c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    for table in VERSIONED:
        for event in ("insert", "update", "delete"):
            assert f"data_version_{table}_{event}" in names


def test_an_insert_update_and_delete_of_cases_each_raise_the_cases_version_only(engine):
    start = versions(engine)
    with engine.begin() as c:
        c.execute(insert(Case), [_case("C1"), _case("C2")])
    after_insert = versions(engine)
    assert after_insert["cases"] > start["cases"]
    assert {k: v for k, v in after_insert.items() if k != "cases"} == {
        k: v for k, v in start.items() if k != "cases"
    }
    with engine.begin() as c:
        c.execute(update(Case).where(Case.id == "C1").values(status="accepted"))
    after_update = versions(engine)["cases"]
    assert after_update > after_insert["cases"]
    with engine.begin() as c:
        c.execute(delete(Case).where(Case.id == "C2"))
    assert versions(engine)["cases"] > after_update


def test_an_update_that_matches_no_row_and_a_rolled_back_write_leave_the_version(engine):
    before = versions(engine)["cases"]
    with engine.begin() as c:
        c.execute(update(Case).where(Case.id == "none").values(status="accepted"))
    assert versions(engine)["cases"] == before  # row triggers: nothing written, nothing raised
    with engine.connect() as c:
        transaction = c.begin()
        c.execute(insert(Case), [_case("C9")])
        transaction.rollback()
    assert versions(engine)["cases"] == before


def test_writes_to_unversioned_tables_raise_nothing(engine):
    before = versions(engine)
    with engine.begin() as c:
        c.execute(insert(Meta), [{"key": "park", "value": "x"}])
        c.execute(
            insert(Reading),
            [{"sensor_id": "S1", "at": T0, "quantity": "pm25", "value": 12.0}],
        )
    assert versions(engine) == before


def test_the_version_key_is_compact_ordered_and_leaves_readings_out(engine):
    with engine.begin() as c:
        c.execute(insert(Case), [_case("C1")])
    assert version_key(engine, ["readings", "cases", "alerts"]) == "alerts:1,cases:2"
    assert version_key(engine, ["readings"]) == ""
    assert versions(engine, ["readings", "nonsense"]) == {}


def test_the_migration_downgrades_cleanly_and_upgrades_again(engine):
    upgrade_to = "0009"
    from alembic import command

    from store.migrate import alembic_config

    command.downgrade(alembic_config(engine), upgrade_to)
    with engine.connect() as c:
        assert "data_versions" not in inspect(c).get_table_names()
        triggers = c.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version%'")
        ).all()
    assert triggers == []
    with engine.begin() as c:  # writes still work without the table the triggers updated
        c.execute(insert(Case), [_case("C1")])
        c.execute(delete(Case))
    upgrade(engine)
    assert versions(engine) == dict.fromkeys(VERSIONED, 1)


def test_a_case_step_raises_cases_and_case_events_and_nothing_else(app):
    engine = app.server.extensions["onescreen"].engine
    case_id = "STEP-1"
    with engine.begin() as c:
        c.execute(insert(Case), [{**_case(case_id), "status": Status.REPORTED.value}])
    before = versions(engine)
    with app.server.app_context(), begin_write(engine) as connection:
        row = case_rows.read_case(connection, case_id)
        assert row is not None
        actor = Actor("officer", frozenset({Desk.CENTRE}), None)
        apply_step(connection, row, actor, Step(Action.ACCEPT, row["version"], T0 + timedelta(minutes=1)))
    after = versions(engine)
    assert after["cases"] > before["cases"] and after["case_events"] > before["case_events"]
    assert {k: after[k] for k in after if k not in ("cases", "case_events")} == {
        k: before[k] for k in before if k not in ("cases", "case_events")
    }


def test_a_cached_figure_is_computed_again_after_a_write_and_not_before(app):
    engine = app.server.extensions["onescreen"].engine
    calls = []

    def count_open() -> int:
        calls.append(1)
        with engine.connect() as c:
            return len(c.execute(select(Case.pk).where(Case.status == "reported")).all())

    with app.server.app_context():
        first = cached_figure("test-open", ["cases"], count_open)
        again = cached_figure("test-open", ["cases"], count_open)
        assert (again.value, again.computed_at, len(calls)) == (first.value, first.computed_at, 1)
        assert again.versions == versions(engine, ["cases"])
        with engine.begin() as c:  # another table: the figure stays
            c.execute(update(Meta).where(Meta.key == "park").values(value="demo"))
        assert cached_figure("test-open", ["cases"], count_open).computed_at == first.computed_at
        with engine.begin() as c:  # as psql would: no Python code is told
            c.execute(insert(Case), [_case("NEW-1")])
        third = cached_figure("test-open", ["cases"], count_open)
        assert (third.value, len(calls)) == (first.value + 1, 2)
        assert third.computed_at > first.computed_at
        assert third.versions["cases"] > first.versions["cases"]


def test_a_figure_over_readings_is_keyed_by_a_few_seconds_bucket():
    now = 1_000_000.0
    versions_now = {"cases": 3}
    plain = full_key("k", ["cases"], versions_now, now)
    assert plain == "k|cases:3"
    with_readings = full_key("k", ["cases", "readings"], versions_now, now)
    assert with_readings != plain
    assert full_key("k", ["cases", "readings"], versions_now, now + 0.5) == with_readings
    later = now + figure_cache.READINGS_TTL_S
    assert full_key("k", ["cases", "readings"], versions_now, later) != with_readings
    assert full_key("k", ["cases"], None, now) != plain  # the store could not say: by time


def test_a_provisional_figure_is_kept_a_second_only(app):
    results = iter([1, 2, 3])

    def compute() -> int:
        figure_cache.provisional()
        return next(results)

    with app.server.app_context():
        assert cached_figure("test-provisional", ["alerts"], compute).value == 1
        assert cached_figure("test-provisional", ["alerts"], compute).value == 1
        time.sleep(figure_cache.PROVISIONAL_TTL_S + 0.2)
        assert cached_figure("test-provisional", ["alerts"], compute).value == 2


def test_a_wall_of_screens_asking_at_once_computes_once(app):
    calls = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 7

    def ask(out: list) -> None:
        with app.server.app_context():
            out.append(cached_figure("test-wall", ["chains"], slow).value)

    answers: list[int] = []
    threads = [threading.Thread(target=ask, args=(answers,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert answers == [7] * 8 and len(calls) == 1


def test_the_overview_shows_a_write_by_another_process_at_the_next_read(app):
    """The Overview's figures are cached by version; a case written behind the app's back (no
    snapshot expired in this process) shows once the re-read snapshot is in, within seconds."""
    from security.scope import WHOLE_PARK
    from services.kpis import overview_figures

    engine = app.server.extensions["onescreen"].engine
    with app.server.app_context():
        before = overview_figures(WHOLE_PARK)
        assert before.computed_at is not None
        total = int(before.trend["reported"].sum())
        with engine.begin() as c:
            c.execute(insert(Case), [{**_case("OTHER-1"), "reported_at": datetime.now(UTC)}])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = overview_figures(WHOLE_PARK)
            if int(now.trend["reported"].sum()) == total + 1:
                break
            time.sleep(0.2)
        assert int(now.trend["reported"].sum()) == total + 1


def _version_triggers(engine) -> set[str]:
    with engine.connect() as c:
        names = c.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version_%'")
        ).scalars()
        return set(names)


def test_a_rewrite_of_whole_tables_raises_each_version_once_and_keeps_the_triggers(engine):
    triggers = _version_triggers(engine)
    before = versions(engine)
    with engine.begin() as c, rewriting_tables(c):
        c.execute(insert(Case), [_case(f"R{i}") for i in range(50)])
        c.execute(delete(Case).where(Case.id == "R0"))
        with engine.connect() as other:  # another connection still sees the triggers
            assert len(other.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()) > 0
    assert versions(engine) == {k: v + 1 for k, v in before.items()}
    assert _version_triggers(engine) == triggers
    with engine.begin() as c:  # and they fire again
        c.execute(delete(Case).where(Case.id == "R1"))
    assert versions(engine)["cases"] == before["cases"] + 2


def test_a_rewrite_that_fails_leaves_versions_and_triggers_as_they_were(engine):
    triggers = _version_triggers(engine)
    before = versions(engine)

    def fail_half_way() -> None:
        with engine.begin() as c, rewriting_tables(c):
            c.execute(insert(Case), [_case("F1")])
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        fail_half_way()
    assert versions(engine) == before
    assert _version_triggers(engine) == triggers


def test_seeding_the_demo_park_raised_every_version(app):
    engine = app.server.extensions["onescreen"].engine
    assert all(version > 1 for version in versions(engine).values())
    assert len(_version_triggers(engine)) == 3 * len(VERSIONED)


def test_moving_the_demo_park_forward_raises_every_version_once_and_keeps_the_triggers(engine):
    from services.store_setup import roll_demo_forward

    generated = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(insert(Case), [_case("M1"), _case("M2")])
        c.execute(
            insert(Meta),
            [{"key": "park", "value": "demo"}, {"key": "generated_at", "value": generated.isoformat()}],
        )
    triggers, before = _version_triggers(engine), versions(engine)
    assert roll_demo_forward(engine, generated + timedelta(days=2, hours=1)) == 2
    assert versions(engine) == {k: v + 1 for k, v in before.items()}
    assert _version_triggers(engine) == triggers
    assert roll_demo_forward(engine, generated + timedelta(days=2, hours=2)) == 0  # nothing moved
    assert versions(engine) == {k: v + 1 for k, v in before.items()}


def test_idle_single_flight_locks_are_forgotten_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(figure_cache, "MAX_LOCKS", 5)
    monkeypatch.setattr(figure_cache, "_locks", {})
    held = figure_cache.single_flight("busy")
    held.acquire()
    try:
        for n in range(12):
            figure_cache.single_flight(f"k{n}")
        assert len(figure_cache._locks) <= 5
        assert figure_cache._locks.get("busy") is held  # the one in use is kept
    finally:
        held.release()
