"""Load (issue 14, item 2): many wall screens refreshing at once, with a few department heads, duty
officers and live-stream listeners, against a production-like server on loopback.

The mix (bench/load_mix.py, users in bench/locustfile_load.py, run by Locust 2.47 headless as a
subprocess): wall viewers load /wall/overview-hd or /wall/leaders-hd once, then every 5 s replay
the Dash callback bodies the page really sends on its refresh — recorded first in headless
Chromium (bench/load_capture.py) with a wall token's cookie, n_intervals counted on as the browser
counts (--cycle full: every recorded refresh callback each time, every panel redrawn every 5 s;
paced: the page's own timers with the fastest every 5 s, so the live counts each time and the
figures and the map's layers every sixth); department heads read the KPI list, a KPI's series over
varied ranges and one drill-down level (a department head's API token); duty officers list the
open alerts and acknowledge one, and accept a reported case (a duty officer's token); listeners
hold /live/alerts open for the run, counting alert events. Locust and the server share the
machine.

By default it builds its own stack (bench/load_stack.py): a PostgreSQL database of its own seeded
with the demo park (`flask store init`; the first seed of the default 300,000-case park into
PostgreSQL took 4.1 min on this 2-core machine at a load average of ~8, against ~40 s into
SQLite), a Redis of its own, gunicorn in the production profile (WEB_CONCURRENCY=2, generated
secret key, the demo users given passwords no one keeps) and the feed worker. --reuse-db NAME
keeps that database seeded for the next run (then a start takes seconds); --url measures a running
server instead (its store's URL in --database-url, to issue the tokens; no server CPU figures
then).

Prints one figure a line as `name: value unit`; the latencies are those of the window that opens
once every user has spawned and every wall has loaded its page, and lasts --duration; errors count
the whole run (a 409 from two officers stepping one alert at once is counted apart, as the app's
correct refusal, and so is a request sent on a keep-alive connection as the server closed it,
which a browser sends again). The cache hit ratio is read from /metrics when the server has one,
else from Redis INFO.

usage: .venv/bin/python bench/load.py [--users 200] [--spawn-rate 20] [--duration 60]
           [--cycle full|paced] [--reuse-db NAME] [--url URL --database-url URL] [--payloads FILE] [--save FILE]"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_capture import capture  # noqa: E402
from bench.load_mix import REFRESH_S, load_captures  # noqa: E402
from bench.load_stack import BIN, ROOT, Stack, issue_tokens, own_stack, process_usage, revoke_tokens  # noqa: E402

WALL_LAYOUTS = {"overview-hd": "viewer", "leaders-hd": "leader"}  # layout: the wall token's role
CALLBACK = "callback "
STEP_NAMES = ("api alert acknowledge", "api case accept", "api case dispatch", "api case verify")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]
        if ordered
        else float("nan")
    )


def cache_counters(stack: Stack) -> tuple[float, float, str] | None:
    """(hits, misses, where read) of the server's cache: /metrics' cache counters when it has
    them (summed over workers), else the Redis server's keyspace hits and misses."""
    try:
        with urllib.request.urlopen(f"{stack.base}/metrics", timeout=10) as answer:
            hits = misses = 0.0
            for line in answer.read().decode().splitlines():
                match = re.match(r"^(\w*cache\w*?)(?:_total)?(\{[^}]*\})?\s+([0-9.eE+-]+)$", line)
                if not match or match.group(1).endswith("_created"):
                    continue
                label = (match.group(1) + (match.group(2) or "")).lower()
                if "miss" in label:
                    misses += float(match.group(3))
                elif "hit" in label:
                    hits += float(match.group(3))
            if hits or misses:
                return hits, misses, "/metrics"
    except OSError:
        pass
    if stack.redis_url is None:
        return None
    import redis

    info = redis.Redis.from_url(stack.redis_url).info("stats")
    return float(info["keyspace_hits"]), float(info["keyspace_misses"]), "redis INFO keyspace"


def record_payloads(stack: Stack, path: Path) -> None:
    walls = [
        capture(stack.base, stack.tokens[f"wall_{role}"], role, layout)
        for layout, role in WALL_LAYOUTS.items()
    ]
    path.write_text(json.dumps({"walls": walls}, ensure_ascii=False, indent=1), encoding="utf-8")


