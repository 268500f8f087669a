"""The admin pages over HTTP, the way the browser drives them: each callback is posted to
/_dash-update-component with the body Dash's renderer sends and the session's CSRF token.
An administrator creates users and issues and revokes tokens, every change lands in the audit
log, the audit page filters and exports it; tampered values get a message, never an error;
other roles are refused."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from signin import signed_in

from app import build_dash
from config.settings import load_settings

STRONG = "Harbour-lights-42"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
            patch.delenv(key)
        yield build_dash(load_settings(data_dir=tmp_path_factory.mktemp("admin"), demo_cases=300))


@pytest.fixture(scope="module")
def admin(app):
    return signed_in(app, "admin")


def callback_key(app, name: str) -> str:
    """The callback_map key (the body's "output") of the callback function `name`."""
    keys = [k for k, v in app.callback_map.items() if getattr(v.get("callback"), "__name__", "") == name]
    assert len(keys) == 1, (name, keys)
    return keys[0]


def _outputs(key: str):
    def spec(text: str) -> dict:
        component, prop = text.rsplit(".", 1)
        return {"id": component, "property": prop.split("@")[0]}

    if key.startswith(".."):
        return [spec(part) for part in key[2:-2].split("...")]
    return spec(key)


def dash_body(app, name: str, values: dict, changed: list[str]) -> dict:
    """The request body of callback `name`; `values` maps "id.property" to what the browser holds."""
    key = callback_key(app, name)
    entry = app.callback_map[key]

    def items(specs):
        out = []
        for s in specs:
            item = {"id": s["id"], "property": s["property"]}
            if f"{s['id']}.{s['property']}" in values:
                item["value"] = values[f"{s['id']}.{s['property']}"]
            out.append(item)
        return out

    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": items(entry["inputs"]),
        "state": items(entry["state"]),
        "changedPropIds": changed,
    }


def post(app, session, name: str, values: dict, changed: list[str]):
    client, csrf = session
    body = dash_body(app, name, {"shell-lang.value": "en", **values}, changed)
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response.get_json()["response"]


def text_of(value) -> str:
    """All the text of a component tree (as Dash sends it) in one string."""
    if isinstance(value, dict):
        return " ".join(text_of(v) for k, v in value.items() if k in ("props", "children"))
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    return "" if value is None else str(value)


