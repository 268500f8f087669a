"""Benchmark (issue 11): the KPI catalogue on a large demo park, on SQLite and on PostgreSQL.

For each KPI of config/kpis.yaml over its own window, whole park, and for one drill-down level
(DRILL_KPIS by department, and by grid cell within GRID_DEPARTMENT): p50 and p95 uncached
(store/kpi_sql.py called directly, a connection per call) and cached (services/kpi_values.py
with the cache warm, inside the app); the same figure computed by DuckDB over a Parquet export
of the same tables (bench/kpi_duckdb.py), its time, the ratio store/DuckDB of the p50s and
whether the two agree (1e-6 relative). Then a gunicorn server over the same store
(bench/kpi_serving.py): each worker's peak RSS after every KPI has been read, and the delay
from a case transition to the changed figure. Prints one figure a line as `name: value unit`,
each prefixed with its engine; asserts nothing. --plans names a file that gets the store's plan
of every question missing the issue's must figures (bench/kpi_explain.py). The stores are kept
and reused: SQLite in --sqlite-dir, PostgreSQL in --pg-schema, migrated to the latest revision
and seeded with the demo park when they hold fewer than --cases (bench/bench_cases.py); only
the transition test adds rows of its own, and removes them.

usage: .venv/bin/python bench/bench_kpi.py [--cases 1000000] [--engines sqlite,postgresql]
       [--sqlite-dir /tmp/c1m] [--pg-schema bench_c1m] [--rounds 20] [--workers 2]
       [--transitions 20] [--plans FILE]"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_cases import percentile, postgresql_url, store  # noqa: E402
from bench.kpi_duckdb import Reference, agree, export  # noqa: E402
from bench.kpi_explain import explain  # noqa: E402
from bench.kpi_serving import Server, read_everything, transition_delay  # noqa: E402
from security.scope import WHOLE_PARK  # noqa: E402
from store import kpi_sql  # noqa: E402

# one of each kind of query a drill-down runs: a count, a share, a percentile (window functions)
DRILL_KPIS = ("cases_30d", "on_time_closure_30d", "handling_hours_p90_30d")
GRID_DEPARTMENT = "urban_management"


MIN_ROUNDS = 5  # a question slower than BUDGET_S over its rounds is asked this many times
BUDGET_S = 20.0


def timed(call: Callable[[], object], rounds: int) -> tuple[object, list[float]]:
    """The last answer of `rounds` calls (fewer, but MIN_ROUNDS, once BUDGET_S is spent: a
    seconds-long query is slow at any p95) and each call's time in ms."""
    times: list[float] = []
    answer = None
    spent = time.perf_counter()
    while len(times) < rounds and (len(times) < MIN_ROUNDS or time.perf_counter() - spent < BUDGET_S):
        began = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - began) * 1000)
    return answer, times


def line(name: str, value: float | int | str, unit: str) -> None:
    print(f"{name}: {value} {unit}", flush=True)


def spread(name: str, times: list[float]) -> None:
    line(f"{name}_p50", f"{statistics.median(times):.1f}", "ms")
    line(f"{name}_p95", f"{percentile(times, 0.95):.1f}", "ms")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _same(store: dict[str, float | None], reference: dict[str, float | None]) -> bool:
    return store.keys() == reference.keys() and all(agree(store[k], reference[k]) for k in store)


class Run:
    """One engine's measurements: the questions, asked of the store, of DuckDB and of the cache."""

    def __init__(
        self, label: str, engine, settings, reference: Reference, rounds: int, plans: TextIO | None
    ) -> None:
        self.label, self.engine, self.settings, self.ref, self.rounds = (
            label,
            engine,
            settings,
            reference,
            rounds,
        )
        self.plans = plans
        self.zone = settings.zone
        self.now = datetime.now(UTC)
        self.disagreements = 0
        self.misses: list[str] = []

    def _store(self, ask: kpi_sql.Ask, by: str | None) -> dict[str, float | None]:
        with self.engine.connect() as connection:
            if by is None:
                return {"": kpi_sql.value(connection, ask, self.zone)}
            return kpi_sql.breakdown(connection, ask, self.zone, by)

    def question(self, name: str, spec, filters: dict[str, str], by: str | None) -> None:
        """Uncached store, DuckDB, agreement and ratio for one question."""
        ask = kpi_sql.Ask(spec, WHOLE_PARK, self.now, filters=filters)
        store, store_times = timed(lambda: self._store(ask, by), self.rounds)
        duck_times = []
        reference: dict[str, float | None] = {}
        for _ in range(len(store_times)):
            reference, ms = self.ref.figure(spec, self.now, self.zone, filters=filters, by=by)
            duck_times.append(ms)
        name = f"{self.label}_{name}"
        spread(f"{name}_uncached", store_times)
        spread(f"{name}_duckdb", duck_times)
        ratio = statistics.median(store_times) / max(statistics.median(duck_times), 1e-3)
        line(f"{name}_vs_duckdb_ratio", f"{ratio:.2f}", "x")
        same = _same(store, reference)  # type: ignore[arg-type]
        self.disagreements += not same
        line(f"{name}_agrees_with_duckdb", "yes" if same else "no", "")
        if by is None:
            shown = store[""]  # type: ignore[index]
            line(f"{name}_value", "None" if shown is None else f"{shown:.6g}", spec.unit)
            if not same:
                line(f"{name}_duckdb_value", str(reference.get("")), spec.unit)
        else:
            line(f"{name}_groups", len(store), "groups")  # type: ignore[arg-type]
        line(f"{name}_rounds", len(store_times), "calls")
        if percentile(store_times, 0.95) >= 300 or ratio > 3:
            self.misses.append(name)
            if self.plans is not None:
                explain(self.engine, name, lambda: self._store(ask, by), self.plans)

    def cached(self, name: str, read: Callable[[], object]) -> None:
        read()  # warm: the first read computes and stores it
        answer, times = timed(read, self.rounds)
        spread(f"{self.label}_{name}_cached", times)
        if percentile(times, 0.95) >= 20:
            self.misses.append(f"{self.label}_{name}_cached")