def run_locust(stack: Stack, args, payloads: Path, folder: Path) -> dict:
    """Locust headless in its own process (its gevent never meets this one's threads)."""
    results = folder / "results.json"
    config = {
        "payloads": str(payloads),
        "tokens": stack.tokens,
        "duration_s": args.duration,
        "results": str(results),
        "cycle": args.cycle,
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    ramp_s = args.users / args.spawn_rate
    env = {**os.environ, "LOAD_BENCH_CONFIG": str(folder / "config.json"), "PYTHONPATH": str(ROOT)}
    command = [BIN / "locust", "-f", ROOT / "bench" / "locustfile_load.py", "--headless", "--host", stack.base,
               "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
               "--run-time", f"{math.ceil(3 * ramp_s + args.duration + 120)}s", "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "5"]  # fmt: skip
    with open(folder / "locust.log", "wb") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not results.exists():
        raise RuntimeError(f"Locust wrote no results: {(folder / 'locust.log').read_text()[-3000:]}")
    return json.loads(results.read_text(encoding="utf-8"))


def figures(seen: dict, args, cache: tuple | None, usage: dict[str, tuple[float, float]]) -> list[str]:
    every = [v for values in seen["latency_ms"].values() for v in values]
    callbacks = [
        v for name, values in seen["latency_ms"].items() if name.startswith(CALLBACK) for v in values
    ]
    window = seen["window_s"] or args.duration
    errors = sum(seen["errors"].values())
    lines = [
        f"users: {sum(seen['users'].values())} users ({', '.join(f'{k} {v}' for k, v in seen['users'].items())})",
        f"duration: {window:.1f} s (after ramp-up at {args.spawn_rate} users/s and the walls' page loads)",
        f"cycle: {args.cycle} (a wall's refresh every {REFRESH_S:g} s)",
        f"requests_per_second: {len(every) / window:.1f} req/s",
        f"callbacks_per_second: {len(callbacks) / window:.1f} req/s",
    ]
    for label, values in (("callback", callbacks), ("all", every)):
        for q in (50, 95, 99):
            lines.append(f"{label}_p{q}: {percentile(values, q):.0f} ms")
    lines.append(f"errors: {errors} requests")
    lines += [f"error {name}: {n} requests" for name, n in sorted(seen["errors"].items())]
    lines.append(f"step_conflicts_409: {seen['conflicts']} requests")
    lines.append(
        f"keepalive_closed: {seen.get('closed', 0)} requests (sent as the server closed an idle connection)"
    )
    steps = {n: len(v) for n, v in seen["latency_ms"].items() if n.startswith(STEP_NAMES)}
    lines.append(
        f"steps_taken: {sum(steps.values())} steps ({', '.join(f'{n} {c}' for n, c in sorted(steps.items()))})"
    )
    lines.append(f"sse_connections: {seen['sse_connected']} connections")
    lines.append(f"sse_alert_events: {seen['sse_events']} events")
    if cache is not None:
        hits, misses, where = cache
        ratio = hits / (hits + misses) if hits + misses else float("nan")
        lines.append(f"cache_hit_ratio: {ratio:.3f} ratio ({hits:.0f} hits, {misses:.0f} misses, {where})")
    for name, (cpu_s, rss_mb) in usage.items():
        lines.append(f"cpu {name}: {cpu_s:.1f} s")
        lines.append(f"peak_rss {name}: {rss_mb:.0f} MB")
    served = sum(cpu_s for name, (cpu_s, _) in usage.items() if name.startswith("gunicorn"))
    if served and seen["requests"]:
        lines.append(
            f"server_cpu_per_request: {1000 * served / seen['requests']:.0f} ms (whole run, ramp-up too)"
        )
    lines.append(f"cpu locust: {seen['locust_cpu_s']:.1f} s")
    slow = sorted(((percentile(v, 95), n, len(v)) for n, v in seen["latency_ms"].items() if v), reverse=True)
    lines += [f"p95 {name}: {p95:.0f} ms ({count} requests)" for p95, name, count in slow[:8]]
    return lines


def conditions() -> list[str]:
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    load1, load5, load15 = os.getloadavg()
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"git_revision: {revision.stdout.strip()}{' (working tree with uncommitted changes)' if dirty else ''}",
        f"load_average_before: {load1:.2f} {load5:.2f} {load15:.2f}",
        f"cores: {os.cpu_count()} (Locust, the server, PostgreSQL and Redis share them)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument("--duration", type=float, default=60, help="seconds measured after ramp-up")
    parser.add_argument(
        "--cycle",
        choices=("full", "paced"),
        default="full",
        help="full: every recorded refresh callback every 5 s (every panel redrawn); paced: the page's "
        "own timers with the fastest every 5 s (live counts each time, figures every sixth)",
    )
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--database-url", help="with --url: its store, where the bench issues its tokens")
    parser.add_argument("--reuse-db", metavar="NAME", help="PostgreSQL database to seed once and keep")
    parser.add_argument(
        "--payloads", type=Path, help="recorded callback bodies to replay (default: record now)"
    )
    parser.add_argument("--save", type=Path, help="also write the printed figures to this file")
    parser.add_argument("--logs", type=Path, help="copy the server's, worker's and Locust's logs here")
    args = parser.parse_args()
    if args.users < 1 or args.spawn_rate <= 0 or args.duration <= 0:
        parser.error("--users, --spawn-rate and --duration must be positive")
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (the server's store) to issue the load's tokens")
    lines = conditions()
    for line in lines:
        print(line, flush=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="onescreen-load-run-")))
        if args.url:
            tokens, ids = issue_tokens(args.database_url)
            stack.callback(revoke_tokens, args.database_url, ids)
            target = Stack(
                base=args.url.rstrip("/"), database_url=args.database_url, redis_url=None, tokens=tokens
            )
        else:
            target = stack.enter_context(own_stack(args.reuse_db, args.logs))
        payloads = args.payloads or folder / "payloads.json"
        if args.payloads is None:
            started = time.perf_counter()
            record_payloads(target, payloads)
            print(f"payloads_recorded: {time.perf_counter() - started:.1f} s", flush=True)
        walls = load_captures(payloads)
        for wall in walls:
            print(f"wall {wall.layout}: {len(wall.initial)} initial, {len(wall.refresh)} refresh callbacks")
        before_cache = cache_counters(target)
        before = {name: process_usage(pid) for name, pid in target.pids.items()}
        seen = run_locust(target, args, payloads, folder)
        after = {name: process_usage(pid) for name, pid in target.pids.items()}
        after_cache = cache_counters(target)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            (args.logs / "locust.log").write_bytes((folder / "locust.log").read_bytes())
            (args.logs / "payloads.json").write_bytes(payloads.read_bytes())
    cache = None
    if before_cache and after_cache:
        cache = (after_cache[0] - before_cache[0], after_cache[1] - before_cache[1], after_cache[2])
    usage = {name: (after[name][0] - before[name][0], after[name][1]) for name in after}
    out = figures(seen, args, cache, usage)
    for line in out:
        print(line)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text("\n".join(lines + out) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
