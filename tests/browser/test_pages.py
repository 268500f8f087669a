"""Every page in a real browser: answers, draws without console errors, asks nothing of any
origin but the app's own, fits the screen, and speaks both languages."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

PAGES = ["/", "/alerts", "/cases", "/sources", "/admin/audit", "/admin/access"]
# the demo user each page is opened as in the size-and-language test: one allowed to see it
OPENED_AS = {
    "/": "leader",
    "/alerts": "duty",
    "/cases": "duty",
    "/sources": "leader",
    "/admin/audit": "admin",
    "/admin/access": "admin",
}
# what each role may open (the server's answer is checked in tests/unit/test_access_matrix.py)
# (the enterprise and policy pages are under the chains' entry: components/economy_nav.py)
ROLE_PAGES = {
    "viewer": ["/", "/map", "/chains"],
    "dept-head": ["/", "/alerts", "/kpis", "/cases", "/map", "/chains"],
    "duty": ["/", "/alerts", "/kpis", "/cases", "/sources", "/map", "/chains"],
    "leader": ["/", "/alerts", "/kpis", "/cases", "/sources", "/map", "/chains"],
    "admin": ["/", "/sources", "/admin/audit", "/map", "/chains"],
}
# the administration pages share one entry (its first page); tabs on each lead to the others
ADMIN_TABS = ["/admin/audit", "/admin/access", "/admin/embeds", "/admin/screens"]
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


def sign_in(page, url, user):
    """Sign in as a demo user with the sign-in page's one-click button (embedded profile)."""
    parts = urlparse(url)
    page.goto(f"{parts.scheme}://{parts.netloc}/login", wait_until="load")
    with page.expect_navigation():
        page.click(f"button[name=username][value='{user}']")


@contextmanager
def visit(
    browser,
    url,
    shots_dir,
    name,
    size=(1920, 1080),
    locale="zh-CN",
    user="leader",
    ready=".os-header",
    clock=False,
):
    """Open `url` in a fresh context as the demo user `user` (None: anonymous), recording
    console errors and off-origin requests, and keep a screenshot of it as first drawn. With
    `clock`, the page's timers run on Playwright's clock (page.clock.run_for moves them on)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    try:
        page = context.new_page()
        if clock:
            page.clock.install()
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
        if user:
            sign_in(page, url, user)
        response = page.goto(url, wait_until="networkidle")
        page.wait_for_selector(ready)
        page.screenshot(path=str(shots_dir / f"{name}_{size[0]}x{size[1]}.png"))
        yield Visit(page, response.status, errors, offsite)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", list(BRAND))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean_and_fits(browser, live_server, shots_dir, path, size, locale):
    name = f"{path.strip('/').replace('/', '-') or 'overview'}-{locale}"
    with visit(browser, live_server + path, shots_dir, name, size, locale, user=OPENED_AS[path]) as v:
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
        v.page.wait_for_function("() => document.querySelector('#shell-clock').innerText.includes('周')")
        assert re.fullmatch(r"\d{4}/\d{2}/\d{2}周. \d{2}:\d{2}:\d{2}", v.page.inner_text("#shell-clock"))
        assert "在办案件" in v.page.inner_text(".os-kpi-row")
        v.page.click("label:has-text('EN')")
        v.page.wait_for_function(
            "() => document.querySelector('.os-kpi-row')?.innerText.includes('Open cases')"
        )
        assert "Overview" in v.page.inner_text(".os-nav")
        assert v.page.evaluate("document.documentElement.lang") == "en"
        # the clock spells the month in English ("Sun 6 Dec 2026"), never "06/12/2026"
        v.page.wait_for_function(
            "() => /[A-Z][a-z]{2}/.test(document.querySelector('#shell-clock').innerText)"
        )
        assert re.fullmatch(
            r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}", v.page.inner_text("#shell-clock")
        )
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
    with visit(
        browser, live_server + "/sources", shots_dir, "sources-check", locale="en-US", user="admin"
    ) as v:
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


@pytest.mark.browser
@pytest.mark.parametrize("user", list(ROLE_PAGES))
def test_each_role_sees_its_pages_and_only_those(browser, live_server, shots_dir, user):
    """One signed-in window per role, its pages opened in turn (as a person clicks through):
    signing in afresh for every page tripled this test's time and tested nothing more."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = context.new_page()
        errors: list[str] = []
        offsite: list[str] = []
        origin = urlparse(live_server).netloc
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request", lambda r: offsite.append(r.url) if urlparse(r.url).netloc not in (origin, "") else None
        )
        sign_in(page, live_server, user)
        for path in ROLE_PAGES[user]:
            errors.clear()
            offsite.clear()
            response = page.goto(live_server + path, wait_until="networkidle")
            page.wait_for_selector(".os-header")
            name = f"role-{user}-{path.strip('/').replace('/', '-') or 'overview'}"
            page.screenshot(path=str(shots_dir / f"{name}_1920x1080.png"))
            assert response.status == 200, path
            assert errors == [] and offsite == [], (path, errors, offsite)
            links = page.eval_on_selector_all(".os-nav a", "els => els.map(e => e.getAttribute('href'))")
            assert sorted(links) == sorted(ROLE_PAGES[user])
            if path == "/admin/audit":
                tabs = page.eval_on_selector_all(
                    ".os-economy-tabs a", "els => els.map(e => e.getAttribute('href'))"
                )
                assert sorted(tabs) == sorted(ADMIN_TABS)
            assert page.inner_text("#shell-user .os-user-name")  # who is signed in
    finally:
        context.close()


@pytest.mark.browser
def test_a_page_the_role_may_not_open_answers_403(browser, live_server, shots_dir):
    with visit(
        browser, live_server + "/admin/audit", shots_dir, "forbidden-viewer", user="viewer", ready="h1"
    ) as v:
        assert v.status == 403
        assert "没有权限" in v.page.inner_text("body")


@pytest.mark.browser
def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(browser, live_server, shots_dir):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server + "/sources", wait_until="load")
        assert urlparse(page.url).path == "/login"
        page.screenshot(path=str(shots_dir / "login_1920x1080.png"))
        with page.expect_navigation():
            page.click("button[name=username][value='duty']")
        page.wait_for_selector("#sources-body")
        assert urlparse(page.url).path == "/sources"
    finally:
        context.close()


@pytest.mark.browser
def test_an_expired_session_goes_to_sign_in_and_back(browser, live_server, shots_dir):
    with visit(browser, live_server + "/sources", shots_dir, "expiry", user="leader") as v:
        v.page.context.clear_cookies()  # the session ends while the page is open
        v.page.click("label:has-text('EN')")  # the next callback is refused with 401
        v.page.wait_for_url("**/login?expired=1**")
        assert "session has ended" in v.page.inner_text("body") or "会话已结束" in v.page.inner_text("body")
        v.page.screenshot(path=str(shots_dir / "login-expired_1920x1080.png"))
        with v.page.expect_navigation():
            v.page.click("button[name=username][value='leader']")
        v.page.wait_for_selector("#sources-body")
        assert urlparse(v.page.url).path == "/sources"
        assert [e for e in v.errors if "401" not in e] == []


@pytest.mark.browser
def test_signing_out_ends_the_session(browser, live_server, shots_dir):
    with visit(browser, live_server + "/", shots_dir, "signout", user="viewer") as v:
        with v.page.expect_navigation():
            v.page.click(".os-signout button")
        assert urlparse(v.page.url).path == "/login"
        v.page.goto(live_server + "/")
        assert urlparse(v.page.url).path == "/login"
