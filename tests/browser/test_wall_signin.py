"""A wall screen whose sign-in ends, in a real browser: it never stalls on the sign-in form. Kept
on by a wall token entered once at /wall-signin, it goes to its own sign-in screen when the token
is revoked (at the panels' next tick), says there what to do in the page's language, and comes
back to the wall by itself once the browser may see the screens again (here: someone signs in
in another tab of the same browser). The page's own timers are moved on with Playwright's clock
rather than waited out in real time: the panels' tick and the sign-in screen's 30-s question
still fire, in the page's own code, after as long a time as they say."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from test_pages import sign_in

from security.tokens import issue, revoke

WALL = "/wall/overview-hd"
READY = ".os-wall-stage .os-kpi-card"


@pytest.fixture(scope="module")
def store(live_server, live_data_dir):
    engine = create_engine(f"sqlite:///{live_data_dir / 'onescreen.sqlite'}")
    yield engine
    engine.dispose()


@pytest.mark.browser
def test_a_wall_whose_token_is_revoked_shows_what_to_do_and_comes_back_by_itself(
    browser, live_server, store, shots_dir
):
    token, pk = issue(store, "Browser test wall", "viewer", actor="admin")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    try:
        page = context.new_page()
        page.clock.install()  # time runs as usual; run_for moves the page's timers on (below)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + WALL, wait_until="load")
        assert page.url.endswith("/wall-signin?next=%2Fwall%2Foverview-hd")  # not the sign-in form
        page.fill("#wall-token", token)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_selector(READY)
        assert page.url == live_server + WALL
        revoke(store, pk, actor="admin")
        page.clock.run_for(10_000)  # the panels' 10-s tick: its 401 sends the wall away
        page.wait_for_url("**/wall-signin?next=*", timeout=20_000)
        assert "This wall screen is not signed in" in page.inner_text("h1")
        assert "returns by itself" in page.inner_text(".os-wall-signin-wait")
        page.screenshot(path=str(shots_dir / "wall-signin-en_1920x1080.png"))
        sign_in(context.new_page(), live_server, "viewer")  # someone signs in on this computer
        page.clock.run_for(30_000)  # the screen asks every 30 s
        page.wait_for_url(live_server + WALL, timeout=10_000)
        page.wait_for_selector(READY)
        assert errors == []
    finally:
        context.close()
