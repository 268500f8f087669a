"""A wall page across a server restart and a redeploy (assets/06-reconnect.js), on a server of
this module's own that it stops and starts again on the same port and data folder: while it is
down the page says "reconnecting" in its language over the panels as last drawn (no blank page,
no error screen, no request failed to Dash), asking again after a growing pause; when it is back
the notice goes and the panels redraw by themselves, without a reload (a window variable
survives). Started with another build label (a redeploy), the page reloads itself, once. The
page's timers run on Playwright's clock: the wall's 10-s tick and the pause before the next
question (up to 30 s) are moved on rather than waited out, and still fire in the page's code."""

from __future__ import annotations

import re

import pytest
from servers import AppServer
from test_pages import visit

WALL = "/wall/overview-hd"
READ = ".os-wall-stage .os-read-at[data-read]"
STATE = "() => window.onescreenReconnect()"
NOTICE = "#os-reconnect"
DOWN_WORDS = {"zh-CN": "与服务器的连接已中断", "en-US": "Lost the connection to the server"}
# what Chromium logs of a request that found no server: expected while it is down
NETWORK = re.compile(r"Failed to load resource|ERR_CONNECTION|ERR_EMPTY_RESPONSE|net::")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    made = AppServer(
        tmp_path_factory.mktemp("reconnect"),
        {"ONESCREEN_DEMO_CASES": "300", "ONESCREEN_DEMO_LIVE": "false", "ONESCREEN_BUILD_LABEL": "first"},
    )
    made.start()
    yield made
    made.stop()


def _drawn(page) -> dict:
    return page.evaluate(
        """() => ({cells: document.querySelectorAll('.os-wall-cell').length,
                   text: document.querySelector('.os-wall-stage').innerText.trim().length,
                   read: [...document.querySelectorAll('.os-wall-stage .os-read-at[data-read]')]
                         .map(e => e.getAttribute('data-read')).join(' ')})"""
    )


def _go_down(server, page, shots_dir, name: str, locale: str) -> dict:
    """Stop the server; the notice must come up over the panels as they were."""
    before = _drawn(page)
    server.stop()
    page.clock.run_for(10_000)  # the wall's 10 s tick finds the server gone
    page.wait_for_selector(NOTICE, timeout=15_000)
    assert DOWN_WORDS[locale] in page.inner_text(NOTICE)
    during = _drawn(page)
    assert during["cells"] == before["cells"] > 0 and during["text"] > 0  # never a blank page
    assert page.evaluate(
        "() => !document.querySelector('.dash-fe-error__title, #_dash-global-error-container')"
    )
    page.screenshot(path=str(shots_dir / f"{name}_1920x1080.png"))
    return before


@pytest.mark.browser
def test_a_wall_says_reconnecting_while_the_server_is_down_and_redraws_when_it_is_back(
    browser, server, shots_dir
):
    with visit(browser, server.url + WALL, shots_dir, "reconnect-wall", ready=READ, clock=True) as v:
        page = v.page
        page.evaluate("() => { window.__survivor = 42; }")
        page.wait_for_function("() => window.onescreenReconnect().build !== null")
        before = _go_down(server, page, shots_dir, "reconnect-down-zh", "zh-CN")
        # it keeps asking, each time after a longer pause, and holds the panels' ticks meanwhile
        page.wait_for_function("() => window.onescreenReconnect().pause >= 4000", timeout=20_000)
        assert re.search(r"\d+ 秒后重试|正在重试", page.inner_text(NOTICE))
        page.clock.run_for(10_000)  # the next tick, held while the server is away
        page.wait_for_function("() => window.onescreenReconnect().held > 0", timeout=15_000)
        server.start()
        page.clock.run_for(30_000)  # the next question, however long the pause has grown
        page.wait_for_selector(NOTICE, state="detached", timeout=60_000)
        assert page.evaluate(STATE)["down"] is False
        # the held tick went out again: the panels show a read made after the restart
        page.wait_for_function(
            f"old => [...document.querySelectorAll('{READ}')].map(e => e.getAttribute('data-read')).join(' ') !== old",
            arg=before["read"],
            timeout=20_000,
        )
        assert page.evaluate("() => window.__survivor") == 42  # no reload
        page.screenshot(path=str(shots_dir / "reconnect-back_1920x1080.png"))
        # Dash was never handed a failed read: nothing but the browser's own network lines
        assert [e for e in v.errors if not NETWORK.search(e)] == []


@pytest.mark.browser
def test_after_a_redeploy_the_page_reloads_itself_once(browser, server, shots_dir):
    url = server.url + WALL
    with visit(browser, url, shots_dir, "reconnect-redeploy", locale="en-US", ready=READ, clock=True) as v:
        page = v.page
        page.evaluate("() => { window.__survivor = 42; }")
        page.wait_for_function("() => window.onescreenReconnect().build !== null")
        first = page.evaluate(STATE)["build"]
        _go_down(server, page, shots_dir, "reconnect-down-en", "en-US")
        server.start(ONESCREEN_BUILD_LABEL="second")
        page.clock.run_for(30_000)  # the next question, however long the pause has grown
        page.wait_for_function("() => window.__survivor === undefined", timeout=60_000)  # reloaded
        page.wait_for_selector(READ, timeout=30_000)
        page.wait_for_function("() => window.onescreenReconnect().build !== null")
        second = page.evaluate(STATE)["build"]
        assert second != first
        assert page.evaluate("() => sessionStorage.getItem('onescreen-reloaded-for')") == second
        assert page.query_selector(NOTICE) is None
        assert [e for e in v.errors if not NETWORK.search(e)] == []