def component(tree, component_id: str) -> dict | None:
    """The component `component_id` in a layout as Dash sends it (to_plotly_json)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        children = tree.get("props", {}).get("children")
        return component(children, component_id) if children is not None else None
    if isinstance(tree, list):
        return next((found for item in tree if (found := component(item, component_id))), None)
    return None


def audit_rows(app, session, **values) -> list[dict]:
    names = {"actions": "audit-action.value", "outcome": "audit-outcome.value", "actor": "audit-actor.value",
             "target": "audit-target.value", "start": "audit-dates.start_date", "end": "audit-dates.end_date"}  # fmt: skip
    sent = {names[k]: v for k, v in values.items()}
    got = answer(post(app, session, "on_filter", sent, [next(iter(sent), "audit-refresh.n_clicks")]))
    return got["audit-grid"]["rowData"]


def create(app, session, username, password=STRONG, confirm=None, roles=("viewer",), department=None):
    values = {
        "access-create.n_clicks": 1,
        "access-new-username.value": username,
        "access-new-display.value": f"Tester {username}",
        "access-new-roles.value": list(roles),
        "access-new-dept.value": department,
        "access-new-password.value": password,
        "access-new-confirm.value": password if confirm is None else confirm,
    }
    return post(app, session, "on_create", values, ["access-create.n_clicks"])


def test_the_pages_answer_only_those_who_may_see_them(app, admin):
    assert admin[0].get("/admin/audit").status_code == 200
    assert admin[0].get("/admin/access").status_code == 200
    leader, _ = signed_in(app, "leader")
    assert leader.get("/admin/audit").status_code == 403
    assert leader.get("/admin/access").status_code == 403


def test_the_layouts_draw_in_both_languages(app):
    from pages import admin_access, admin_audit

    with app.server.test_request_context():
        for lang, words in (("en", ("Audit log", "API tokens")), ("zh", ("审计日志", "API 令牌"))):
            text = json.dumps([admin_audit.layout(lang), admin_access.layout(lang)],
                              default=lambda c: c.to_plotly_json(), ensure_ascii=False)  # fmt: skip
            assert words[0] in text and words[1] in text


def test_admin_creates_a_user_and_the_audit_log_says_so(app, admin):
    got = answer(create(app, admin, "ops.wang", roles=["duty_officer"]))
    assert "ops.wang" in [row["username"] for row in got["access-users"]["rowData"]]
    assert "Created user ops.wang" in text_of(got["access-notice"]["children"])
    assert got["access-new-password"]["value"] == ""  # the form is cleared
    rows = audit_rows(app, admin, actions=["user.create"])
    mine = [r for r in rows if r["target"] == "user:ops.wang"]
    assert mine and mine[0]["actor"] == "admin" and mine[0]["outcome_code"] == "ok"
    assert '"roles":"duty_officer"' in mine[0]["detail"]
    assert all(r["action"] == "User created" for r in rows)


def test_a_weak_or_mistyped_password_is_refused_and_the_form_kept(app, admin):
    got = answer(create(app, admin, "ops.li", password="short"))
    notice = text_of(got["access-notice"]["children"])
    assert "Could not save the user:" in notice and "at least 10 characters" in notice
    assert set(got) == {"access-notice"}  # nothing typed is lost
    got = answer(create(app, admin, "ops.li", confirm=STRONG + "!"))
    assert "do not match" in text_of(got["access-notice"]["children"])
    got = answer(create(app, admin, "ops.li", roles=["department_head"]))
    assert "needs a department" in text_of(got["access-notice"]["children"])
    with app.server.app_context():
        from security import users
        from services.context import get_services

        assert users.find(get_services().engine, "ops.li") is None


def test_an_admin_cannot_demote_or_disable_themselves(app, admin):
    selected = {"access-users.selectedRows": [{"username": "admin"}]}
    got = answer(post(app, admin, "on_user_action",
                      {**selected, "access-save-roles.n_clicks": 1, "access-edit-roles.value": ["viewer"]},
                      ["access-save-roles.n_clicks"]))  # fmt: skip
    assert "own administrator role" in text_of(got["access-notice"]["children"])
    got = answer(post(app, admin, "on_user_action", {**selected, "access-disable.n_clicks": 1},
                      ["access-disable.n_clicks"]))  # fmt: skip
    assert "cannot disable yourself" in text_of(got["access-notice"]["children"])


def test_changes_to_another_user_are_made_and_audited(app, admin):
    answer(create(app, admin, "ops.zhao"))
    selected = {"access-users.selectedRows": [{"username": "ops.zhao"}]}
    got = answer(post(app, admin, "on_select", selected, ["access-users.selectedRows"]))
    assert got["access-edit-roles"]["value"] == ["viewer"]
    got = answer(post(app, admin, "on_user_action", {**selected, "access-disable.n_clicks": 1},
                      ["access-disable.n_clicks"]))  # fmt: skip
    row = next(r for r in got["access-users"]["rowData"] if r["username"] == "ops.zhao")
    assert row["disabled"] == "Yes"
    values = {**selected, "access-reset-password.n_clicks": 1, "access-edit-password.value": "Another-pass-77",
              "access-edit-confirm.value": "Another-pass-77"}  # fmt: skip
    got = answer(post(app, admin, "on_user_action", values, ["access-reset-password.n_clicks"]))
    assert got["access-edit-password"]["value"] == ""
    actions = {r["action"] for r in audit_rows(app, admin, target="user:ops.zhao")}
    assert {"User created", "User disabled", "Password set"} <= actions


def test_a_token_is_shown_once_and_can_be_revoked(app, admin):
    values = {
        "access-issue.n_clicks": 1,
        "access-token-client.value": "city-portal",
        "access-token-role.value": "department_head",
        "access-token-dept.value": "urban_management",
        "access-token-days.value": 30,
    }
    got = answer(post(app, admin, "on_issue", values, ["access-issue.n_clicks"]))
    shown = text_of(got["access-token-box"]["children"])
    token = next(word for word in shown.split() if word.startswith("os_"))
    assert "cannot be shown again" in shown
    rows = got["access-tokens"]["rowData"]
    assert token not in str(rows)  # the table has its prefix only
    pk = next(r["id"] for r in rows if r["client"] == "city-portal")
    issued = audit_rows(app, admin, actions=["token.issue"], target=f"token:{pk}")
    assert len(issued) == 1 and '"client":"city-portal"' in issued[0]["detail"] and token not in str(issued)

    revoke = {"access-revoke.n_clicks": 1, "access-tokens.selectedRows": [{"id": pk}]}
    got = answer(post(app, admin, "on_revoke", revoke, ["access-revoke.n_clicks"]))
    assert next(r for r in got["access-tokens"]["rowData"] if r["id"] == pk)["revoked"] != "—"
    assert len(audit_rows(app, admin, actions=["token.revoke"], target=f"token:{pk}")) == 1
    got = answer(
        post(app, admin, "on_revoke", {**revoke, "access-revoke.n_clicks": 2}, ["access-revoke.n_clicks"])
    )
    assert "revoked already" in text_of(got["access-notice"]["children"])


def test_the_audit_filter_narrows_by_action_outcome_and_actor(app, admin):
    rows = audit_rows(app, admin, actions=["login.success"], actor="ADM")
    assert rows and all(r["action"] == "Signed in" and r["actor"] == "admin" for r in rows)
    assert all(r["outcome_code"] == "denied" for r in audit_rows(app, admin, outcome="denied"))
    got = answer(post(app, admin, "on_filter", {"audit-action.value": ["login.success"]},
                      ["audit-action.value"]))  # fmt: skip
    assert got["audit-summary"]["children"].startswith(f"Showing {len(got['audit-grid']['rowData'])} of")
    assert audit_rows(app, admin, start="2001-01-01", end="2001-01-31") == []


def test_the_export_is_a_csv_with_a_bom_and_is_audited(app, admin):
    values = {"audit-export.n_clicks": 1, "audit-action.value": ["login.success"]}
    got = answer(post(app, admin, "on_export", values, ["audit-export.n_clicks"]))
    download = got["audit-download"]["data"]
    assert download["filename"].endswith(".csv") and download["content"].startswith("\ufeff")
    table = list(csv.reader(io.StringIO(download["content"][1:])))
    assert table[0][:3] == ["Time", "Actor", "Action"] and len(table) > 1
    assert {row[2] for row in table[1:]} == {"login.success"}
    exported = audit_rows(app, admin, actions=["export"], target="audit")
    assert exported and f'"rows":{len(table) - 1}' in exported[0]["detail"]
    assert f'"matched":{len(table) - 1}' in exported[0]["detail"]
    assert '"actions":["login.success"]' in exported[0]["detail"]


def _engine(app):
    return app.server.extensions["onescreen"].engine


def _last_export(app) -> dict:
    from security import audit

    rows = audit.query(_engine(app), audit.AuditFilter(actions=("export",), target="audit"), limit=1)
    return rows.iloc[0]["detail"]


def test_the_page_and_the_api_export_alike(app, admin, monkeypatch):
    """One writer, one cap, one audit detail for both downloads of the audit log."""
    from security import audit
    from services import audit_log

    for name in ('=HYPERLINK("http://evil")', "-2+3", "@SUM(A1)"):  # what a visitor may type at sign-in
        audit.record(
            _engine(app),
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
    got = answer(post(app, admin, "on_export", values, ["audit-export.n_clicks"]))
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

    root = Path(__file__).resolve().parents[2]
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


def test_tokens_are_not_offered_or_issued_for_the_admin_role(app, admin):
    from components import admin_access_forms

    with app.server.test_request_context():
        form = json.loads(
            json.dumps(admin_access_forms.issue_token_form("en"), default=lambda c: c.to_plotly_json())
        )
    offered = component(form, "access-token-role")["props"]["options"]
    assert [o["value"] for o in offered] == ["leader", "department_head", "duty_officer", "viewer"]
    values = {"access-issue.n_clicks": 1, "access-token-client.value": "root-portal",
              "access-token-role.value": "admin"}  # fmt: skip
    got = answer(post(app, admin, "on_issue", values, ["access-issue.n_clicks"]))
    assert set(got) == {"access-notice"} and "from the list" in text_of(got["access-notice"]["children"])
    with app.server.app_context():
        from security import tokens

        assert all(t["client"] != "root-portal" for t in tokens.list_tokens(_engine(app)))


def test_a_refusal_from_security_is_shown(app, admin, monkeypatch):
    from security import tokens
    from security.tokens import TokenError

    def refuse(*_args, **_kw):
        raise TokenError("no tokens today")

    monkeypatch.setattr(tokens, "issue", refuse)
    values = {
        "access-issue.n_clicks": 1,
        "access-token-client.value": "x",
        "access-token-role.value": "viewer",
    }
    got = answer(post(app, admin, "on_issue", values, ["access-issue.n_clicks"]))
    notice = text_of(got["access-notice"]["children"])
    assert "The token was not changed:" in notice and "no tokens today" in notice


@pytest.mark.parametrize(
    "values",
    [
        {"audit-action.value": "login.success"},
        {"audit-action.value": ["login.success", "drop table"]},
        {"audit-outcome.value": {"$ne": 1}},
        {"audit-actor.value": ["admin"]},
        {"audit-dates.start_date": "2026-02-30"},
        {"audit-dates.start_date": "yesterday"},
        {"audit-dates.start_date": "2026-03-02", "audit-dates.end_date": "2026-03-01"},
    ],
)
def test_a_tampered_filter_gets_a_message_not_an_error(app, admin, values):
    changed = [next(iter(values))]
    got = answer(post(app, admin, "on_filter", values, changed))
    assert set(got) == {"audit-notice"}
    assert "filter" in text_of(got["audit-notice"]["children"]).lower()
    got = answer(
        post(app, admin, "on_export", {**values, "audit-export.n_clicks": 1}, ["audit-export.n_clicks"])
    )
    assert set(got) == {"audit-notice"}  # no download


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("on_create", {"access-create.n_clicks": 1, "access-new-username.value": ["x"]}, "is not valid"),
        (
            "on_create",
            {
                "access-create.n_clicks": 1,
                "access-new-username.value": "ops.q",
                "access-new-roles.value": ["root"],
            },
            "roles",
        ),  # fmt: skip
        (
            "on_issue",
            {
                "access-issue.n_clicks": 1,
                "access-token-client.value": "x",
                "access-token-role.value": "viewer",
                "access-token-days.value": -3,
            },
            "3650",
        ),  # fmt: skip
        (
            "on_issue",
            {"access-issue.n_clicks": 1, "access-token-client.value": "x", "access-token-role.value": 7},
            "role",
        ),  # fmt: skip
        ("on_revoke", {"access-revoke.n_clicks": 1, "access-tokens.selectedRows": "1"}, "Select a token"),
        (
            "on_user_action",
            {"access-unlock.n_clicks": 1, "access-users.selectedRows": [{"username": 5}]},
            "Select a user",
        ),  # fmt: skip
    ],
)
def test_tampered_access_values_get_a_message(app, admin, name, values, expected):
    changed = [next(k for k in values if k.endswith("n_clicks"))]
    got = answer(post(app, admin, name, values, changed))
    assert expected in text_of(got["access-notice"]["children"])


@pytest.mark.parametrize("role", ["leader", "viewer"])
@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("on_filter", {"audit-action.value": ["login.success"]}),
        ("on_export", {"audit-export.n_clicks": 1}),
        ("on_create", {"access-create.n_clicks": 1}),
        ("on_select", {"access-users.selectedRows": [{"username": "admin"}]}),
        ("on_user_action", {"access-unlock.n_clicks": 1}),
        ("on_issue", {"access-issue.n_clicks": 1}),
        ("on_revoke", {"access-revoke.n_clicks": 1}),
    ],
)
def test_other_roles_are_refused(app, role, name, values):
    session = signed_in(app, role)
    response = post(app, session, name, values, [next(iter(values))])
    assert response.status_code == 403
