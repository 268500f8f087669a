"""Every page in a real browser: answers, draws without console errors, asks nothing of any
origin but the app's own, fits the screen, and speaks both languages."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

PAGES = ["/", "/sources"]
SIZES = [(1920, 1080), (3840, 2160)]


def open_page(browser, url, size, shots_dir, name, locale="zh-CN"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = context.new_page()
    errors, offsite = [], []
    origin = urlparse(url).netloc
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            offsite.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != origin
            else None
        ),
    )
    response = page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".os-header")
    page.screenshot(path=str(shots_dir / f"{name}_{size[0]}x{size[1]}.png"))
    return context, page, response, errors, offsite


# document.fonts.check() is true for a family that is not in the font set at all, so ask
# whether a face of the app's own font was actually loaded.
FONT_LOADED = """() => [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Noto Sans SC' && f.status === 'loaded')"""
BRAND = {"zh-CN": "园区运行一网统管", "en-US": "Park Operations OneScreen"}


@pytest.mark.browser
@pytest.mark.parametrize("locale", list(BRAND))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean_and_fits(browser, live_server, shots_dir, path, size, locale):
    name = f"{path.strip('/') or 'overview'}-{locale}"
    context, page, response, errors, offsite = open_page(
        browser, live_server + path, size, shots_dir, name, locale
    )
    try:
        assert response.status == 200
        assert errors == []
        assert offsite == []
        assert page.inner_text("#shell-brand") == BRAND[locale]
        # the app's own Chinese font is used, so no screen depends on a system font
        assert page.evaluate(FONT_LOADED)
        geometry = page.evaluate(
            "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
            " iw: innerWidth, ih: innerHeight})"
        )
        assert geometry["w"] <= geometry["iw"] + 2 and geometry["h"] <= geometry["ih"] + 2, geometry
    finally:
        context.close()


@pytest.mark.browser
def test_language_switch_translates_without_reload(browser, live_server, shots_dir):
    context, page, _, errors, _ = open_page(
        browser, live_server + "/", (1920, 1080), shots_dir, "overview-zh"
    )
    try:
        assert "运行总览" in page.inner_text(".os-nav")
        assert "在办案件" in page.inner_text(".os-kpi-row")
        page.click("label:has-text('EN')")
        page.wait_for_function(
            "() => document.querySelector('.os-kpi-row')?.innerText.includes('Open cases')"
        )
        assert "Overview" in page.inner_text(".os-nav")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.screenshot(path=str(shots_dir / "overview-en_1920x1080.png"))
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_theme_switch_sets_the_colour_mode(browser, live_server, shots_dir):
    context, page, _, errors, _ = open_page(
        browser, live_server + "/", (1920, 1080), shots_dir, "overview-wall"
    )
    try:
        assert page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
        page.click("#shell-theme .form-check:nth-child(2) label")
        page.wait_for_function("() => document.documentElement.dataset.bsTheme === 'light'")
        page.screenshot(path=str(shots_dir / "overview-desk_1920x1080.png"))
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_check_now_reads_the_source_and_says_so(browser, live_server, shots_dir):
    context, page, _, errors, _ = open_page(
        browser, live_server + "/sources", (1920, 1080), shots_dir, "sources-check", "en-US"
    )
    try:
        page.click("button:has-text('Check now')")
        page.wait_for_selector("#sources-notice .alert")
        assert "Checked Park data store" in page.inner_text("#sources-notice")
        page.screenshot(path=str(shots_dir / "sources-checked_1920x1080.png"))
        assert errors == []
    finally:
        context.close()
