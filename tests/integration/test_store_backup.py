"""`flask --app app store backup|restore` on the embedded store (SQLite) and on the real
PostgreSQL (a private schema): a round trip gives back every table's rows, a backup taken while
a writer inserts is one consistent moment, an older backup is migrated after its restore, and
bad input (no file, a truncated file, a file that is no backup, a backup of the other engine or
of a newer schema, a store holding data without --yes) is refused with its reason and leaves
the store as it was. Small stores: a few rows of each kind, no demo park."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import threading
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apps import build_app
from sqlalchemy import Engine, create_engine, delete, func, insert, select, text

from security.audit import AuditFilter, query
from services.store_backup import backup_store, restore_store
from store.backup_file import MANIFEST_NAME, BackupError
from store.data_versions import versions
from store.engine import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.model_base import Base
from store.models import Alert, Case, Reading, ReadingHourly, Sensor

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHANGING = {"audit_log", "data_versions"}  # a restore adds its audit row and raises the versions


@pytest.fixture(scope="module")
def pg_schema_url():
    """A URL whose search_path is a schema of this module's own, dropped afterwards (the
    tests share one store per engine: building an app on a new store takes seconds)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The app on a store of each engine; every test leaves it usable, holding some rows."""
    settings = {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("pg_schema_url")}
    app = build_app(tmp_path_factory.mktemp("data"), seed=False, demo_cases=0, demo_live=False, **settings)
    fill(engine_of(app), "first")
    yield app
    app.server.extensions["onescreen"].sources.close()
    app.server.extensions["onescreen"].engine.dispose()


def engine_of(app) -> Engine:
    return app.server.extensions["onescreen"].engine


def cli(app, *args: str):
    return app.server.test_cli_runner().invoke(args=["store", *args])


def fill(engine: Engine, tag: str, count: int = 3) -> None:
    """A few sensors, readings, cases and alerts named by `tag`."""
    with engine.begin() as connection:
        sensors = [f"{tag}-aq-{i}" for i in range(count)]
        connection.execute(
            insert(Sensor), [{"id": s, "kind": "air", "lon": 116.3, "lat": 39.9} for s in sensors]
        )
        connection.execute(
            insert(Reading),
            [
                {
                    "sensor_id": s,
                    "quantity": "pm25",
                    "unit": "ug/m3",
                    "value": 10.5 + i,
                    "at": T0 + timedelta(minutes=i),
                }
                for s in sensors
                for i in range(count)
            ],
        )
        connection.execute(
            insert(Case),
            [
                {
                    "id": f"{tag}-C{i}",
                    "channel": "hotline_12345",
                    "domain": "urban_management",
                    "case_type": "road_damage",
                    "status": "reported",
                    "reported_at": T0 + timedelta(hours=i),
                }
                for i in range(count)
            ],  # fmt: skip
        )
        connection.execute(
            insert(Alert),
            [
                {
                    "id": f"{tag}-A{i}",
                    "rule": "pm25-high",
                    "sensor_id": sensors[i],
                    "severity": "warning",
                    "state": "open",
                    "raised_at": T0 + timedelta(minutes=i),
                }
                for i in range(count)
            ],  # fmt: skip
        )


def tables(engine: Engine, *, but: frozenset[str] | set[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows in key order."""
    found = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in but:
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return found


def count_cases(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Case)).scalar_one()


def audit_actions(engine: Engine, path: Path) -> list[tuple[str, str]]:
    """The backups and restores of `path` in the audit log, newest first."""
    entries = query(engine, AuditFilter(actions=("store.backup", "store.restore"), target=str(path)))
    return list(zip(entries["action"], entries["outcome"], strict=True))


