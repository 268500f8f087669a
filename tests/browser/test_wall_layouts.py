"""Every screen layout of config/screens.yaml at its resolution in headless Chromium (issue 13,
items 1 and 6), read from the file so a new layout is covered: the layout fills the window exactly
(no scroll bars, no panel overflowing the window or its own cell), no console error, no request
outside the app's origin, no text below 18 CSS px; a 4K layout both as 3840×2160 and as 1920×1080
at device scale 2; every one of a 3×3 wall's nine windows, which line up; and the admin's
preview. Screenshots in shots_dir. One browser context (signed in once) per window size, scale
and language, its page reused from layout to layout, keeps the browser time short."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from test_pages import sign_in
from test_wall_text import SMALLEST

from config.settings import ROOT
from services.screens import load_screens

LOCALES = ("zh-CN", "en-US")


def screens() -> list[tuple[str, tuple[int, int], int, str, str | None]]:
    """(layout, window size, device scale factor, locale, tile) for every layout of the file:
    each at its resolution, a 4K one at scale 2 too, a wall's every window; the languages
    taking turns."""
    out: list[tuple[str, tuple[int, int], int, str, str | None]] = []
    for name, layout in load_screens(ROOT / "config" / "screens.yaml").items():
        res = layout.resolution
        size = (res.width, res.height)
        if res.tiled:
            for r in range(1, res.rows + 1):
                for c in range(1, res.columns + 1):
                    out.append((name, size, 1, LOCALES[(r + c) % 2], f"{r},{c}"))
        else:
            out.append((name, size, 1, LOCALES[len(out) % 2], None))
            if size == (3840, 2160):  # the same screen as a 1920×1080 window at 200 %
                out.append((name, (1920, 1080), 2, LOCALES[len(out) % 2], None))
    return out


SCREENS = screens()
FULL_PLOTLY = "/plotly/package_data/plotly"  # Dash's 4.8 MB bundle, its fingerprinted name after it

# every chart, graph and map placed has drawn itself (plotly svg, cytoscape canvas, leaflet paths)
DRAWN = """() => [...document.querySelectorAll('.os-wall-cell .os-graph, .os-wall-cell .os-panel-graph-box')]
  .every(g => g.querySelector('.main-svg, canvas, .leaflet-overlay-pane path'))"""

# Everything drawn in a cell lies inside the window (a wall's cell may go on over the next
# screen: the stage's position is checked instead) and inside its cell (a panel cut off by its
# cell's edge, or text running out of its box, would show here). Plotly's and cytoscape's own
# layers are measured as their boxes.
FIT = """(tiled) => {
  const out = [];
  const d = document.documentElement;
  if (d.scrollWidth > innerWidth + 1 || d.scrollHeight > innerHeight + 1) out.push(`scroll ${d.scrollWidth}x${d.scrollHeight}`);
  for (const cell of document.querySelectorAll('.os-wall-cell')) {
    const c = cell.getBoundingClientRect();
    if (!tiled && (c.left < -1 || c.top < -1 || c.right > innerWidth + 1 || c.bottom > innerHeight + 1)) out.push(`cell ${cell.className} outside the window`);
    for (const el of cell.querySelectorAll('*')) {
      if (el.closest('.hoverlayer, .modebar, .os-ticker-track, .legend .scrollbox, .leaflet-pane')) continue;
      const r = el.getBoundingClientRect(), s = getComputedStyle(el);
      if (!r.width || !r.height || s.visibility === 'hidden') continue;
      if (r.left < c.left - 1 || r.top < c.top - 1 || r.right > c.right + 1 || r.bottom > c.bottom + 1)
        out.push(`${el.tagName}.${el.className.baseVal ?? el.className} over ${cell.className}`);
    }
  }
  return out.slice(0, 8);
}"""


def _window(browser, base, size, scale, locale, user="leader"):
    """A signed-in context and its page at a window size, device scale and language, with the
    console errors and the requests to other origins it sees (lists a caller may clear)."""
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, device_scale_factor=scale, locale=locale
    )
    page = context.new_page()
    page.set_default_timeout(60_000)  # a wall at 4K or 8K on a busy two-core machine: be patient
    errors: list[str] = []
    offsite: list[str] = []
    origin = urlparse(base).netloc
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request", lambda r: offsite.append(r.url) if urlparse(r.url).netloc not in (origin, "") else None
    )
    # charts draw with plotly.js's basic bundle (assets/01-plotly-basic.js), never Dash's full one
    page.on("request", lambda r: errors.append(f"full plotly.js: {r.url}") if FULL_PLOTLY in r.url else None)
    # and a wall draws none at all (bars and lines in HTML and SVG): it is not even sent plotly.js
    page.on(
        "request",
        lambda r: (
            errors.append(f"plotly.js on a wall: {r.url}")
            if "vendor/plotly-basic" in r.url and urlparse(page.url).path.startswith("/wall/")
            else None
        ),
    )
    sign_in(page, base, user)
    return context, page, errors, offsite


def _open(browser, url, shots_dir, name, size, scale, locale, user="leader"):
    context, page, errors, offsite = _window(browser, url, size, scale, locale, user)
    page.goto(url, wait_until="networkidle")
    return context, page, errors, offsite


@pytest.fixture(scope="module")
def windows(browser, live_server):
    """(size, scale, locale) -> its window, opened on first use and shared by the cases."""
    opened: dict[tuple, tuple] = {}

    def window(size, scale, locale):
        if (size, scale, locale) not in opened:
            opened[(size, scale, locale)] = _window(browser, live_server, size, scale, locale)
        return opened[(size, scale, locale)]

    yield window
    for context, *_rest in opened.values():
        context.close()


def wall_drawn(page) -> None:
    """Wait until every panel of the wall has drawn itself."""
    page.wait_for_selector(".os-wall-cell .os-panel, .os-wall-cell .os-ticker")
    page.wait_for_function(DRAWN)
    page.wait_for_timeout(300)  # plotly's second pass (its responsive resize)


@pytest.mark.browser
@pytest.mark.parametrize(("name", "size", "scale", "locale", "tile"), SCREENS)
def test_a_layout_fills_its_screen_exactly(windows, live_server, shots_dir, name, size, scale, locale, tile):
    url = f"{live_server}/wall/{name}" + (f"?tile={tile}" if tile else "")
    shot = (
        f"wall-{name}{'-' + tile.replace(',', '-') if tile else ''}-{locale}_{size[0]}x{size[1]}@{scale}.png"
    )
    _context, page, errors, offsite = windows(size, scale, locale)
    errors.clear()
    offsite.clear()
    page.goto(url, wait_until="networkidle")
    wall_drawn(page)
    page.screenshot(path=str(shots_dir / shot))
    assert page.evaluate("document.querySelector('.os-header').getBoundingClientRect().height") == 0
    stage = page.evaluate("() => document.querySelector('.os-wall-stage').getBoundingClientRect().toJSON()")
    if tile is None:  # the canvas fills the window, edge to edge
        assert abs(stage["width"] - size[0]) <= 1 and abs(stage["height"] - size[1]) <= 1, stage
    else:  # the window shows its own 1920×1080 part of the 5760×3240 canvas
        row, column = (int(n) for n in tile.split(","))
        assert abs(stage["x"] + (column - 1) * size[0]) <= 1 and abs(stage["y"] + (row - 1) * size[1]) <= 1
    assert page.evaluate(FIT, tile is not None) == []
    assert page.evaluate(SMALLEST) == []
    assert errors == [] and offsite == []
    # every panel's title in the window's language (CJK characters in Chinese, none in English)
    titles = page.eval_on_selector_all(
        ".os-wall-stage h2, .os-ticker-label", "els => els.map(e => e.innerText)"
    )
    assert titles and all(bool(re.search("[\u4e00-\u9fff]", t)) == (locale == "zh-CN") for t in titles), (
        titles
    )


@pytest.mark.browser
def test_an_admin_previews_a_layout_at_another_size(browser, live_server, shots_dir):
    context, page, errors, offsite = _open(
        browser, live_server + "/admin/screens", shots_dir, "screens", (1920, 1080), 1, "en-US", user="admin"
    )
    try:
        page.wait_for_selector(".os-screens-screen .os-wall-cell")
        assert page.inner_text("#screens-tiles").endswith("/wall/overview-hd")
        page.fill("#screens-width", "1280")
        page.fill("#screens-height", "1024")
        page.press("#screens-height", "Enter")
        page.wait_for_selector(".os-screens-screen[style*='1024px']")
        box = page.evaluate(
            "() => document.querySelector('.os-screens-screen').getBoundingClientRect().toJSON()"
        )
        area = page.evaluate(
            "() => document.querySelector('.os-screens-preview-area').getBoundingClientRect().toJSON()"
        )
        assert box["width"] <= area["width"] + 1 and box["height"] <= area["height"] + 1
        assert abs(box["width"] / box["height"] - 1280 / 1024) < 0.01  # the screen's shape, scaled
        page.fill("#screens-width", "12")
        page.press("#screens-width", "Enter")
        page.wait_for_selector("text=A screen size is two whole numbers from 320 to 16384")
        page.screenshot(path=str(shots_dir / "admin-screens_1920x1080.png"))
        assert errors == [] and offsite == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_wall_routed_to_an_admin_page_loads_it_whole_with_its_bundles(browser, live_server, shots_dir):
    """A wall's page comes without ag-grid's and the admin parts' bundles (components/
    screen_scripts.py); routed to an admin page (Back, a link), it loads that page anew."""
    context, page, errors, offsite = _open(
        browser, live_server + "/wall/overview-hd", shots_dir, "wall", (1920, 1080), 1, "en-US", user="admin"
    )
    try:
        wall_drawn(page)
        assert page.evaluate("typeof window.dash_ag_grid") == "undefined"
        page.evaluate("window.__sameDocument = true")
        with page.expect_navigation():  # as dcc.Link routes: pushState, then Dash's event
            page.evaluate(
                "history.pushState({}, '', '/admin/audit');"
                "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'))"
            )
        page.wait_for_selector(".ag-root")  # the audit log's grid, drawn by the bundles it needs
        assert page.evaluate("window.__sameDocument") is None and page.url.endswith("/admin/audit")
        assert errors == [] and offsite == []
    finally:
        context.close()
