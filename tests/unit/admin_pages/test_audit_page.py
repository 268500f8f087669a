"""The audit page over HTTP: its filter narrows the log by action, outcome, actor and park days
(as the API's does), and its export is a CSV with a byte order mark, audited, written and capped
as the API's export is."""

from __future__ import annotations

import csv
import io
import json

from admin_calls import answer, audit_rows, engine_of, post, text_of


def test_the_audit_filter_narrows_by_action_outcome_and_actor(app, admin):
    rows = audit_rows(app, admin, actions=["login.success"], actor="ADM")
    assert rows and all(r["action"] == "Signed in" and r["actor"] == "admin" for r in rows)
    assert all(r["outcome_code"] == "denied" for r in audit_rows(app, admin, outcome="denied"))
    got = answer(post(app, admin, "on_filter", {"audit-action.value": ["login.success"]},
                      "audit-action.value"))  # fmt: skip
    assert got["audit-summary"]["children"].startswith(f"Showing {len(got['audit-grid']['rowData'])} of")
    assert audit_rows(app, admin, start="2001-01-01", end="2001-01-31") == []


def test_the_export_is_a_csv_with_a_bom_and_is_audited(app, admin):
    values = {"audit-export.n_clicks": 1, "audit-action.value": ["login.success"]}
    got = answer(post(app, admin, "on_export", values, "audit-export.n_clicks"))
    download = got["audit-download"]["data"]
    assert download["filename"].endswith(".csv") and download["content"].startswith("\ufeff")
    table = list(csv.reader(io.StringIO(download["content"][1:])))
    assert table[0][:3] == ["Time", "Actor", "Action"] and len(table) > 1
    assert {row[2] for row in table[1:]} == {"login.success"}
    exported = audit_rows(app, admin, actions=["export"], target="audit")
    assert exported and f"Rows exported: {len(table) - 1}" in exported[0]["detail"]  # the grid's words
    assert f"Rows matched: {len(table) - 1}" in exported[0]["detail"]
    assert "Actions: Signed in" in exported[0]["detail"]
    details = [json.loads(row[8]) for row in table[1:] if row[8]]  # the download's detail is JSON
    assert {"demo": True} in details and table[0][8] == "Detail"


def _last_export(app) -> dict:
    from security import audit

    rows = audit.query(engine_of(app), audit.AuditFilter(actions=("export",), target="audit"), limit=1)
    return rows.iloc[0]["detail"]


def test_the_page_and_the_api_export_alike(app, admin, monkeypatch):
    """One writer, one cap, one audit detail for both downloads of the audit log."""
    from security import audit
    from services import audit_log

    for name in ('=HYPERLINK("http://evil")', "-2+3", "@SUM(A1)"):  # what a visitor may type at sign-in
        audit.record(
            engine_of(app),
            "login.failure",
            actor=name,
            outcome="failed",
            target="user:probe-export",
            detail={"reason": "unknown"},
        )
    monkeypatch.setattr(audit_log, "EXPORT_CAP", 2)
    values = {
        "audit-export.n_clicks": 1,
        "audit-action.value": ["login.failure"],
        "audit-outcome.value": "failed",
        "audit-target.value": "probe-export",
    }
    got = answer(post(app, admin, "on_export", values, "audit-export.n_clicks"))
    page_rows = list(csv.reader(io.StringIO(got["audit-download"]["data"]["content"][1:])))[1:]
    assert "3 entries match" in text_of(got["audit-notice"]["children"])  # it says it was cut
    page_detail = _last_export(app)
    response = admin[0].get(
        "/api/v1/audit/export.csv?action=login.failure&outcome=failed&target=probe-export"
    )
    api_rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    api_detail = _last_export(app)
    assert len(page_rows) == len(api_rows) == 2  # the same cap
    assert response.headers["X-Export-Truncated"] == "2 of 3 rows"
    expected = {
        "rows": 2,
        "matched": 3,
        "actions": ["login.failure"],
        "outcome": "failed",
        "target": "probe-export",
    }
    assert page_detail == api_detail == expected
    # formula-like text is quoted by both (the newest first: @SUM, then -2+3)
    assert [row[1] for row in page_rows] == [r["actor"] for r in api_rows] == ["'@SUM(A1)", "'-2+3"]


def test_one_formula_rule_for_every_csv_download():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    defined = [
        str(path.relative_to(root))
        for folder in ("api", "components", "pages", "services")
        for path in (root / folder).glob("*.py")
        if "FORMULA_START = " in path.read_text(encoding="utf-8")
    ]
    assert defined == ["services/export.py"]


def test_the_audit_page_filters_by_park_days_as_the_api_does(app):
    from datetime import date

    from components.admin_audit import parse_filter
    from services import audit_log

    with app.server.app_context():
        from services.context import get_services

        zone = get_services().settings.zone
    page = parse_filter(["logout", "logout"], "ok", " admin ", None, "2026-03-01", "2026-03-01", zone)
    api = audit_log.build_filter(
        zone=zone,
        actions=["logout"],
        outcome="ok",
        actor="admin",
        since=date(2026, 3, 1),
        until=date(2026, 3, 2),
    )
    assert page == api
    assert page.since.isoformat() == "2026-02-28T16:00:00+00:00"  # the park's midnight (UTC+8)
    assert page.until.isoformat() == "2026-03-01T16:00:00+00:00"  # the end day is included