def test_round_trip_gives_back_every_table(app, tmp_path):
    engine = engine_of(app)
    fill(engine, "kept")
    taken = tables(engine)
    backup = tmp_path / "backups" / "store.tar"
    result = cli(app, "backup", str(backup))
    assert result.exit_code == 0, result.output
    assert f"schema {head_revision()}" in result.output
    assert audit_actions(engine, backup) == [("store.backup", "ok")]

    fill(engine, "later")
    with engine.begin() as connection:
        connection.execute(delete(Case).where(Case.id == "kept-C0"))
    changed = tables(engine)
    refused = cli(app, "restore", str(backup))
    assert refused.exit_code == 1
    assert "the store holds" in refused.output and "Add --yes" in refused.output
    assert tables(engine, but=CHANGING) == {k: v for k, v in changed.items() if k not in CHANGING}

    before_versions = versions(engine)
    # another process's pooled connection, its statement prepared (psycopg prepares on the 5th run)
    reader = make_engine(engine.url.render_as_string(hide_password=False))
    for _ in range(6):
        assert count_cases(reader) == changed["cases"][0]
    result = cli(app, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert count_cases(reader) == taken["cases"][0]  # the same connection reads the restored rows
    reader.dispose()
    restored = tables(engine)
    assert {k: v for k, v in restored.items() if k not in CHANGING} == {
        k: v for k, v in taken.items() if k not in CHANGING
    }
    # the backup's log (taken before its own entry was written), then the restore's entry
    assert restored["audit_log"][0] == taken["audit_log"][0] + 1
    assert audit_actions(engine, backup) == [("store.restore", "ok")]
    after_versions = versions(engine)
    assert all(after_versions[c] > before_versions[c] for c in before_versions)
    # the restored store's triggers still count writes
    fill(engine, "again", count=1)
    assert versions(engine)["cases"] == after_versions["cases"] + 1


def test_backup_while_a_writer_inserts_is_one_consistent_moment(app, tmp_path):
    """Each of the writer's transactions adds one reading and its hourly row: a consistent copy
    holds as many of one as of the other."""
    engine = engine_of(app)
    writer_engine = make_engine(str(engine.url.render_as_string(hide_password=False)))
    written = [0]
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                at = T0 + timedelta(minutes=written[0])
                with writer_engine.begin() as connection:
                    connection.execute(
                        insert(Reading).values(sensor_id="w", quantity="pm25", value=1.0, at=at)
                    )
                    connection.execute(
                        insert(ReadingHourly).values(
                            sensor_id="w", quantity="pm25", hour=at, n=1, mean=1.0, min=1.0, max=1.0
                        )
                    )
                written[0] += 1
        except BaseException as exc:  # the writer's failure must fail the test
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while written[0] < 20 and thread.is_alive():
            stop.wait(0.01)
        at_start = written[0]
        manifest = backup_store(engine, tmp_path / "busy.tar", actor="test")
        during = written[0] - at_start
    finally:
        stop.set()
        thread.join(timeout=30)
        writer_engine.dispose()
    assert failures == []
    assert during > 0, "the writer was blocked while the backup ran"
    restore_store(engine, tmp_path / "busy.tar", actor="test", replace=True)
    with engine.connect() as connection:
        readings = connection.execute(select(func.count()).where(Reading.sensor_id == "w")).scalar_one()
        hourly = connection.execute(select(func.count()).where(ReadingHourly.sensor_id == "w")).scalar_one()
    assert readings == hourly == manifest.rows["readings_hourly"] >= 20


def test_a_backup_of_an_older_schema_is_migrated_after_its_restore(app, tmp_path):
    engine = engine_of(app)
    url = engine.url.render_as_string(hide_password=False)
    old_url = url.replace("onescreen.sqlite", "old.sqlite") if engine.dialect.name == "sqlite" else url
    older = "0015"
    if engine.dialect.name == "postgresql":
        fill(engine, "current")  # the same schema, taken back to 0015 below and backed up there
        from alembic import command

        from store.migrate import alembic_config

        command.downgrade(alembic_config(engine), older)
        old = engine
    else:
        old = make_engine(old_url)
        upgrade(old, older)
        with old.begin() as connection:
            connection.execute(insert(Sensor).values(id="old-aq", kind="air", lon=116.3, lat=39.9))
    manifest = backup_store(old, tmp_path / "old.tar", actor="test")
    assert manifest.revision == older
    if old is not engine:
        old.dispose()
    else:
        upgrade(engine)
    restore_store(engine, tmp_path / "old.tar", actor="test", replace=True)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Sensor)).scalar_one() >= 1


