"""Benchmark: the Cases page's grid queries, a step's round trip and the import rate, on a
large store in SQLite and in the real PostgreSQL.

The grid asks for a block of 100 rows and the count for each filter (services.case_query);
a step is one write transaction (read, decide, write the case, its event and its audit row:
services.case_commands.apply_step) timed through the API; an import is a batch of new cases
through services.case_import.import_cases (checked, upserted, audited). Prints one figure a line
as `name: value unit`, each prefixed with its engine (sqlite_, postgresql_); asserts nothing.
The store is the demo park at --cases (default 1,000,000): on SQLite kept in --keep to reuse,
on PostgreSQL (127.0.0.1:5432, db `test`) in a schema the bench creates and drops, or in
--pg-schema, created when missing and kept. PostgreSQL not reachable: its figures are left out
and a line says so.

usage: .venv/bin/python bench/bench_cases.py [--cases 1000000] [--engines sqlite,postgresql]
       [--keep DIR] [--pg-schema NAME] [--rounds 20] [--walks 50] [--import-rows 100000]"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from config.settings import load_settings  # noqa: E402
from security.scope import WHOLE_PARK, Scope  # noqa: E402
from services.case_query import CaseFilter, case_page  # noqa: E402
from services.store_setup import seed_demo_park  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.migrate import current_revision, upgrade  # noqa: E402
from store.models import Case, CaseEvent  # noqa: E402
from store.planner_hints import analyse  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def store(cases: int, folder: Path, database_url: str | None, label: str):
    """The demo park's store at `cases` cases (seeded when it holds fewer), and its settings;
    `folder` is the data folder (the SQLite file's)."""
    settings = load_settings(data_dir=folder, demo_cases=cases, database_url=database_url)
    engine = make_engine(settings.store_url)
    before = current_revision(engine)
    upgrade(engine)
    with engine.connect() as c:
        held = c.execute(select(func.count()).select_from(Case)).scalar_one()
    if held and before != current_revision(engine):
        # a migration may have rewritten the table (0015 on PostgreSQL) and cleared the map of
        # all-visible pages that index-only scans need: autovacuum's work, done before measuring
        analyse(engine, [Case.__tablename__])
    if held < cases:
        start = time.perf_counter()
        seed_demo_park(engine, settings, now=datetime.now(UTC).replace(second=0, microsecond=0), quiet=True)
        print(f"{label}_store_seed_seconds: {time.perf_counter() - start:.0f} s", flush=True)
    with engine.connect() as c:
        held = c.execute(select(func.count()).select_from(Case)).scalar_one()
    print(f"{label}_store_cases: {held} cases", flush=True)
    return engine, settings


def grid_queries(engine, zone, rounds: int, label: str) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    filters = {
        "all": CaseFilter(),
        "status": CaseFilter(status=("dispatched", "in_progress")),
        "channel_domain": CaseFilter(channel=("hotline_12345",), domain=("urban_management",)),
        "overdue": CaseFilter(overdue=True),
        "department_30d": CaseFilter(department=("urban_management",), since=today - timedelta(days=30)),
        "grid_cell": CaseFilter(grid_cell=("U101",)),
    }
    sorts = {"newest": None, "deadline": [{"colId": "sla_deadline", "sort": "asc"}]}
    every: list[float] = []
    for name, f in filters.items():
        for sort_name, sort in sorts.items():
            for scope_name, scope in (("park", WHOLE_PARK), ("dept", Scope("urban_management"))):
                times = []
                for i in range(rounds):
                    start = 0 if i % 2 == 0 else 5_000  # a first block, and one deep in the scroll
                    began = time.perf_counter()
                    case_page(engine, f, scope, zone, start=start, end=start + 100, sort=sort, now=now)
                    times.append((time.perf_counter() - began) * 1000)
                every += times
                name_of = f"{label}_grid_{name}_{sort_name}_{scope_name}"
                print(f"{name_of}_p50: {statistics.median(times):.0f} ms")
                print(f"{name_of}_p95: {percentile(times, 0.95):.0f} ms", flush=True)
    print(f"{label}_grid_block_and_count_p50: {statistics.median(every):.0f} ms")
    print(f"{label}_grid_block_and_count_p95: {percentile(every, 0.95):.0f} ms")
    print(f"{label}_grid_block_and_count_max: {max(every):.0f} ms", flush=True)


def transitions(server, engine, count: int, label: str) -> None:
    """`count` fresh cases walked from reported to closed by a duty officer through the API
    (POST /api/v1/cases/{id}/transitions with a bearer token): six steps each, timed from the
    request to the answer, inside the app (no network)."""
    from security import tokens

    token = tokens.issue(engine, "bench", "duty_officer", actor="bench")[0]
    client = server.test_client()
    run = datetime.now(UTC).strftime("%H%M%S")  # a kept store is walked again with new cases
    with engine.begin() as c:
        template = dict(c.execute(select(Case.__table__).limit(1)).one()._mapping)
        now = datetime.now(UTC) - timedelta(hours=1)
        for n in range(count):
            row = {k: v for k, v in template.items() if k != "pk" and Case.__table__.c[k].computed is None}
            row.update(id=f"BENCH{run}-{n:05d}", status="reported", reported_at=now, channel="grid_patrol", version=1,
                       sla_deadline=now + timedelta(days=3),
                       **dict.fromkeys(("accepted_at", "dispatched_at", "in_progress_at", "handled_at",
                                        "verified_at", "closed_at", "satisfaction")))  # fmt: skip
            c.execute(insert(Case.__table__).values(**row))
            c.execute(
                insert(CaseEvent.__table__).values(case_id=row["id"], action="reported", actor="b", at=now)
            )
    walk = ["accept", "dispatch", "start", "handle", "verify", "close"]
    headers = {"Authorization": f"Bearer {token}"}
    times, failures = [], 0
    for n in range(count):
        case_id = f"BENCH{run}-{n:05d}"
        for version, action in enumerate(walk, start=1):
            body = {"action": action, "version": version}
            if action == "dispatch":
                body["department"] = template["department"]
            began = time.perf_counter()
            response = client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            failures += response.status_code != 200
    print(f"{label}_transition_round_trip_p50: {statistics.median(times):.1f} ms")
    print(f"{label}_transition_round_trip_p95: {percentile(times, 0.95):.1f} ms")
    print(f"{label}_transition_steps: {len(times)} steps")
    print(f"{label}_transition_failures: {failures} steps", flush=True)


def import_rate(server, engine, rows: int, label: str) -> None:
    """`rows` new cases (the store's newest, under new ids) imported by
    services.case_import.import_cases in one call, as a hotline's export would be; the rate
    counts the whole call (checks, upsert, events, audit)."""
    from services.case_import import import_cases
    from services.records import export_cases

    run = uuid.uuid4().hex[:8]  # a kept store gets new cases each run
    export = export_cases(WHOLE_PARK, chunk_rows=rows, engine=engine)
    try:
        frame = next(iter(export)).head(rows).copy()
    finally:
        export.close()
    frame["id"] = [f"IMP{run}-{n:07d}" for n in range(len(frame))]
    frame["repeat_of"] = None
    with server.app_context():
        began = time.perf_counter()
        report = import_cases(frame, source=f"bench-{run}", actor="bench")
        seconds = time.perf_counter() - began
    print(f"{label}_import_rate: {report.imported / seconds:.0f} cases/s")
    print(f"{label}_import_cases: {report.imported} cases")
    print(f"{label}_import_rejected: {report.rejected} cases", flush=True)


def postgresql_url(schema: str) -> str | None:
    """A URL whose search_path is `schema` (created when missing), or None when PostgreSQL
    cannot be reached (said on a line of its own)."""
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    except OperationalError as exc:
        print(f"postgresql: not reachable at 127.0.0.1:5432 ({str(exc).splitlines()[0][:120]}), left out")
        return None
    finally:
        admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def run_engine(label: str, args, database_url: str | None) -> None:
    from app import create_app

    kept = label == "sqlite" and args.keep
    folder = Path(args.keep) if kept else Path(tempfile.mkdtemp(prefix="onescreen-bench-cases-"))
    try:
        engine, settings = store(args.cases, folder, database_url, label)
        try:
            grid_queries(engine, settings.zone, args.rounds, label)
            server = create_app(settings.model_copy(update={"demo_live": False}))
            transitions(server, engine, args.walks, label)
            import_rate(server, engine, args.import_rows, label)
        finally:
            engine.dispose()
    finally:
        if not kept:  # a store of a million cases is a gigabyte: not left in /tmp
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--keep", default="", help="folder to keep (and reuse) the SQLite store in")
    parser.add_argument("--pg-schema", default="", help="PostgreSQL schema to keep (and reuse)")
    parser.add_argument("--rounds", type=int, default=20, help="queries per filter, sort and scope")
    parser.add_argument("--walks", type=int, default=50, help="cases walked from reported to closed")
    parser.add_argument("--import-rows", type=int, default=100_000, help="cases in the timed import")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))} (sqlite, postgresql)")
    if "sqlite" in engines:
        run_engine("sqlite", args, None)
    if "postgresql" in engines:
        schema = args.pg_schema or f"bench_cases_{uuid.uuid4().hex[:8]}"
        url = postgresql_url(schema)
        if url is not None:
            try:
                run_engine("postgresql", args, url)
            finally:
                if not args.pg_schema:
                    drop_schema(schema)


if __name__ == "__main__":
    main()
