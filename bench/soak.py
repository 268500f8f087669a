"""Soak test (issue 13): the overview screen open in headless Chromium with live data for a long
time at 10× its normal refresh (/wall/<layout>?speed=10: figures every 6 s, the KPI cards and
the alert strip every second), to show that a wall left running for days does not grow. At the
start (the screen drawn, then a warm-up of ten figure refreshes), every --sample-min minutes and
at the end, after a forced garbage collection (CDP HeapProfiler.collectGarbage), it reads the JS
heap (Performance.getMetrics JSHeapUsedSize), the document's DOM nodes (all of them, text nodes
too), the renderer's live nodes (detached ones too) and the event listeners: five readings 3 s
apart, each at a moment the screen is complete (every panel and the map's layers drawn,
nothing loading), the heap the least of them and the counts the most. It prints one figure a
line as `name: value unit`: start, end and growth per hour (end minus start, and the
least-squares trend over every sample), and counts console errors and failed requests. Must: heap growth < 5 MB/h, DOM nodes within ±2 %, no
console error; exit status 1 when one is missed. The samples go to stderr.

The layout is `leaders-4k` when config/screens.yaml has it, else `overview-4k`, in a window of
its resolution. By default it starts its own server like `make run` (bench/map_render.own_server:
the demo park seeded in a temp folder with its live simulator and sensor feed running, gunicorn on
a free port); --url soaks a running server instead (it must run the demo's live simulator, the
default, for the data to move). Not run by `make bench` (bench_*.py): it takes half an hour.

usage: .venv/bin/python bench/soak.py [--minutes 30] [--layout L] [--speed 10] [--url URL] [--user leader]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_wall_render import DRAWN_WATCH  # noqa: E402
from map_render import ARGS, CHROMIUM, ROOT, own_server  # noqa: E402

PREFERRED = ("leaders-4k", "overview-4k")
WARM_UP_TICKS = 10  # figure refreshes before the first reading: caches, fonts and pools filled
MUST_HEAP_MB_PER_H = 5.0
MUST_NODES_PCT = 2.0
MB = 1024 * 1024

# what the page shows of live data: the alerts in the ticker and the KPI cards' figures
COUNT_NODES = """() => {
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
  let nodes = 1;
  while (walker.nextNode()) nodes += 1;
  return nodes;
}"""
# The screen complete: every panel drawn (bench_wall_render's test), the map's layers drawn,
# and the document's node count the same as at the last poll (no layer still arriving).
COMPLETE = f"""() => {{
  const nodes = ({COUNT_NODES})();
  const maps = [...document.querySelectorAll('.os-wall-map')];
  const same = window.__osSoakNodes === nodes;
  window.__osSoakNodes = nodes;
  return same && window.__osDrawn() && maps.every(m => m.querySelector('.leaflet-container path.leaflet-interactive'));
}}"""
SEEN = f"""() => {{
  const nodes = ({COUNT_NODES})();
  return {{
    alerts: [...document.querySelectorAll('.os-ticker-item[data-alert]')].map(e => e.dataset.alert),
    counts: [...document.querySelectorAll('.os-ticker-count')].map(e => e.dataset.count).join(','),
    nodes,
  }};
}}"""
READINGS = 5  # readings READING_GAP_S apart, each at a moment the screen is complete (below)
COMPLETE_WAIT_MS = 30_000
INCOMPLETE: list[float] = []  # when a reading was taken without a complete screen
READING_GAP_S = 3  # 5 readings span more than two figure refreshes at 10× (6 s): one is quiet


def pick_layout(requested: str | None) -> tuple[str, tuple[int, int]]:
    """The layout to soak and its screen size in px (a single screen's resolution)."""
    layouts = yaml.safe_load((ROOT / "config" / "screens.yaml").read_text(encoding="utf-8"))["layouts"]
    name = requested or next((n for n in PREFERRED if n in layouts), None)
    if name not in layouts:
        raise SystemExit(f"no layout {name!r} in config/screens.yaml (known: {', '.join(layouts)})")
    width, _, height = str(layouts[name]["resolution"]).partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise SystemExit(f"{name}: a wall of tiles is soaked one tile at a time; name a single screen")
    return name, (int(width), int(height))


def reading(cdp, page) -> dict[str, float]:
    """The heap, the document's nodes, the renderer's live nodes (detached ones too) and the
    listeners after a forced collection, READINGS times, each at a moment the screen is complete
    (every panel drawn, no callback loading: at 10× some panel redraws every second, and the
    map's layers are empty while read again): the heap the least of them (a collection during a
    redraw keeps what the redraw holds), the counts the most of them (a panel redrawn between
    the check and the count has fewer for a moment; a leak raises them all)."""
    taken = []
    for n in range(READINGS):
        if n:
            page.wait_for_timeout(READING_GAP_S * 1000)
        try:
            page.wait_for_function(COMPLETE, timeout=COMPLETE_WAIT_MS, polling=300)
        except PlaywrightTimeout:
            # a loaded server answers the 1 s clock's callbacks slower than it ticks, so one is
            # always in flight: read anyway (the least heap and the most nodes of five absorb it)
            INCOMPLETE.append(time.monotonic())
        for _ in range(2):  # the second frees what only finalisers held
            cdp.send("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        taken.append(
            {
                "heap_mb": metrics["JSHeapUsedSize"] / MB,
                "nodes": page.evaluate(SEEN)["nodes"],
                "renderer_nodes": metrics["Nodes"],
                "listeners": metrics["JSEventListeners"],
            }
        )
    most = {key: max(t[key] for t in taken) for key in taken[0]}
    return {**most, "heap_mb": min(t["heap_mb"] for t in taken)}


def soak(base: str, args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    layout, size = pick_layout(args.layout)
    errors: list[str] = []
    failed: list[str] = []
    answered = [0]
    alerts_seen: set[str] = set()
    counts_seen: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def on_response(response) -> None:
            if response.status >= 400:
                failed.append(f"{response.status} {response.url}")
            elif "_dash-update-component" in response.url:
                answered[0] += 1

        page.on("response", on_response)
        page.goto(f"{base}/login", wait_until="load")
        with page.expect_navigation():
            page.click(f"button[name=username][value='{args.user}']")
        page.add_init_script(DRAWN_WATCH)
        page.goto(f"{base}/wall/{layout}?speed={args.speed}", wait_until="commit")
        # a fresh server's first draw reads every figure cold: minutes on a busy machine
        page.wait_for_function("() => window.__osMarks.drawn !== undefined", timeout=600_000, polling=500)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.wait_for_timeout(WARM_UP_TICKS * 60_000 / args.speed)

        def look() -> None:
            seen = page.evaluate(SEEN)
            alerts_seen.update(seen["alerts"])
            counts_seen.add(seen["counts"])

        look()
        start, started = reading(cdp, page), time.monotonic()
        heaps = [(0.0, start["heap_mb"])]
        print(f"# start: {start}", file=sys.stderr, flush=True)
        end_at = started + args.minutes * 60
        next_sample = started + args.sample_min * 60
        while (now := time.monotonic()) < end_at:
            page.wait_for_timeout(min(30_000, (end_at - now) * 1000))
            look()
            if time.monotonic() >= next_sample and time.monotonic() < end_at:
                sample = reading(cdp, page)
                minutes = (time.monotonic() - started) / 60
                heaps.append((minutes / 60, sample["heap_mb"]))
                print(f"# {minutes:.0f} min: {sample}, errors {len(errors)}", file=sys.stderr, flush=True)
                next_sample += args.sample_min * 60
        end = reading(cdp, page)
        hours = (time.monotonic() - started) / 3600
        heaps.append((hours, end["heap_mb"]))
        browser.close()
    print(f"# heap samples (h, MB): {[(round(h, 3), round(m, 2)) for h, m in heaps]}", file=sys.stderr)
    return report(layout, size, args.speed, hours, start, end, errors, failed, answered[0],
                  len(alerts_seen), len(counts_seen), trend(heaps))  # fmt: skip


def trend(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of (hours, MB): growth per hour over every sample, which one
    noisy reading at either end does not swing."""
    n = len(points)
    mean_h = sum(h for h, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    spread = sum((h - mean_h) ** 2 for h, _ in points)
    return sum((h - mean_h) * (m - mean_m) for h, m in points) / spread if spread else 0.0


def report(layout, size, speed, hours, start, end, errors, failed, answered, alerts, counts, slope) -> int:
    heap_growth = (end["heap_mb"] - start["heap_mb"]) / hours
    nodes_change = 100 * (end["nodes"] - start["nodes"]) / start["nodes"]
    print(f"# layout {layout} at {size[0]}x{size[1]}, speed {speed}")
    print(f"soak_duration: {hours * 60:.1f} min")
    print(f"js_heap_start: {start['heap_mb']:.2f} MB")
    print(f"js_heap_end: {end['heap_mb']:.2f} MB")
    print(f"js_heap_growth: {heap_growth:.2f} MB/h")
    print(f"js_heap_trend: {slope:.2f} MB/h")
    print(f"dom_nodes_start: {start['nodes']:.0f} nodes")
    print(f"dom_nodes_end: {end['nodes']:.0f} nodes")
    print(f"dom_nodes_change: {nodes_change:+.2f} %")
    print(f"dom_nodes_growth: {(end['nodes'] - start['nodes']) / hours:.0f} nodes/h")
    print(f"renderer_nodes_start: {start['renderer_nodes']:.0f} nodes")
    print(f"renderer_nodes_end: {end['renderer_nodes']:.0f} nodes")
    print(f"js_event_listeners_start: {start['listeners']:.0f} listeners")
    print(f"js_event_listeners_end: {end['listeners']:.0f} listeners")
    print(f"readings_without_complete_screen: {len(INCOMPLETE)} readings")
    print(f"console_errors: {len(errors)} errors")
    print(f"failed_requests: {len(failed)} requests")
    print(f"callbacks_answered: {answered} callbacks")
    print(f"ticker_alerts_seen: {alerts} alerts")
    print(f"alert_count_states_seen: {counts} states")
    for line in (errors + failed)[:20]:
        print(f"# {line[:300]}")
    missed = [
        what
        for what, ok in (
            (f"heap growth < {MUST_HEAP_MB_PER_H} MB/h", heap_growth < MUST_HEAP_MB_PER_H),
            (f"DOM nodes within ±{MUST_NODES_PCT} %", abs(nodes_change) <= MUST_NODES_PCT),
            ("no console error", not errors),
        )
        if not ok
    ]
    print(f"# verdict: {'pass' if not missed else 'MISSED ' + '; '.join(missed)}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument(
        "--layout", help="default: leaders-4k if config/screens.yaml has it, else overview-4k"
    )
    parser.add_argument(
        "--speed", type=int, default=10, help="the wall's ?speed= (refreshes n times as often)"
    )
    parser.add_argument(
        "--sample-min", type=float, default=2, help="minutes between samples (stderr, and the trend)"
    )
    parser.add_argument("--url")
    parser.add_argument("--user", default="leader")
    args = parser.parse_args()
    if args.url:
        return soak(args.url.rstrip("/"), args)
    with own_server() as base:
        return soak(base, args)


if __name__ == "__main__":
    raise SystemExit(main())
