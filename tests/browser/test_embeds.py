"""An embedded panel in another portal's page (issue 13, item 4): the README's iframe snippet,
served from another origin (localhost, while the app is 127.0.0.1: another site, so no cookie
of the app's reaches the frame), shows the panel from a token issued on the command line; the
panel stays live (its callback answers again on the next refresh), with no console error and
no request outside the two origins; an expired token shows the refusal page in the frame. An
embedded alert strip shows a new alert of its department within seconds, through the token's
own push stream, never another department's, and its frame shows the refusal once the token
is revoked."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from itsdangerous import URLSafeSerializer
from live_alerts import write_alert
from servers import ROOT
from sqlalchemy import create_engine

from security.embed_tokens import SALT

SNIPPET = re.compile(r"<!-- embed-snippet -->\s*```html\n(.*?)```", re.S)
PLACEHOLDER = "https://onescreen.park.example/embed/TOKEN"
DISPATCH = "/embed/_dash-update-component"


def _embeds(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`flask --app app embeds …` on the server's store, as an admin would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(ONESCREEN_DATA_DIR=str(data_dir), ONESCREEN_DEMO_CASES="5000", ONESCREEN_DEMO_LIVE="false")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "embeds", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def _issue(data_dir: Path, *args: str) -> tuple[str, int]:
    """A token issued on the command line: (the token, its id)."""
    done = _embeds(data_dir, "issue", *args)
    pk = int(re.search(r"embed token (\d+)", done.stderr).group(1))
    return done.stdout.strip().removeprefix("/embed/"), pk


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """Another origin: a plain web server on localhost serving the portal's pages."""
    root = tmp_path_factory.mktemp("portal")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("localhost", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _portal_page(root: Path, name: str, src: str) -> str:
    snippet = SNIPPET.search((ROOT / "README.md").read_text(encoding="utf-8")).group(1)
    assert PLACEHOLDER in snippet
    (root / name).write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>portal</title><link rel='icon' href='data:,'></head><body>"
        f"<h1>City portal</h1>{snippet.replace(PLACEHOLDER, src)}</body></html>",
        encoding="utf-8",
    )
    return name


@pytest.mark.browser
def test_the_readme_snippet_shows_a_live_panel_and_an_expired_token_its_refusal(
    browser, live_server, live_data_dir, portal, shots_dir
):
    root, portal_origin = portal
    token, pk = _issue(live_data_dir, "case_trend", "--label", "city portal", "--lang", "en")
    context = browser.new_context(viewport={"width": 1000, "height": 700}, locale="en-US")
    try:
        page = context.new_page()
        page.clock.install()  # the panel's one-minute refresh, moved on below
        errors: list[str] = []
        offsite: list[str] = []
        answers: list[int] = []
        allowed = {urlparse(live_server).netloc, urlparse(portal_origin).netloc}
        context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        context.on(
            "request", lambda r: offsite.append(r.url) if urlparse(r.url).netloc not in allowed else None
        )
        context.on(
            "response", lambda r: answers.append(r.status) if urlparse(r.url).path == DISPATCH else None
        )

        page.goto(f"{portal_origin}/{_portal_page(root, 'panel.html', f'{live_server}/embed/{token}')}")
        frame = page.frame_locator("iframe")
        frame.locator(".os-embed-panel .os-lc-svg polyline").first.wait_for(timeout=20_000)
        assert frame.locator(".os-embed-panel h2").inner_text() == "Cases reported and closed, last 30 days"
        assert frame.locator(".modebar").count() == 0  # no download button
        page.screenshot(path=str(shots_dir / "embed-panel_1000x700.png"))
        assert answers == [200]

        page.clock.run_for(61_000)  # the next refresh: the token authorises it again
        deadline = time.monotonic() + 10
        while len(answers) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert answers == [200, 200]
        frame.locator(".os-embed-panel .os-lc-svg polyline").first.wait_for()

        # a token whose time is up (signed as the app signs, its row in the store)
        secret = (live_data_dir / "secret.key").read_text(encoding="ascii").strip()
        params = {"department": None, "lang": "en"}
        expired = URLSafeSerializer(secret, salt=SALT).dumps(
            {"id": pk, "panel": "case_trend", "params": params, "exp": int(time.time()) - 60}
        )
        page.goto(f"{portal_origin}/{_portal_page(root, 'expired.html', f'{live_server}/embed/{expired}')}")
        refusal = page.frame_locator("iframe").locator(".os-embed-refused")
        refusal.wait_for(timeout=10_000)
        assert "has expired" in refusal.inner_text()
        page.screenshot(path=str(shots_dir / "embed-expired_1000x700.png"))
        # the one console message: Chromium's note of the refusal page's own status, 403
        assert errors == ["Failed to load resource: the server responded with a status of 403 (FORBIDDEN)"]
        assert offsite == []
    finally:
        context.close()


@pytest.mark.browser
def test_an_embedded_alert_strip_shows_a_new_alert_live_and_its_revocation(
    browser, live_server, live_data_dir, portal, shots_dir
):
    root, portal_origin = portal
    token, pk = _issue(live_data_dir, "alert_ticker", "--label", "duty portal", "--lang", "en",
                       "--department", "urban_management")  # fmt: skip
    store = create_engine(f"sqlite:///{live_data_dir / 'onescreen.sqlite'}")
    context = browser.new_context(viewport={"width": 1000, "height": 300}, locale="en-US")
    try:
        page = context.new_page()
        errors: list[str] = []
        streams: list[int] = []
        context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        context.on("response", lambda r: streams.append(r.status) if "/embed/_live/" in r.url else None)
        page.goto(f"{portal_origin}/{_portal_page(root, 'alerts.html', f'{live_server}/embed/{token}')}")
        frame = page.frame_locator("iframe")
        frame.locator(".os-embed-panel[data-live='true'] .os-ticker").wait_for(timeout=20_000)
        deadline = time.monotonic() + 10
        while streams != [200] and time.monotonic() < deadline:  # the token's stream is open
            page.wait_for_timeout(100)
        assert streams == [200]

        write_alert(store, "EMBED-BR-ECO", "ecology_environment")  # another department's
        write_alert(store, "EMBED-BR-URB", "urban_management")
        began = time.monotonic()
        frame.locator("[data-alert='EMBED-BR-URB']").wait_for(timeout=20_000)
        arrived = time.monotonic() - began
        assert arrived < 10, f"the alert took {arrived:.1f} s"  # the feed reads every 5 s at most
        assert frame.locator("[data-alert='EMBED-BR-ECO']").count() == 0
        page.screenshot(path=str(shots_dir / "embed-alert-strip_1000x300.png"))

        _embeds(live_data_dir, "revoke", str(pk))  # the open stream ends, the frame says why
        frame.locator(".os-embed-refused").wait_for(timeout=20_000)
        assert "withdrawn by an administrator" in frame.locator(".os-embed-refused").inner_text()
        page.screenshot(path=str(shots_dir / "embed-alert-strip-revoked_1000x300.png"))
        assert [e for e in errors if "status of 403" not in e] == []
    finally:
        context.close()
        store.dispose()
