"""The audit log at 1920×1080 in a real browser (issue 8, defect 11): its details read as words,
not JSON, and no cell cuts its text off, not even the longest details the app writes (an
export's filters, a refused case step's reason, a list of another department's cases)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from test_pages import visit

from security import audit

LONG_DETAILS = [
    ("export", "cases", {"rows": 1234, "matched": 1234, "department": None,
                         "status": ["reported", "accepted", "dispatched"], "channel": ["hotline_12345", "wechat"],
                         "overdue": True, "since": "2026-11-30T16:00:00+00:00", "until": "2026-12-05T16:00:00+00:00"}),
    ("export", "audit", {"rows": 1000, "matched": 5321, "actions": ["login.success", "login.failure", "user.roles"],
                         "outcome": "denied", "actor": "adm", "target": "user:"}),
    ("scope.denied", "cases", {"own": "urban_management", "count": 6,
                               "cases": [f"20261206000{n:02d}" for n in range(1, 7)]}),
    ("case.change", "case:2026120600044", {"action": "close", "refused": "stale",
                                           "why": "case 2026120600044 changed since you read it (version 3, now 4): "
                                                  "look at its new state and try again"}),
]  # fmt: skip
# a cell's text is cut off when its box is narrower or lower than what it holds
CUT_CELLS = """() => [...document.querySelectorAll('.ag-cell, .ag-header-cell-text')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
  .map(e => (e.getAttribute('col-id') || 'header') + ': ' + e.innerText.slice(0, 80))"""


def _record(data_dir) -> None:
    engine = create_engine(f"sqlite:///{data_dir / 'onescreen.sqlite'}")
    try:
        for action, target, detail in LONG_DETAILS:
            audit.record(
                engine,
                action,
                actor="cells-probe",
                target=target,
                detail=detail,
                ip="2001:db8::8a2e:370:7334",
            )
    finally:
        engine.dispose()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_no_audit_cell_is_cut_off_at_1920(browser, live_server, live_data_dir, shots_dir, locale):
    _record(live_data_dir)
    url = f"{live_server}/admin/audit?lang={locale[:2]}"
    with visit(
        browser, url, shots_dir, f"audit-cells-{locale}", locale=locale, user="admin", ready=".ag-row"
    ) as v:
        v.page.wait_for_timeout(500)  # autoHeight rows are measured after they are drawn
        assert v.page.evaluate(CUT_CELLS) == []
        text = v.page.inner_text(".os-grid")
        assert '{"' not in text  # no raw JSON
        assert ("Rows exported: 1,234" if locale == "en-US" else "导出行数: 1,234") in text
