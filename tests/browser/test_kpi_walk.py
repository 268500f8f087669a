"""The KPI page in a real browser, in one page load: the cards fill in by section with their
status in words and a sparkline, a card opens its drill-down with a bar chart, a bar clicked
drills on with the URL following, and no request leaves the origin."""

from __future__ import annotations

import re

import pytest
from test_pages import visit

OPEN_CASES = '[id=\'{"kpi":"open_cases","type":"kpis-tile"}\']'


@pytest.mark.browser
def test_the_cards_render_and_a_card_and_a_bar_drill_down(browser, live_server, shots_dir):
    with visit(browser, live_server + "/kpis?range=month", shots_dir, "kpis", locale="en-US", user="leader",
               ready=".os-kpi-groups") as v:  # fmt: skip
        page = v.page
        page.wait_for_selector(".os-kpi-pending", state="detached", timeout=60_000)
        tiles = page.locator("a.os-kpi-tile")
        assert tiles.count() >= 20
        assert page.locator(".os-kpi-group-title").all_inner_texts() == [
            "Cases",
            "Alerts",
            "Sensors",
            "Economy",
        ]
        words = set(page.locator(".os-kpi-status").all_inner_texts())
        assert words and words <= {"On target", "Watch", "Off target"}
        assert page.locator(".os-kpi-spark .js-plotly-plot").count() >= 10
        page.screenshot(path=str(shots_dir / "kpis-cards_1920x1080.png"))

        page.locator(OPEN_CASES).click()
        page.wait_for_url(re.compile(r"/kpis\?kpi=open_cases&range=month$"))
        page.wait_for_selector("#kpis-split .bars .point path")
        assert "By department" in page.locator(".os-kpi-split h2").inner_text()
        first = page.locator(".os-kpi-row-name").first.inner_text()
        # the largest bar is drawn on top: plotly's last point
        page.locator("#kpis-split .bars .point path").last.click(force=True)
        page.wait_for_url(re.compile(r"kpi=open_cases&range=month&department=\w+"))
        page.wait_for_selector(".os-crumb:has-text('" + first.replace("'", "") + "')")
        page.wait_for_selector("#kpis-split .bars .point path")
        assert "By grid cell" in page.locator(".os-kpi-split h2").inner_text()
        page.screenshot(path=str(shots_dir / "kpis-drill_1920x1080.png"))
        assert v.errors == [] and v.offsite == []
