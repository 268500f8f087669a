"""Act before complaints in a real browser: a burst of reports from one spot shows in the Cases
page's list with its place and its counts in words, and a click lists exactly its cases in the
grid, the filters in the URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, select
from test_pages import visit

from store.models import Case, GridCell

TYPE = "um.manhole_cover_damaged"


def _burst(data_dir) -> tuple[str, str]:
    """Seven reports of one damaged cover in the live server's store; its cell and English name."""
    engine = create_engine(f"sqlite:///{data_dir / 'onescreen.sqlite'}")
    try:
        with engine.begin() as c:
            cell, name, lon, lat = c.execute(
                select(GridCell.id, GridCell.name_en, GridCell.lon, GridCell.lat)
                .where(GridCell.level == "unit")
                .order_by(GridCell.id.desc())
                .limit(1)
            ).one()
            now = datetime.now(UTC)
            c.execute(
                insert(Case.__table__),
                [
                    {"id": f"HOTSPOT{i:03d}", "channel": "hotline_12345", "domain": "urban_management",
                     "case_type": TYPE, "grid_cell": cell, "department": "urban_management", "status": "reported",
                     "reported_at": now - timedelta(hours=2 + 11 * i), "status_at": now, "lon": lon, "lat": lat,
                     "address": "near 8 Zhonghua Street", "version": 1, "reopen_count": 0}
                    for i in range(7)
                ],
            )  # fmt: skip
    finally:
        engine.dispose()
    return cell, name


@pytest.mark.browser
def test_a_burst_is_listed_in_words_and_a_click_lists_its_cases(
    browser, live_server, live_data_dir, shots_dir
):
    cell, name = _burst(live_data_dir)
    with visit(browser, live_server + "/cases", shots_dir, "cases-hotspots", locale="en-US", user="duty",
               ready=".os-hotspots") as v:  # fmt: skip
        page = v.page
        finding = page.locator(".os-hotspot", has_text=name).filter(has_text="Surge").first
        finding.wait_for()
        text = finding.inner_text()
        assert "Damaged manhole cover" in text
        assert re.search(r"7 cases in 7 days where (almost none|[\d.<]+) (are|is) usual", text), text
        finding.click()
        page.wait_for_url(re.compile(rf"grid_cell={cell}"))
        assert f"case_type={TYPE}" in page.url and "since=" in page.url and "until=" in page.url
        page.wait_for_selector(".os-hotspot-shown")
        page.wait_for_selector(
            "#cases-count:text-is('7 cases')"
        )  # not wait_for_function: the CSP refuses eval
        ids = page.locator(".os-cases-grid .ag-row [col-id='id']").all_inner_texts()
        assert sorted(ids) == [f"HOTSPOT{i:03d}" for i in range(7)]
        page.screenshot(path=str(shots_dir / "cases-hotspots-clicked_1920x1080.png"))
        assert v.errors == [] and v.offsite == []
