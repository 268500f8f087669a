"""The admin pages under concurrent load (issue 8, defect 9): several pages open at once in both
languages and at both screen sizes, each watched frame by frame. None may be on screen
half-built — a grid without its column headers, a label without its control — and the
lazily loaded component code they draw with (dcc's dropdown and date picker, ag-grid's grid)
must arrive with the app's scripts, not be fetched only after the page's layout has arrived:
that late fetch is what left the labels alone on screen for seconds under load."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest

from locales import t

# (path, locale, size): both pages, both languages, both sizes, opened together
OPENED = [
    ("/admin/access", "zh-CN", (1920, 1080)),
    ("/admin/access", "en-US", (1920, 1080)),
    ("/admin/access", "zh-CN", (3840, 2160)),
    ("/admin/access", "en-US", (3840, 2160)),
    ("/admin/access", "zh-CN", (1920, 1080)),
    ("/admin/access", "en-US", (1920, 1080)),
    ("/admin/audit", "zh-CN", (1920, 1080)),
    ("/admin/audit", "en-US", (3840, 2160)),
]
# the first column header of each page's first grid, in each language
FIRST_HEADER = {"/admin/access": "access.col.username", "/admin/audit": "audit.col.time"}
LAZY_CODE = ("/async-dropdown.", "/async-datepicker.", "/async-community.")
WHOLE_WITHIN_S = 90

# Installed before any page script: at every animation frame (what a person can see), note
# whether an admin page is on screen while some part of it is missing.
WATCH = """(() => {
  const seen = {frames: 0, halfBuilt: 0, firstHalfBuilt: null};
  window.__osWatch = seen;
  const missing = (root) => {
    const gridsWithoutHeaders = [...root.querySelectorAll('.os-grid-box')].filter(box =>
      ![...box.querySelectorAll('.ag-header-cell-text')].some(e => e.textContent.trim())).length;
    const labelsWithoutControl = [...root.querySelectorAll('.os-field')].filter(f =>
      !f.querySelector(':scope > .os-field-label + *')).length;
    const filterBar = root.querySelector('.os-filter-bar');
    const filtersMissing = filterBar
      ? ['.os-filter-action', '.os-filter-outcome', '.os-filter-dates'].filter(s => !filterBar.querySelector(s)).length
      : 0;
    const grids = root.querySelectorAll('.os-grid-box').length;
    return (gridsWithoutHeaders || labelsWithoutControl || filtersMissing || !grids)
      ? {gridsWithoutHeaders, labelsWithoutControl, filtersMissing, grids} : null;
  };
  const frame = () => {
    const root = document.querySelector('.os-admin');
    if (root && root.getBoundingClientRect().height > 0 && getComputedStyle(root).visibility !== 'hidden') {
      seen.frames += 1;
      const gap = missing(root);
      if (gap) {
        seen.halfBuilt += 1;
        seen.firstHalfBuilt = seen.firstHalfBuilt || gap;
      }
      seen.whole = !gap;
    } else {
      seen.whole = false;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();"""


def _open(browser, base: str, path: str, locale: str, size: tuple[int, int]):
    """A signed-in admin's page on its way to `path` (the sign-in page sends it there), not
    waited for: the next one opens while this one is still loading."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    context.add_init_script(WATCH)
    page = context.new_page()
    record = {"errors": [], "requests": []}
    page.on("console", lambda m: record["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: record["errors"].append(str(e)))
    page.on("request", lambda r: record["requests"].append(urlparse(r.url).path))
    page.goto(base + path, wait_until="load")  # anonymous: the sign-in page, with next=path
    page.click("button[name=username][value='admin']", no_wait_after=True)
    return context, page, record


@pytest.mark.browser
def test_admin_pages_are_never_shown_half_built_under_concurrent_load(browser, live_server, shots_dir):
    opened = [
        (path, locale, size, *_open(browser, live_server, path, locale, size))
        for path, locale, size in OPENED
    ]
    try:
        deadline = time.monotonic() + WHOLE_WITHIN_S
        for path, locale, size, _context, page, _record in opened:
            remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
            page.wait_for_function("() => window.__osWatch && window.__osWatch.whole", timeout=remaining_ms)
            name = f"under-load{path.replace('/', '-')}-{locale}_{size[0]}x{size[1]}.png"
            page.screenshot(path=str(shots_dir / name))
        problems = []
        for path, locale, size, _context, page, record in opened:
            where = f"{path} {locale} {size[0]}x{size[1]}"
            watched = page.evaluate("() => window.__osWatch")
            if watched["halfBuilt"]:
                problems.append(f"{where}: on screen half-built in {watched}")
            if urlparse(page.url).path != path:
                problems.append(f"{where}: ended at {page.url}")
            lang = "zh" if locale.startswith("zh") else "en"
            headers = page.eval_on_selector_all(
                ".os-grid-box .ag-header-cell-text", "els => els.map(e => e.textContent)"
            )
            if t(FIRST_HEADER[path], lang) not in headers:
                problems.append(f"{where}: grid headers {headers}")
            # every label of the page stands beside its control
            fields = page.eval_on_selector_all(
                ".os-field", "els => els.map(f => [f.querySelector('label').textContent, f.children.length])"
            )
            if not all(count == 2 for _label, count in fields):
                problems.append(f"{where}: fields {fields}")
            # the lazily loaded code came with the app's scripts, before the page asked for its layout
            requests = record["requests"]
            layout_at = requests.index("/_dash-layout") if "/_dash-layout" in requests else 0
            late = [r for r in requests[layout_at:] if any(code in r for code in LAZY_CODE)]
            if late:
                problems.append(f"{where}: component code fetched after the layout: {late}")
            if record["errors"]:
                problems.append(f"{where}: console errors {record['errors']}")
        assert problems == []
    finally:
        for *_described, context, _page, _record in opened:
            context.close()
