"""Benchmark: a wall layout (/wall/<layout>, issue 13) in headless Chromium — the time from
navigation to its complete first render, at the layout's resolution (3840×2160 at scale 1, and
the same screen as 1920×1080 at device scale 2). Prints one figure a line as `name: value unit`;
asserts nothing.

"Complete" is the first animation frame at which every panel of the layout has drawn: each panel
holds something other than its loading placeholder, every Plotly chart has its SVG, the chain
graph its canvas, the map its drawn paths, and no Dash callback is loading. performance.now()
counts from the navigation's start, so the figure needs no clock of ours.

By default it starts its own server like `make run` (bench/map_render.own_server: the demo park
seeded in a temp folder, gunicorn on a free port); --url measures a running server instead.

--pause S waits S seconds before each measured run: past 10 s no screen has drawn the layout
recently (services/rendered_cells.py reuses a drawing of the same data up to 10 s old for a
screen opening), so every run waits for the server to draw its panels, as the first screen of
a morning does. Without it the runs follow each other as screens opening in a busy centre.

usage: .venv/bin/python bench/bench_wall_render.py [--runs 7] [--layout overview-4k] [--url URL] [--user leader] [--pause 0]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from map_render import ARGS, CHROMIUM, own_server, pct  # noqa: E402

DRAWN_WATCH = """
(() => {
  const marks = window.__osMarks = {};
  const drawn = () => {
    const panels = [...document.querySelectorAll('.os-wall-cell')];
    if (panels.length === 0) return false;
    if (document.querySelector('[data-dash-is-loading="true"]')) return false;
    for (const p of panels) {
      // every chart drawn: dcc.Graph's box is in the DOM before Plotly has loaded and drawn
      // into it (it only becomes .js-plotly-plot then), so count the boxes, not the plots
      for (const g of p.querySelectorAll('.dash-graph')) if (!g.querySelector('.main-svg')) return false;
      if (p.querySelector('.os-panel-chain-graph') && !p.querySelector('.os-panel-chain-graph canvas')) return false;
      if (p.querySelector('.leaflet-container') && !p.querySelector('path.leaflet-interactive')) return false;
      if (!p.textContent.trim() && !p.querySelector('canvas, svg')) return false;
    }
    return true;
  };
  window.__osDrawn = drawn;  // bench/soak.py reads at moments the screen is complete
  const check = () => {
    if (drawn()) { marks.drawn = performance.now(); return; }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""


def one_run(browser, base: str, user: str, layout: str, size: tuple[int, int], scale: int) -> float:
    """A fresh context (no cache), signed in, then the layout loaded: ms to its complete render."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=scale)
    try:
        page = context.new_page()
        page.goto(f"{base}/login", wait_until="load")
        with page.expect_navigation():
            page.click(f"button[name=username][value='{user}']")
        page.add_init_script(DRAWN_WATCH)
        page.goto(f"{base}/wall/{layout}", wait_until="commit")
        page.wait_for_function("() => window.__osMarks.drawn !== undefined", timeout=60_000, polling=50)
        return float(page.evaluate("window.__osMarks.drawn"))
    finally:
        context.close()


def measure(base: str, runs: int, user: str, layout: str, pause: float = 0) -> None:
    from playwright.sync_api import sync_playwright

    screens = {"3840x2160_scale1": ((3840, 2160), 1), "1920x1080_scale2": ((1920, 1080), 2)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, (size, scale) in screens.items():
                one_run(browser, base, user, layout, size, scale)  # warm the server's figure caches
                spans = []
                for _ in range(runs):
                    time.sleep(pause)
                    spans.append(one_run(browser, base, user, layout, size, scale))
                what = f"wall_{layout}_{name}{'_cold' if pause > 10 else ''}_navigation_to_complete_render"
                print(f"{what}_p50: {pct(spans, 0.5):.0f} ms")
                print(f"{what}_p95: {pct(spans, 0.95):.0f} ms")
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--layout", default="overview-4k")
    parser.add_argument("--url")
    parser.add_argument("--user", default="leader")
    parser.add_argument("--pause", type=float, default=0, help="seconds before each measured run")
    args = parser.parse_args()
    if args.url:
        measure(args.url.rstrip("/"), args.runs, args.user, args.layout, args.pause)
    else:
        with own_server() as base:
            measure(base, args.runs, args.user, args.layout, args.pause)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
