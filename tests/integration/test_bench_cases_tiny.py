"""The Cases benchmark in a tiny mode on both engines (SQLite and the real PostgreSQL): it runs
to the end, prints every figure as `name: value unit`, walks its cases without a failed step,
imports without a rejected row, and drops the PostgreSQL schema it made."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIGURE = re.compile(r"^([a-z0-9_]+): (-?[0-9.]+) (\S+)$")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _bench_schemas() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as c:
            return set(
                c.execute(
                    text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_cases_%'")
                ).scalars()
            )
    finally:
        engine.dispose()


def test_cases_benchmark_runs_in_a_tiny_mode_on_both_engines(tmp_path):
    before = _bench_schemas()
    run = subprocess.run(
        [sys.executable, "bench/bench_cases.py", "--cases", "1500", "--rounds", "1", "--walks", "1",
         "--import-rows", "300", "--keep", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.strip().splitlines()
    bad = [line for line in lines if not FIGURE.match(line)]
    assert bad == [], "every line is a figure"
    figures = {m[1]: (float(m[2]), m[3]) for m in map(FIGURE.match, lines)}
    for engine in ("sqlite", "postgresql"):
        assert figures[f"{engine}_store_cases"][0] >= 1500
        for name in ("grid_block_and_count_p50", "grid_block_and_count_p95", "transition_round_trip_p95"):
            assert figures[f"{engine}_{name}"][1] == "ms"
        assert figures[f"{engine}_transition_steps"] == (6.0, "steps")
        assert figures[f"{engine}_transition_failures"] == (0.0, "steps")
        assert figures[f"{engine}_import_cases"] == (300.0, "cases")
        assert figures[f"{engine}_import_rejected"] == (0.0, "cases")
        assert figures[f"{engine}_import_rate"][0] > 0 and figures[f"{engine}_import_rate"][1] == "cases/s"
    assert _bench_schemas() == before  # its schema is dropped
