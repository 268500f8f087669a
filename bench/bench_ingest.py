"""Benchmark: sustained readings per second through the feed worker into the store, on SQLite and
on PostgreSQL (a schema of its own, dropped afterwards). The batches are what a feed delivers:
SenML packs of --batch readings (--sensors air-quality stations, six quantities, one reading a
minute each) decoded and checked by the intake against the registered sensors, then handed to
FeedWorker.take, which stores them (INSERT ... ON CONFLICT DO NOTHING) and has the alert engine
judge the batch's sensors. `*_worker_rate`: storing and judging (FeedWorker.take for every
batch until the judging thread is idle); `*_with_decode_rate`: the same plus the intake's decode
and checks, which run in the source's own thread. One figure a line as `name: value unit`;
`sent` and `stored` must be equal (it exits 1 otherwise).

usage: .venv/bin/python bench/bench_ingest.py [--readings 120000] [--batch 1000] [--sensors 100]
       [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test | --no-pg]"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from app import build_dash  # noqa: E402
from config.settings import load_settings  # noqa: E402
from data_sources.adapters.demo_feed import senml_packs  # noqa: E402
from data_sources.base import PushBatch  # noqa: E402
from data_sources.feeds.intake import IntakeLimits, SenmlFormat, decode_payload  # noqa: E402
from demo.live_feed import Simulated  # noqa: E402
from demo.sensors import SENSOR_KINDS  # noqa: E402
from live.worker import FeedWorker  # noqa: E402
from store.models import Sensor  # noqa: E402

AIR = next(k for k in SENSOR_KINDS if k.kind == "air_quality")
THRESHOLDS = {q.name: {"unit": q.unit, "warning": q.warning, "critical": q.critical} for q in AIR.quantities}


def build_worker(data_dir: Path, database_url: str | None, sensors: int) -> FeedWorker:
    settings = load_settings(data_dir=data_dir, database_url=database_url, demo_live=False)
    server = build_dash(settings, seed=False).server
    engine = server.extensions["onescreen"].engine
    rows = [
        {
            "id": f"urn:dev:aq-{i:04d}",
            "kind": "air_quality",
            "lon": 116.4,
            "lat": 39.9,
            "thresholds": THRESHOLDS,
        }
        for i in range(sensors)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Sensor.__table__), rows)
    return FeedWorker(server, owner=f"bench-{uuid.uuid4().hex[:8]}")


def payloads(readings: int, batch: int, sensors: int, start: datetime) -> list[bytes]:
    """SenML packs of `batch` readings, clean air (no alert), a minute apart per station."""
    made: list[Simulated] = []
    for i in range(readings):
        station, quantity = divmod(i, len(AIR.quantities))
        minute, sensor = divmod(station, sensors)
        q = AIR.quantities[quantity]
        at = start + timedelta(minutes=minute)
        made.append(
            Simulated(f"urn:dev:aq-{sensor:04d}", q.name, q.unit, round(q.warning * 0.3 + i % 7, 1), at)
        )
    return senml_packs(made, records=batch)


def run(name: str, worker: FeedWorker, packs: list[bytes], now: datetime) -> bool:
    """Decode every pack as the feed's adapter does (timed apart: it runs in the source's thread),
    then hand the batches to the worker (timed: storing and judging, until the judge is idle)."""
    catalog = worker.catalog()
    began = time.perf_counter()
    batches = []
    for payload in packs:
        intake = decode_payload(payload, SenmlFormat(), now, IntakeLimits(), catalog)
        batches.append(PushBatch("bench", "readings", intake.readings, [], now, "bench", dict(intake.counts)))
    decoded = time.perf_counter() - began
    sent = sum(len(b.rows) for b in batches)
    began = time.perf_counter()
    stored = sum(worker.take(batch) for batch in batches)
    worker.drain(timeout_s=600)  # the alert rules have judged every sensor stored
    elapsed = time.perf_counter() - began
    worker.close()
    print(f"{name}_sent: {sent} readings")
    print(f"{name}_stored: {stored} readings")
    print(f"{name}_worker_rate: {sent / elapsed:,.0f} readings/s")
    print(f"{name}_worker_batch_ms: {1000 * elapsed / len(batches):.1f} ms")
    print(f"{name}_with_decode_rate: {sent / (elapsed + decoded):,.0f} readings/s")
    return sent == stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=120_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    now = datetime.now(UTC)
    # two days back: the alert rules judge the batches' sensors but find nothing fresh to raise
    packs = payloads(args.readings, args.batch, args.sensors, now - timedelta(days=2))
    print(f"readings: {args.readings} readings")
    print(f"batch: {args.batch} readings")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        ok &= run("sqlite", build_worker(Path(folder), None, args.sensors), packs, now)
    if not args.no_pg:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.pg)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with tempfile.TemporaryDirectory() as folder:
                url = f"{args.pg}?options=-csearch_path%3D{schema}"
                ok &= run("postgresql", build_worker(Path(folder), url, args.sensors), packs, now)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    if not ok:
        sys.exit("sent and stored differ")


if __name__ == "__main__":
    main()
