"""Record what a wall screen really sends: open /wall/<layout> in headless Chromium with a wall
token's cookie and keep the bodies of its POST /_dash-update-component requests — those sent
once the page is drawn (`initial`) and one of each sent by its refresh timers (`refresh`), for
bench/load.py to replay from Locust.

The refresh timers tick every 10 s and every minute at normal speed; the second load uses
?speed=20 (the README's demonstration speed) so one round of every timer's callbacks is seen in
seconds. The speed lives in the page's interval components only, never in a callback's body
(checked: a body naming it is refused here).

usage: .venv/bin/python bench/load_capture.py --url URL --token os_… --role leader \
           --layout leaders-hd [--out payloads.json]"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_mix import CALLBACK_PATH  # noqa: E402
from bench.map_render import ARGS, CHROMIUM  # noqa: E402
from components.panels import REFRESH_INTERVALS  # noqa: E402 - the wall's timers (ids: periods)
from security.wall_sessions import WALL_COOKIE  # noqa: E402

SPEED = 20
SETTLE_S = 3.0  # no callback for this long after load: the page is drawn
QUIET_MAX_S = 60.0
WATCH_MAX_S = 120.0
STATIC = ("/assets/", "/_dash-component-suites/", "/_favicon", "/_dash-layout", "/_dash-dependencies")
SKIP_S = 5.0  # the page's first burst of callbacks is over by then (a few hundred ms measured)
WATCH_S = 8.0  # at speed 20 every timer (the slowest: 60 s / 20 = 3 s) ticks twice, if answered


def _record(page, url: str, watch_s: float | None) -> tuple[list[dict], list[str]]:
    """Load `url` and return the callback bodies it sends: with `watch_s` None, those sent until
    the page goes quiet (no callback for SETTLE_S); else those sent from SKIP_S after the load
    (its first burst is over) for at least `watch_s`, and on until every refresh timer has been
    heard (at most WATCH_MAX_S); with the app's own GETs of that time (the map's layers), not its
    static files. A callback answered other than 2xx stops the capture."""
    sent: list[tuple[float, dict]] = []
    fetched: list[tuple[float, str]] = []
    failures: list[str] = []

    def on_request(request) -> None:
        if request.method == "POST" and urlparse(request.url).path == CALLBACK_PATH:
            sent.append((time.monotonic(), json.loads(request.post_data or "{}")))
        elif request.method == "GET" and request.resource_type in ("fetch", "xhr"):
            path = urlparse(request.url)
            if not path.path.startswith(STATIC):
                fetched.append((time.monotonic(), path.path + (f"?{path.query}" if path.query else "")))

    def on_response(response) -> None:
        if urlparse(response.url).path == CALLBACK_PATH and response.status >= 300:
            failures.append(f"{response.status} {(response.request.post_data or '')[:200]!r}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.goto(url, wait_until="load", timeout=120_000)
    loaded = time.monotonic()
    if watch_s is None:
        while time.monotonic() - loaded < QUIET_MAX_S and (
            not sent or time.monotonic() - sent[-1][0] < SETTLE_S
        ):
            page.wait_for_timeout(250)
        start, end = 0.0, time.monotonic()
    else:  # on a busy machine a page may take long to draw: watch until every timer was heard
        start = loaded + SKIP_S
        while time.monotonic() - loaded < WATCH_MAX_S and (
            time.monotonic() < start + watch_s or not _every_timer([b for at, b in sent if at >= start])
        ):
            page.wait_for_timeout(250)
        end = time.monotonic()
    page.remove_listener("request", on_request)
    page.remove_listener("response", on_response)
    if failures:
        raise RuntimeError(f"{url}: callbacks failed while recording: {failures[:3]}")
    return [body for at, body in sent if start <= at <= end], [p for at, p in fetched if start <= at <= end]


def _every_timer(bodies: list[dict]) -> bool:
    heard = {p.rsplit(".", 1)[0] for b in bodies for p in b.get("changedPropIds", [])}
    return set(REFRESH_INTERVALS) <= heard


def _timer_driven(body: dict) -> bool:
    return any(p.endswith(".n_intervals") for p in body.get("changedPropIds", []))


def _one_of_each(bodies: list[dict]) -> list[dict]:
    """The first body of each (output, triggering inputs): one refresh cycle."""
    seen: dict[tuple[str, tuple[str, ...]], dict] = {}
    for body in bodies:
        seen.setdefault((body["output"], tuple(sorted(body.get("changedPropIds", [])))), body)
    return list(seen.values())


def capture(base: str, token: str, role: str, layout: str) -> dict:
    """One wall's bodies as bench/load_mix.load_captures reads them. Needs Debian's chromium."""
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        raise RuntimeError("no chromium at /usr/lib/chromium/chromium or /usr/bin/chromium")
    host = urlparse(base).hostname
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            context.add_cookies([{"name": WALL_COOKIE, "value": token, "domain": host, "path": "/"}])
            initial, _ = _record(context.new_page(), f"{base}/wall/{layout}", None)
            ticking, fetches = _record(context.new_page(), f"{base}/wall/{layout}?speed={SPEED}", WATCH_S)
        finally:
            browser.close()
    refresh = _one_of_each([b for b in ticking if _timer_driven(b)])
    if not _every_timer(refresh):
        raise RuntimeError(
            f"/wall/{layout}: not every refresh timer was heard in {WATCH_MAX_S:g} s at speed {SPEED}"
        )
    for body in initial + refresh:
        if f"speed={SPEED}" in json.dumps(body):
            raise RuntimeError(f"/wall/{layout}: a callback body carries the page's speed: {body['output']}")
    # the live stream and the session's keep-alive are not part of a refresh
    fetches = sorted({p for p in fetches if not p.startswith(("/live/", "/_build", "/wall-signin"))})
    return {"layout": layout, "role": role, "initial": initial, "refresh": refresh, "fetches": fetches,
            "timers_ms": dict(REFRESH_INTERVALS)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True, help="a wall token (API token) of --role")
    parser.add_argument("--role", default="viewer")
    parser.add_argument("--layout", default="overview-hd")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    walls = {"walls": [capture(args.url.rstrip("/"), args.token, args.role, args.layout)]}
    text = json.dumps(walls, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
