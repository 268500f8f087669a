"""A duty officer walks a hotline case from reported to closed on the Cases page in a real
browser: each step from its button through its dialog, the page showing the new state at once;
then the case's timeline and the audit log hold every step, with who took it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, select
from test_pages import visit

from store.models import Case, CaseEvent

# the steps of the closed loop in order, as the English page names their buttons and results
WALK = [
    ("Accept", "Accepted"),
    ("Dispatch", "Dispatched"),
    ("Start handling", "In progress"),
    ("Mark handled", "Handled"),
    ("Verify", "Verified"),
    ("Close", "Closed"),
]


def _report(data_dir) -> str:
    """A resident's hotline call, as the hotline system would hand it over: a new reported case
    in the live server's store (copied from one of the park's hotline cases, so it is real)."""
    engine = create_engine(f"sqlite:///{data_dir / 'onescreen.sqlite'}")
    try:
        with engine.begin() as c:
            template = c.execute(select(Case.__table__).where(Case.channel == "hotline_12345").limit(1)).one()
            now = datetime.now(UTC) - timedelta(minutes=5)
            row = {k: v for k, v in template._mapping.items() if k != "pk"}
            row.update(id="WALK000001", status="reported", reported_at=now, status_at=now, version=1, reopen_count=0,
                       sla_deadline=now + timedelta(days=3), satisfaction=None,
                       **dict.fromkeys(("accepted_at", "dispatched_at", "in_progress_at", "handled_at",
                                        "verified_at", "closed_at")))  # fmt: skip
            c.execute(insert(Case.__table__).values(**row))
            c.execute(
                insert(CaseEvent.__table__).values(
                    case_id=row["id"], action="reported", actor="12345", at=now
                )
            )
    finally:
        engine.dispose()
    return "WALK000001"


@pytest.mark.browser
def test_a_duty_officer_walks_a_hotline_case_to_closed(browser, live_server, live_data_dir, shots_dir):
    case_id = _report(live_data_dir)
    url = live_server + "/cases?status=reported&channel=hotline_12345"
    with visit(
        browser, url, shots_dir, "cases-walk", locale="en-US", user="duty", ready=".ag-row .ag-cell"
    ) as v:
        page = v.page
        cell = page.locator(f".ag-row[row-id='{case_id}'] [col-id='id']")
        cell.click()
        page.wait_for_selector(f".os-case-id:text-is('{case_id}')")
        assert f"case={case_id}" in page.url  # the link opens the same case
        for button, status in WALK:
            page.locator(".os-case-actions button", has_text=button).first.click()
            page.wait_for_selector(".modal.show")
            if button == "Close":  # a hotline case closes with the reporter's score from the callback
                page.locator("#cases-step-satisfaction label", has_text="4").click()
            if button == "Verify":
                page.fill("#cases-step-note", "<b>checked on site</b>")
            page.click("#cases-step-confirm")
            page.wait_for_selector(".modal.show", state="detached")
            page.wait_for_selector(f".os-case-head .badge:text-is('{status}')")
            assert f"is now {status}" in page.locator("#cases-notice").inner_text()
        page.screenshot(path=str(shots_dir / "cases-walk-closed_1920x1080.png"))
        timeline = page.locator(".os-case-event").all_inner_texts()
        assert len(timeline) == 1 + len(WALK)
        assert sum("duty" in entry for entry in timeline) == len(WALK)
        assert any("<b>checked on site</b>" in entry for entry in timeline)  # a note is text, never markup
        steps = page.request.get(f"{live_server}/api/v1/cases/{case_id}/timeline").json()
        assert [e["action"] for e in steps["events"]][-len(WALK) :] == [
            "accept", "dispatch", "start", "handle", "verify", "close"
        ]  # fmt: skip
        assert v.errors == [] and v.offsite == []
    with visit(
        browser, live_server + "/", shots_dir, "cases-walk-audit", locale="en-US", user="admin"
    ) as admin:
        log = admin.page.request.get(
            f"{live_server}/api/v1/audit?action=case.change&target=case:{case_id}&limit=50"
        ).json()
    assert sorted(e["detail"]["action"] for e in log["items"] if e["outcome"] == "ok") == sorted(
        ["accept", "dispatch", "start", "handle", "verify", "close"]
    )
    assert {e["actor"] for e in log["items"]} == {"duty"}
