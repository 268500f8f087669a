"""Every page in a real browser: answers, draws without console errors, asks nothing of any
origin but the app's own, fits the screen, and speaks both languages."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

PAGES = ["/", "/sources"]
SIZES = [(1920, 1080), (3840, 2160)]
BRAND = {"zh-CN": "园区运行一网统管", "en-US": "Park Operations OneScreen"}
# document.fonts.check() is true for a family that is not in the font set at all, so ask
# whether a face of the app's own font was actually loaded.
FONT_LOADED = """() => [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Noto Sans SC' && f.status === 'loaded')"""


@dataclass
class Visit:
    page: object
    status: int
    errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)


@contextmanager
def visit(browser, url, shots_dir, name, size=(1920, 1080), locale="zh-CN"):
    """Open `url` in a fresh context, recording console errors and off-origin requests, and
    keep a screenshot of it as first drawn."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    try:
        page = context.new_page()
        origin = urlparse(url).netloc
        errors: list[str] = []
        offsite: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                offsite.append(r.url)
                if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
                and urlparse(r.url).netloc != origin
                else None
            ),
        )
        response = page.goto(url, wait_until="networkidle")
        page.wait_for_selector(".os-header")
        page.screenshot(path=str(shots_dir / f"{name}_{size[0]}x{size[1]}.png"))
        yield Visit(page, response.status, errors, offsite)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", list(BRAND))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean_and_fits(browser, live_server, shots_dir, path, size, locale):
    name = f"{path.strip('/') or 'overview'}-{locale}"
    with visit(browser, live_server + path, shots_dir, name, size, locale) as v:
        assert v.status == 200
        assert v.errors == []
        assert v.offsite == []
        assert v.page.inner_text("#shell-brand") == BRAND[locale]
        # the app's own Chinese font is used, so no screen depends on a system font
        assert v.page.evaluate(FONT_LOADED)
        geometry = v.page.evaluate(
            "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
            " iw: innerWidth, ih: innerHeight})"
        )
        assert geometry["w"] <= geometry["iw"] + 2 and geometry["h"] <= geometry["ih"] + 2, geometry


@pytest.mark.browser
def test_language_switch_translates_without_reload(browser, live_server, shots_dir):
    with visit(browser, live_server + "/", shots_dir, "overview-zh") as v:
        assert "运行总览" in v.page.inner_text(".os-nav")
        assert "在办案件" in v.page.inner_text(".os-kpi-row")
        v.page.click("label:has-text('EN')")
        v.page.wait_for_function(
            "() => document.querySelector('.os-kpi-row')?.innerText.includes('Open cases')"
        )
        assert "Overview" in v.page.inner_text(".os-nav")
        assert v.page.evaluate("document.documentElement.lang") == "en"
        v.page.screenshot(path=str(shots_dir / "overview-en_1920x1080.png"))
        assert v.errors == []


@pytest.mark.browser
def test_theme_switch_sets_the_colour_mode(browser, live_server, shots_dir):
    with visit(browser, live_server + "/", shots_dir, "overview-wall") as v:
        assert v.page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
        v.page.click("#shell-theme .form-check:nth-child(2) label")
        v.page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'light'")
        v.page.screenshot(path=str(shots_dir / "overview-desk_1920x1080.png"))
        assert v.errors == []


@pytest.mark.browser
def test_check_now_reads_the_source_and_says_so(browser, live_server, shots_dir):
    with visit(browser, live_server + "/sources", shots_dir, "sources-check", locale="en-US") as v:
        v.page.click("button:has-text('Check now')")
        v.page.wait_for_selector("#sources-notice .alert")
        assert "Checked Park data store" in v.page.inner_text("#sources-notice")
        v.page.screenshot(path=str(shots_dir / "sources-checked_1920x1080.png"))
        assert v.errors == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "brand"), [("?lang=<script>", BRAND["zh-CN"]), ("?lang=en&lang=zh", BRAND["zh-CN"])]
)
def test_a_tampered_language_in_the_address_draws_the_page_in_a_known_language(
    browser, live_server, shots_dir, query, brand
):
    with visit(browser, live_server + "/" + query, shots_dir, "overview-tampered") as v:
        assert v.status == 200
        assert v.errors == []
        assert v.page.inner_text("#shell-brand") == brand
        assert "在办案件" in v.page.inner_text(".os-kpi-row")
