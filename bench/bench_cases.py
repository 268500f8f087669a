"""Benchmark: the Cases page's grid queries and a step's round trip on a large store.

The grid asks for a block of 100 rows and the count for each filter (services.case_query);
a step is one write transaction (read, decide, write the case, its event and its audit row:
services.case_commands.apply_step). Prints one figure a line as `name: value unit`; asserts
nothing. The store is the demo park at --cases (default 1,000,000), kept in --keep to reuse.

usage: .venv/bin/python bench/bench_cases.py [--cases 1000000] [--keep DIR] [--rounds 20]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from config.settings import load_settings  # noqa: E402
from security.scope import WHOLE_PARK, Scope  # noqa: E402
from services.case_query import CaseFilter, case_page  # noqa: E402
from services.store_setup import seed_demo_park  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Case, CaseEvent  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def store(cases: int, keep: str):
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="onescreen-bench-cases-"))
    settings = load_settings(data_dir=folder, demo_cases=cases)
    engine = make_engine(settings.store_url)
    upgrade(engine)
    with engine.connect() as c:
        held = c.execute(select(func.count()).select_from(Case)).scalar_one()
    if held < cases:
        start = time.perf_counter()
        seed_demo_park(engine, settings, now=datetime.now(UTC).replace(second=0, microsecond=0), quiet=True)
        print(f"store_seed_seconds: {time.perf_counter() - start:.0f} s")
    with engine.connect() as c:
        held = c.execute(select(func.count()).select_from(Case)).scalar_one()
    print(f"store_cases: {held} cases")
    return engine, settings


def grid_queries(engine, zone, rounds: int) -> None:
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
                label = f"grid_{name}_{sort_name}_{scope_name}"
                print(f"{label}_p50: {statistics.median(times):.0f} ms")
                print(f"{label}_p95: {percentile(times, 0.95):.0f} ms")
    print(f"grid_block_and_count_p50: {statistics.median(every):.0f} ms")
    print(f"grid_block_and_count_p95: {percentile(every, 0.95):.0f} ms")
    print(f"grid_block_and_count_max: {max(every):.0f} ms")


def transitions(engine, settings, count: int) -> None:
    """`count` fresh cases walked from reported to closed by a duty officer through the API
    (POST /api/v1/cases/{id}/transitions with a bearer token): six steps each, timed from the
    request to the answer, inside the app (no network)."""
    from app import create_app
    from security import tokens

    server = create_app(settings.model_copy(update={"demo_live": False}))
    token = tokens.issue(engine, "bench", "duty_officer", actor="bench")[0]
    client = server.test_client()
    run = datetime.now(UTC).strftime("%H%M%S")  # a kept store is walked again with new cases
    with engine.begin() as c:
        template = dict(c.execute(select(Case.__table__).limit(1)).one()._mapping)
        now = datetime.now(UTC) - timedelta(hours=1)
        for n in range(count):
            row = {k: v for k, v in template.items() if k != "pk"}
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
    print(f"transition_round_trip_p50: {statistics.median(times):.1f} ms")
    print(f"transition_round_trip_p95: {percentile(times, 0.95):.1f} ms")
    print(f"transition_steps: {len(times)} steps")
    print(f"transition_failures: {failures} steps")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--keep", default="", help="folder to keep (and reuse) the store in")
    parser.add_argument("--rounds", type=int, default=20, help="queries per filter, sort and scope")
    parser.add_argument("--walks", type=int, default=50, help="cases walked from reported to closed")
    args = parser.parse_args()
    engine, settings = store(args.cases, args.keep)
    grid_queries(engine, settings.zone, args.rounds)
    transitions(engine, settings, args.walks)


if __name__ == "__main__":
    main()
