"""Benchmark: the one map (/map, issue 10) in headless Chromium at 1920x1080 — bytes on the wire
for a fresh signed-in load, the time from navigation to a fully drawn map, and the time to redraw
the clusters after a zoom. Prints one figure a line as `name: value unit`; asserts nothing.

By default it starts its own server like `make run` (`flask store init` seeding the demo park in
a temp folder, then gunicorn on a free port, its control socket off so it never touches another
server's) and prints how long the first start took; --url measures a running server instead.

usage: .venv/bin/python bench/map_render.py [--runs 5] [--url http://127.0.0.1:8050] [--user leader]"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
GRID_CELLS = 636
SETTLE_MS = 200

# Runs on every animation frame from the document's start: the first frame at which the grid
# cells are all drawn, the parts' clusters are on the map and no Dash callback is loading.
# performance.now() counts from the navigation's start, so the figure needs no clock of ours.
DRAWN_WATCH = f"""
(() => {{
  const marks = window.__osMarks = {{}};
  const grid = () => document.querySelectorAll('path.os-ml-grid_cells').length >= {GRID_CELLS};
  const clusters = () => document.querySelector('.os-map-cluster.os-ml-parts') !== null;
  const idle = () => document.querySelector('[data-dash-is-loading="true"]') === null;
  const check = () => {{
    const now = performance.now(), g = grid(), c = clusters(), i = idle();
    if (g && marks.grid === undefined) marks.grid = now;
    if (c && marks.clusters === undefined) marks.clusters = now;
    if (g && c && i) {{ marks.drawn = now; return; }}
    requestAnimationFrame(check);
  }};
  requestAnimationFrame(check);
}})();
"""

# Click the zoom-in button and watch the marker pane (where the cluster icons live): the redraw
# is over once its children changed (the clusters replaced at the zoom's end: the attribute changes
# of the zoom animation's start are not a redraw) and it then stayed still for SETTLE_MS. The figure
# is the time of the last change after the click: the settle time minus the SETTLE_MS of waiting.
ZOOM_REDRAW = f"""
() => new Promise((resolve) => {{
  const pane = document.querySelector('.os-map-canvas .leaflet-marker-pane');
  let last = null, replaced = false;
  const start = performance.now();
  const observer = new MutationObserver((records) => {{
    last = performance.now();
    if (records.some((r) => r.type === 'childList')) replaced = true;
  }});
  observer.observe(pane, {{childList: true, subtree: true, attributes: true}});
  const poll = () => {{
    const now = performance.now();
    if (replaced && now - last >= {SETTLE_MS}) {{ observer.disconnect(); resolve(last - start); return; }}
    if (now - start > 20000) {{ observer.disconnect(); resolve(null); return; }}
    setTimeout(poll, 10);
  }};
  document.querySelector('.os-map-canvas .leaflet-control-zoom-in').click();
  poll();
}})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def own_server():
    """Seed the demo park in a temp folder and serve it with gunicorn, as `make run` does."""
    folder = Path(tempfile.mkdtemp(prefix="onescreen-map-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env["ONESCREEN_DATA_DIR"] = str(folder)
    port = free_port()
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    process = None
    try:
        start = time.perf_counter()
        subprocess.run([BIN / "flask", "--app", "app", "store", "init"], cwd=ROOT, env=env, check=True,
                       stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        seeded = time.perf_counter() - start
        process = subprocess.Popen(
            [BIN / "gunicorn", "--config", "config/gunicorn.conf.py", "--no-control-socket",
             "--bind", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_until_answering(f"http://127.0.0.1:{port}/login", process)
        print(f"server_first_start_seed: {seeded:.1f} s")
        print(f"server_first_start_total: {time.perf_counter() - start:.1f} s")
        yield f"http://127.0.0.1:{port}"
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)  # the default demo park's store is ~470 MB


def _wait_until_answering(url: str, process: subprocess.Popen, timeout_s: float = 300) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def one_run(browser, base: str, user: str) -> dict[str, float | None]:
    """A fresh context (no cache, no cookies), signed in, then /map loaded and zoomed once."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{base}/login", wait_until="load")
        with page.expect_navigation():
            page.click(f"button[name=username][value='{user}']")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # the sign-in page cached some
        urls: dict[str, str] = {}
        wire: dict[str, int] = {}
        body: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished",
               lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])))  # fmt: skip
        cdp.on("Network.dataReceived",
               lambda e: body.__setitem__(e["requestId"], body.get(e["requestId"], 0) + e["dataLength"]))  # fmt: skip
        page.add_init_script(DRAWN_WATCH)
        page.goto(f"{base}/map", wait_until="commit")
        page.wait_for_function("() => window.__osMarks.drawn !== undefined", timeout=60_000, polling=50)
        marks = page.evaluate("window.__osMarks")
        page.wait_for_load_state("networkidle")  # bytes of the drawn page, late requests included
        total = sum(wire.values())
        parts = [r for r, u in urls.items() if urlparse(u).path == "/api/v1/map/layers/parts" and r in wire]
        result: dict[str, float | None] = {
            "drawn_ms": marks["drawn"],
            "grid_ms": marks["grid"],
            "clusters_ms": marks["clusters"],
            "bytes": total,
            "requests": len(wire),
            "parts_wire": wire[parts[0]] if parts else None,
            "parts_body": body.get(parts[0]) if parts else None,
        }
        cdp.detach()
        page.wait_for_timeout(300)  # let the page go quiet before the zoom
        result["zoom_ms"] = page.evaluate(ZOOM_REDRAW)
        return result
    finally:
        context.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(base: str, runs: int, user: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            one_run(browser, base, user)  # warm the server's per-data-version layer caches
            results = [one_run(browser, base, user) for _ in range(runs)]
        finally:
            browser.close()
    first = results[0]
    drawn = [r["drawn_ms"] for r in results]
    zooms = [r["zoom_ms"] for r in results if r["zoom_ms"] is not None]
    print(f"map_transferred_bytes_compressed: {statistics.median(r['bytes'] for r in results):.0f} bytes")
    print(f"map_requests: {first['requests']} requests")
    if first["parts_wire"] is not None:
        print(f"map_parts_layer_bytes_compressed: {first['parts_wire']} bytes")
        print(f"map_parts_layer_bytes_decoded: {first['parts_body']} bytes")
    print(f"map_navigation_to_drawn_p50: {pct(drawn, 0.5):.0f} ms")
    print(f"map_navigation_to_drawn_p95: {pct(drawn, 0.95):.0f} ms")
    for mark, what in (("grid_ms", "grid_cells"), ("clusters_ms", "parts_clusters")):
        print(f"map_navigation_to_{what}_p50: {pct([r[mark] for r in results], 0.5):.0f} ms")
    if zooms:
        # the last change to the marker pane after the click; the 200 ms of stillness that
        # tells the redraw is over are not counted
        print(f"map_zoom_redraw_p50: {pct(zooms, 0.5):.0f} ms")
        print(f"map_zoom_redraw_p95: {pct(zooms, 0.95):.0f} ms")
    print(f"runs: {runs} runs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default="", help="a running server (default: start one on the demo park)")
    parser.add_argument("--user", default="leader", help="the demo user to sign in as")
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("Debian's chromium is not installed")
    if args.url:
        measure(args.url.rstrip("/"), args.runs, args.user)
    else:
        with own_server() as base:
            measure(base, args.runs, args.user)


if __name__ == "__main__":
    main()
