"""The Cases page's "Act before complaints" list (components/case_hotspots.py): findings in
words in both languages, links that carry the grid's own URL filters, the shown one marked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from apps import build_app
from sqlalchemy import select

from components.case_hotspots import finding_href, hotspot_panel, in_words
from domain.hotspots import COUNT, REPEAT, Finding
from security.scope import Scope
from services.case_query import CaseFilter
from store.case_rows import insert_case
from store.models import GridCell

START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
END = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def _finding(kind: str, observed: int, expected: float) -> Finding:
    return Finding(kind, "U017", "um.manhole_cover_damaged", observed, expected, 1e-6, 0.003, START, END,
                   ("a", "b"), radius_m=50.0 if kind == REPEAT else None)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "observed", "expected", "lang", "words"),
    [
        (COUNT, 12, 3.04, "en", "12 cases in 7 days where 3.0 are usual"),
        (COUNT, 12, 3.04, "zh", "7天内12件，平常约3.0件"),
        (COUNT, 5, 0.01, "en", "5 cases in 7 days where almost none are usual"),
        (COUNT, 40, 12.4, "zh", "7天内40件，平常约12件"),
        (REPEAT, 4, 0.07, "en", "4 cases within 50 m of one place in 7 days where 0.07 are usual"),
        (REPEAT, 4, 0.07, "zh", "7天内同一地点50米内4件，平常约0.07件"),
    ],
)
def test_a_finding_says_how_many_against_how_many_are_usual(kind, observed, expected, lang, words) -> None:
    assert in_words(_finding(kind, observed, expected), 7, lang) == words


def test_a_finding_links_to_the_grid_filtered_to_its_cell_type_and_days() -> None:
    href = finding_href(_finding(COUNT, 12, 3.0), ("2026-12-01", "2026-12-07"))
    parts = urlsplit(href)
    assert parts.path == "/cases"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"grid_cell": "U017", "case_type": "um.manhole_cover_damaged", "since": "2026-12-01",
                     "until": "2026-12-07"}  # fmt: skip
    # the page's own filter reads the link back without dropping anything
    f = CaseFilter.parse(query, {})
    assert f.grid_cell == ("U017",) and f.since == date(2026, 12, 1) and not f.dropped


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("hotspot-panel"), demo_cases=300, demo_live=False)
    engine = app.server.extensions["onescreen"].engine
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lon, lat = connection.execute(select(GridCell.lon, GridCell.lat).where(GridCell.id == "U017")).one()
        for i in range(7):
            insert_case(
                connection,
                {"id": f"HP{i}", "channel": "wechat", "domain": "urban_management",
                 "case_type": "um.manhole_cover_damaged", "grid_cell": "U017", "department": "urban_management",
                 "status": "reported", "reported_at": now - timedelta(hours=3 + 9 * i), "lon": lon, "lat": lat,
                 "version": 1, "reopen_count": 0},
            )  # fmt: skip
    return app


def _texts(component) -> list[str]:
    out: list[str] = []
    children = getattr(component, "children", component)
    for child in children if isinstance(children, list) else [children]:
        if isinstance(child, str):
            out.append(child)
        elif child is not None:
            out.extend(_texts(child))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_panel_lists_the_burst_with_its_cell_name_and_marks_the_one_shown(app, lang) -> None:
    shown = CaseFilter(grid_cell=("U017",), case_type=("um.manhole_cover_damaged",))
    with app.server.test_request_context():
        panel = hotspot_panel(Scope(None), shown, lang)
    text = " ".join(_texts(panel))
    title, name, kind = (
        ("未诉先办", "中华社区第17单元网格", "激增")
        if lang == "zh"
        else ("Act before complaints", "Zhonghua Community, Unit Cell 17", "Surge")
    )
    assert title in text and name in text and kind in text
    links = [c for c in panel.children[2].children if hasattr(c, "href")]
    burst = next(link for link in links if "grid_cell=U017" in link.href)
    assert "os-hotspot-shown" in burst.className
    assert "case_type=um.manhole_cover_damaged" in burst.href
