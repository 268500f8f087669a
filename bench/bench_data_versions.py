"""Benchmark: what the data-version triggers (migration 0010) cost a bulk write, and what
reading the versions costs a cached figure.

On SQLite the triggers fire once per row (SQLite has no statement-level triggers), on
PostgreSQL once per statement. Each engine's store is migrated to head; the same bulk insert
of --rows cases (store.bulk.write_frame on SQLite, COPY through store.bulk.append_frame on
PostgreSQL) and the DELETE of all of them are timed with the triggers in place and with them
dropped, best of --rounds. Prints one figure a line as `name: value unit`, each prefixed with
its engine; asserts nothing. PostgreSQL not reachable: its figures are left out and a line
says so.

usage: .venv/bin/python bench/bench_data_versions.py [--rows 100000] [--rounds 3]
       [--engines sqlite,postgresql]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
from sqlalchemy import Table, create_engine, delete, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from store.bulk import append_frame, make_room_for_bulk_writes  # noqa: E402
from store.data_versions import VERSIONED, versions  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Case  # noqa: E402

CASES = cast(Table, Case.__table__)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def cases_frame(rows: int) -> pd.DataFrame:
    """`rows` cases as an import would bring them (the columns the grid's indexes cover)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = pd.RangeIndex(rows)
    return pd.DataFrame(
        {
            "id": [f"B{i:08d}" for i in n],
            "channel": pd.Series(["hotline", "app", "patrol", "video_ai"]).iloc[n % 4].to_numpy(),
            "domain": pd.Series(["city", "environment", "safety"]).iloc[n % 3].to_numpy(),
            "case_type": "bench.type",
            "grid_cell": [f"G{i % 300:03d}" for i in n],
            "department": pd.Series(["urban", "ecology", "safety", "construction"]).iloc[n % 4].to_numpy(),
            "status": pd.Series(["reported", "dispatched", "closed"]).iloc[n % 3].to_numpy(),
            "reported_at": pd.to_datetime([start + timedelta(seconds=37 * i) for i in n], utc=True),
            "sla_deadline": pd.to_datetime(
                [start + timedelta(seconds=37 * i, hours=48) for i in n], utc=True
            ),
        }
    )


def drop_triggers(engine) -> None:
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            for table in VERSIONED:
                c.execute(text(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}"))
        else:
            for table in VERSIONED:
                for event in ("insert", "update", "delete"):
                    c.execute(text(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}"))


def timed_writes(engine, frame: pd.DataFrame, rounds: int) -> tuple[float, float]:
    """Best of `rounds`: seconds to insert `frame` into cases, and to delete every case."""
    inserts, deletes = [], []
    for _ in range(rounds):
        with engine.begin() as c:
            make_room_for_bulk_writes(c)
            began = time.perf_counter()
            append_frame(c, CASES, frame)
        inserts.append(time.perf_counter() - began)
        with engine.begin() as c:
            began = time.perf_counter()
            c.execute(delete(CASES))
        deletes.append(time.perf_counter() - began)
    return min(inserts), min(deletes)


def read_cost(engine, rounds: int = 200) -> float:
    """Median milliseconds for versions() of three contracts, as a cached figure reads them."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        versions(engine, ["cases", "case_events", "alerts"])
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times)[len(times) // 2]


def run(label: str, url: str, frame: pd.DataFrame, rounds: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    before = versions(engine)["cases"]
    insert_s, delete_s = timed_writes(engine, frame, rounds)
    print(f"{label}_versions_read: {read_cost(engine):.2f} ms")
    print(
        f"{label}_cases_version_raised_by: {versions(engine)['cases'] - before} per {rounds} inserts+deletes"
    )
    drop_triggers(engine)
    bare_insert_s, bare_delete_s = timed_writes(engine, frame, rounds)
    rows = len(frame)
    print(f"{label}_insert_{rows}_cases_with_triggers: {insert_s:.2f} s")
    print(f"{label}_insert_{rows}_cases_without_triggers: {bare_insert_s:.2f} s")
    print(f"{label}_insert_trigger_cost: {100 * (insert_s / bare_insert_s - 1):.1f} %")
    print(f"{label}_delete_{rows}_cases_with_triggers: {delete_s:.2f} s")
    print(f"{label}_delete_{rows}_cases_without_triggers: {bare_delete_s:.2f} s")
    print(f"{label}_delete_trigger_cost: {100 * (delete_s / bare_delete_s - 1):.1f} %", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    frame = cases_frame(args.rows)
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{folder}/store.sqlite", frame, args.rounds)
    if "postgresql" in engines:
        schema = f"bench_dv_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL)
        try:
            with admin.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
        except OperationalError as exc:
            print(f"postgresql_skipped: 1 (not reachable: {exc.__class__.__name__})")
            return
        try:
            run("postgresql", f"{PG_URL}?options=-csearch_path%3D{schema}", frame, args.rounds)
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
