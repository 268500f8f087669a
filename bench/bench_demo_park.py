"""Benchmark: the demo park at its default size (or --cases N) — generation, writing the
embedded SQLite store, reading contracts back through the SQL adapter, and the Overview's
KPI figures computed from them. Prints figures; asserts nothing.

usage: .venv/bin/python bench/bench_demo_park.py [--cases 300000] [--keep DIR]"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_settings  # noqa: E402
from data_sources.adapters.sql_store import SqlStoreSource  # noqa: E402
from data_sources.contracts import CONTRACTS  # noqa: E402
from data_sources.health import HealthBook  # noqa: E402
from data_sources.monitor import SourceMonitor  # noqa: E402
from data_sources.validation import conform, validate  # noqa: E402
from domain.kpi_frames import evaluate  # noqa: E402
from services.kpis import load_specs  # noqa: E402
from services.store_setup import seed_demo_park  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402


def timed(fn, repeat=1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--keep", default="", help="folder to keep the store in (default: a temp folder)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="onescreen-bench-"))
    settings = load_settings(data_dir=folder, demo_cases=args.cases)
    engine = make_engine(settings.store_url)
    upgrade(engine)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    counts, (seconds,) = timed(lambda: seed_demo_park(engine, settings, now=now, quiet=True))
    print(f"demo park, {args.cases:,} cases: generated and written in {seconds:.1f} s")
    print(
        f"  store file: {Path(settings.store_url.removeprefix('sqlite:///')).stat().st_size / 2**20:.0f} MiB"
    )
    for name, count in counts.items():
        print(f"  {name:<20} {count:>10,} rows")
    source = SqlStoreSource("bench", {"url": settings.store_url})
    frames = {}
    monitor = SourceMonitor(source, HealthBook())
    for contract in ("cases", "readings", "features"):
        frame, times = timed(lambda c=contract: source.fetch(c), repeat=3)
        frames[contract] = frame
        _, conform_times = timed(lambda c=contract, f=frame: conform(f, CONTRACTS[c]), repeat=3)
        result, (vtime,) = timed(lambda c=contract, f=frame: validate(f, CONTRACTS[c], "bench"))
        _, read_times = timed(lambda c=contract: monitor.read(c), repeat=3)
        print(
            f"{contract:<9} {len(frame):>9,} rows: fetch {statistics.median(times) * 1000:5.0f} ms,"
            f" conform {statistics.median(conform_times) * 1000:4.0f} ms (the store is VALIDATED),"
            f" monitored read {statistics.median(read_times) * 1000:5.0f} ms;"
            f" full validation would add {vtime * 1000:5.0f} ms, rejected {result.rejected_rows}"
        )
    cases = validate(frames["cases"], CONTRACTS["cases"], "bench").good
    readings = validate(frames["readings"], CONTRACTS["readings"], "bench").good
    data = {"cases": cases, "readings": readings, "enterprises": source.fetch("enterprises")}
    for spec in load_specs():
        value, times = timed(lambda s=spec: evaluate(s, data[s.contract], now, settings.zone), repeat=5)
        print(f"kpi {spec.id:<22} = {value!s:>22}  median {statistics.median(times) * 1000:6.1f} ms")
    source.close()
    engine.dispose()
    if args.keep:
        print(f"store kept in {folder}")
    else:
        shutil.rmtree(folder)  # a default-size store is ~470 MB


if __name__ == "__main__":
    main()