@pytest.fixture(scope="module")
def backup(app, tmp_path_factory) -> Path:
    """A good backup of `app`'s store, which then holds other rows."""
    engine = engine_of(app)
    path = tmp_path_factory.mktemp("backup") / "good.tar"
    backup_store(engine, path, actor="test")
    fill(engine, "after-good")
    return path


def _refused(app, path: Path, *args: str) -> str:
    """Restore `path` with --yes; assert it was refused and touched nothing but the audit log."""
    engine = engine_of(app)
    before = tables(engine, but={"audit_log"})
    result = cli(app, "restore", str(path), "--yes", *args)
    assert result.exit_code == 1, result.output
    assert tables(engine, but={"audit_log"}) == before
    assert audit_actions(engine, path)[0] == ("store.restore", "failed")
    return result.output


def test_a_missing_file_is_refused(app, tmp_path):
    assert f"no backup file at {tmp_path / 'nothing.tar'}" in _refused(app, tmp_path / "nothing.tar")


def test_a_truncated_backup_is_refused(app, backup, tmp_path):
    cut = tmp_path / "cut.tar"
    data = backup.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert "is truncated or damaged" in _refused(app, cut)


@pytest.mark.parametrize(
    "content", [b"name,value\nnot,a backup\n", b"SQLite format 3\x00" + bytes(4000)], ids=["csv", "sqlite"]
)
def test_a_file_that_is_no_backup_is_refused(app, tmp_path, content):
    other = tmp_path / "other.bin"
    other.write_bytes(content)
    assert "is not a OneScreen backup" in _refused(app, other)


def _rewritten(backup: Path, target: Path, **manifest_changes) -> Path:
    """A copy of `backup` whose manifest says otherwise (its payload and checksum unchanged)."""
    with tarfile.open(backup) as source, tarfile.open(target, "w") as out:
        for member in source.getmembers():
            stream = source.extractfile(member)
            assert stream is not None
            data = stream.read()
            if member.name == MANIFEST_NAME:
                data = json.dumps({**json.loads(data), **manifest_changes}).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def test_a_backup_of_a_newer_schema_is_refused(app, backup, tmp_path):
    newer = _rewritten(backup, tmp_path / "newer.tar", revision="0099")
    output = _refused(app, newer)
    assert "revision 0099, which this code does not know" in output and "newer OneScreen" in output


def test_a_backup_of_the_other_engine_is_refused(app, backup, tmp_path):
    engine = engine_of(app)
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[engine.dialect.name]
    output = _refused(app, _rewritten(backup, tmp_path / "other-engine.tar", engine=other))
    assert "is a backup of a" in output and "Restore it into a store of the same kind" in output


def test_a_damaged_payload_is_refused(app, backup, tmp_path):
    """The manifest is whole but the payload's bytes changed: its checksum tells."""
    with tarfile.open(backup) as archive:
        payload_at = next(m for m in archive.getmembers() if m.name != MANIFEST_NAME).offset_data
    damaged = tmp_path / "damaged.tar"
    data = bytearray(backup.read_bytes())
    data[payload_at + 100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert "does not match the checksum" in _refused(app, damaged)


def test_a_backup_over_the_store_itself_is_refused(tmp_path):
    store = tmp_path / "onescreen.sqlite"
    with closing(sqlite3.connect(store)) as connection, connection:
        connection.execute("CREATE TABLE kept (n INTEGER)")
        connection.execute("INSERT INTO kept VALUES (7)")
    engine = make_engine(f"sqlite:///{store}")
    with pytest.raises(BackupError, match="is the store itself"):
        backup_store(engine, store, actor="test")
    engine.dispose()
    with closing(sqlite3.connect(store)) as connection:  # still the store, not a backup archive
        assert connection.execute("SELECT n FROM kept").fetchall() == [(7,)]