def measure(run: Run, specs) -> None:
    by_id = {s.id: s for s in specs}
    line(f"{run.label}_load_average_before", load(), "(1 5 15 min)")
    for spec in specs:
        run.question(f"kpi_{spec.id}", spec, {}, None)
    for kpi in DRILL_KPIS:
        run.question(f"drill_{kpi}_by_department", by_id[kpi], {}, "department")
        run.question(f"drill_{kpi}_by_grid_cell_in_{GRID_DEPARTMENT}", by_id[kpi], {"department": GRID_DEPARTMENT},
                     "grid_cell")  # fmt: skip
    line(f"{run.label}_disagreements_with_duckdb", run.disagreements, "questions")
    line(f"{run.label}_load_average_after_uncached", load(), "(1 5 15 min)")

    from app import create_app
    from services import kpi_values

    server = create_app(run.settings)
    with server.app_context():
        for spec in specs:
            run.cached(f"kpi_{spec.id}", partial(kpi_values.reading, spec, WHOLE_PARK, None))
        for kpi in DRILL_KPIS:
            spec = by_id[kpi]
            run.cached(
                f"drill_{kpi}_by_department",
                partial(kpi_values.split, spec, WHOLE_PARK, None, {}, "department"),
            )
            within = {"department": GRID_DEPARTMENT}
            run.cached(f"drill_{kpi}_by_grid_cell_in_{GRID_DEPARTMENT}",
                       partial(kpi_values.split, spec, WHOLE_PARK, None, within, "grid_cell"))  # fmt: skip
    line(f"{run.label}_must_misses", len(run.misses), "figures")
    for miss in run.misses:
        line(f"{run.label}_must_miss", miss, "")


def run_engine(label: str, args, database_url: str | None) -> None:
    from services.kpis import specs as catalogue

    data_dir = (
        Path(args.sqlite_dir) if label == "sqlite" else Path(tempfile.mkdtemp(prefix="onescreen-bench-kpi-"))
    )
    # migrated to the latest revision, and seeded when it holds fewer cases (bench/bench_cases.py)
    engine, settings = store(args.cases, data_dir, database_url, label)
    settings = settings.model_copy(update={"demo_live": False})
    with engine.connect() as connection:  # the indexes measured are those of this revision
        line(
            f"{label}_store_revision",
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar(),
            "",
        )
    parquet = Path(tempfile.mkdtemp(prefix="onescreen-bench-kpi-parquet-"))
    try:
        specs = catalogue()
        contracts = sorted({s.contract for s in specs} | {s.total for s in specs if s.total})
        began = time.perf_counter()
        written = export(engine, contracts, parquet)
        line(f"{label}_parquet_export_seconds", f"{time.perf_counter() - began:.0f}", "s")
        for contract, rows in written.items():
            line(f"{label}_rows_{contract}", rows, "rows")
        reference = Reference(parquet, contracts)
        try:
            with Path(args.plans).open("a", encoding="utf-8") if args.plans else nullcontext() as plans:
                measure(Run(label, engine, settings, reference, args.rounds, plans), specs)
        finally:
            reference.close()
        if args.workers:
            serving(label, args, data_dir, database_url, engine, [s.id for s in specs])
    finally:
        engine.dispose()
        shutil.rmtree(parquet, ignore_errors=True)
        if label != "sqlite":
            shutil.rmtree(data_dir, ignore_errors=True)


def serving(label: str, args, data_dir: Path, database_url: str | None, engine, spec_ids: list[str]) -> None:
    log = Path(tempfile.gettempdir()) / f"onescreen-bench-kpi-{label}-gunicorn.log"
    server = Server(data_dir, database_url, args.cases, args.workers, log)
    try:
        line(f"{label}_serving_start_seconds", f"{server.wait(900):.0f}", "s")
        read_everything(server, spec_ids, label)
        if args.transitions:
            transition_delay(server, engine, args.transitions, label)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="cases of the demo park (seeded when fewer)"
    )
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--sqlite-dir", default="/tmp/c1m", help="data folder of the SQLite store")
    parser.add_argument("--pg-schema", default="bench_c1m", help="PostgreSQL schema of the store")
    parser.add_argument("--rounds", type=int, default=20, help="timed calls per question")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (0: no serving part)")
    parser.add_argument("--transitions", type=int, default=20, help="cases closed in the delay test")
    parser.add_argument("--plans", default="", help="file to append the plans of the questions that miss to")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))} (sqlite, postgresql)")
    print(f"# bench_kpi {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
          f"{load()} (1 5 15 min) at start", flush=True)  # fmt: skip
    if "sqlite" in engines:
        run_engine("sqlite", args, None)
    if "postgresql" in engines:
        url = postgresql_url(args.pg_schema)
        if url is not None:
            run_engine("postgresql", args, url)


if __name__ == "__main__":
    main()
