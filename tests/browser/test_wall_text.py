"""The Overview on the wall theme at 1920×1080 (issue 8, defect 6 and 1): no text below 18 CSS
px, the chart's tick labels included; counts start at zero; and when no new figure arrives (the
network dropped), the panels say they are not updating once their refresh is overdue."""

from __future__ import annotations

import pytest
from test_pages import visit

SMALLEST = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden" || style.display === "none") continue;
    if (el.closest(".hoverlayer, .modebar, .Select-menu-outer, .dash-dropdown-menu")) continue;
    const size = parseFloat(style.fontSize);
    if (size < 18) small.push(`${size}px ${el.tagName}.${el.className.baseVal ?? el.className}: ${node.textContent.trim().slice(0, 40)}`);
  }
  return small;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_nothing_on_the_wall_overview_is_smaller_than_18px(browser, live_server, shots_dir, locale):
    with visit(browser, live_server + "/", shots_dir, f"wall-text-{locale}", locale=locale) as v:
        v.page.wait_for_selector(".os-graph .main-svg")
        assert v.page.evaluate("document.documentElement.classList.contains('os-wall')")
        assert v.page.evaluate(SMALLEST) == []
        # the trend's count axis starts at zero
        ticks = v.page.eval_on_selector_all(
            ".os-span-2 .ytick text", "els => els.map(e => Number(e.textContent.replace(/,/g, '')))"
        )
        assert ticks and min(ticks) == 0


@pytest.mark.browser
def test_panels_say_they_are_not_updating_when_no_new_figure_arrives(browser, live_server, shots_dir):
    with visit(browser, live_server + "/", shots_dir, "overview-late", locale="en-US", clock=True) as v:
        assert "read " in v.page.inner_text(".os-kpi-row")
        assert "no update since" not in v.page.inner_text(".os-kpi-row")
        v.page.context.set_offline(True)  # the network drops
        # past cache_timeout_s and two refreshes; twice, as an answer already on its way when
        # the network dropped may land in between and draw the panels anew
        for _ in range(2):
            v.page.clock.run_for(4 * 60 * 1000)
            v.page.wait_for_timeout(500)
        v.page.wait_for_function(
            "() => document.querySelectorAll('.os-kpi-row .os-read-at.os-late').length > 0"
        )
        cards = v.page.inner_text(".os-kpi-row")
        assert "no update since" in cards
        assert "no update since" in v.page.inner_text(".os-panel-grid .os-panel-source")
        v.page.screenshot(path=str(shots_dir / "overview-late_1920x1080.png"))
