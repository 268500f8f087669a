"""The industry chain in a real browser: the chains page draws cleanly and fits at 1920×1080 and
3840×2160 in both languages with no word under 18 px on the wall theme; a tap on a link in the
graph (a canvas: the click lands on the drawn node) opens the link beside it, and the
browser's back goes back to the targets."""

from __future__ import annotations

import pytest
from test_pages import visit
from test_wall_text import SMALLEST

NODE_AT = """(link) => {
  const box = document.querySelector('#chains-graph');
  const holder = [box, ...box.querySelectorAll('div')].find(e => e._cyreg && e._cyreg.cy);
  const cy = holder._cyreg.cy;
  const rect = holder.getBoundingClientRect();
  const at = cy.getElementById(link).renderedPosition();
  return {x: rect.left + at.x, y: rect.top + at.y};
}"""
FITS = (
    "() => document.documentElement.scrollWidth <= innerWidth + 2"
    " && document.documentElement.scrollHeight <= innerHeight + 2"
)


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_chains_page_draws_cleanly_fits_and_is_read_from_across_the_room(
    browser, live_server, shots_dir, size, locale
):
    url = live_server + "/chains?chain=electronic_information"
    with visit(browser, url, shots_dir, f"chains-{locale}", size, locale, ready="#chains-graph canvas") as v:
        assert v.status == 200
        assert v.errors == [] and v.offsite == []
        assert v.page.evaluate(FITS)
        assert v.page.evaluate(SMALLEST) == []
        assert v.page.locator(".os-chain-target").count() >= 3
        assert v.page.locator(".os-chain-tab").count() == 4


@pytest.mark.browser
def test_a_tap_on_a_link_opens_it_and_back_returns_to_the_targets(browser, live_server, shots_dir):
    url = live_server + "/chains?chain=biomedicine"
    with visit(browser, url, shots_dir, "chains-tap", locale="en-US", ready="#chains-graph canvas") as v:
        page = v.page
        page.wait_for_function("() => document.querySelector('#chains-graph canvas')")
        page.wait_for_timeout(300)  # the preset layout fits the graph once drawn
        at = page.evaluate(NODE_AT, "bio.tcm")
        page.mouse.click(at["x"], at["y"])
        page.wait_for_url("**/chains?chain=biomedicine&link=bio.tcm")
        page.wait_for_selector(".os-chain-link-head")
        assert "Modern traditional Chinese medicine" in page.inner_text(".os-chain-link-head")
        assert page.locator(".os-chain-firms a[href^='/enterprise?id=']").count() >= 5
        page.screenshot(path=str(shots_dir / "chains-tap-link_1920x1080.png"))
        page.go_back()
        page.wait_for_selector(".os-chain-targets")
        assert v.errors == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "ready"),
    [("/enterprise?id=ENT0005", ".os-ent-grid"), ("/policies?policy=hnte_small", ".os-policy-detail")],
)
@pytest.mark.parametrize(
    ("size", "locale"),
    [((1920, 1080), "zh-CN"), ((3840, 2160), "en-US")],
    ids=["1920x1080-zh", "3840x2160-en"],
)
def test_the_profile_and_policy_pages_draw_cleanly_and_fit(
    browser, live_server, shots_dir, path, ready, size, locale
):
    name = path.strip("/").split("?")[0]
    with visit(browser, live_server + path, shots_dir, f"{name}-{locale}", size, locale, ready=ready) as v:
        assert v.status == 200
        assert v.errors == [] and v.offsite == []
        assert v.page.evaluate(FITS)
        assert v.page.locator(".os-economy-tab.active").count() == 1
