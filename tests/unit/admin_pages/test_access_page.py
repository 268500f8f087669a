"""The access page over HTTP, the way the browser drives it: an administrator creates users and
issues and revokes tokens, every change lands in the audit log, and a refusal from security is
shown as a message."""

from __future__ import annotations

import json

from admin_calls import STRONG, answer, audit_rows, component, create, engine_of, post, text_of


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
    assert "Roles: Duty officer" in mine[0]["detail"]
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
                      "access-save-roles.n_clicks"))  # fmt: skip
    assert "own administrator role" in text_of(got["access-notice"]["children"])
    got = answer(post(app, admin, "on_user_action", {**selected, "access-disable.n_clicks": 1},
                      "access-disable.n_clicks"))  # fmt: skip
    assert "cannot disable yourself" in text_of(got["access-notice"]["children"])


def test_changes_to_another_user_are_made_and_audited(app, admin):
    answer(create(app, admin, "ops.zhao"))
    selected = {"access-users.selectedRows": [{"username": "ops.zhao"}]}
    got = answer(post(app, admin, "on_select", selected, "access-users.selectedRows"))
    assert got["access-edit-roles"]["value"] == ["viewer"]
    got = answer(post(app, admin, "on_user_action", {**selected, "access-disable.n_clicks": 1},
                      "access-disable.n_clicks"))  # fmt: skip
    row = next(r for r in got["access-users"]["rowData"] if r["username"] == "ops.zhao")
    assert row["disabled"] == "Yes"
    values = {**selected, "access-reset-password.n_clicks": 1, "access-edit-password.value": "Another-pass-77",
              "access-edit-confirm.value": "Another-pass-77"}  # fmt: skip
    got = answer(post(app, admin, "on_user_action", values, "access-reset-password.n_clicks"))
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
    got = answer(post(app, admin, "on_issue", values, "access-issue.n_clicks"))
    shown = text_of(got["access-token-box"]["children"])
    token = next(word for word in shown.split() if word.startswith("os_"))
    assert "cannot be shown again" in shown
    rows = got["access-tokens"]["rowData"]
    assert token not in str(rows)  # the table has its prefix only
    pk = next(r["id"] for r in rows if r["client"] == "city-portal")
    issued = audit_rows(app, admin, actions=["token.issue"], target=f"token:{pk}")
    assert len(issued) == 1 and "Client: city-portal" in issued[0]["detail"] and token not in str(issued)

    revoke = {"access-revoke.n_clicks": 1, "access-tokens.selectedRows": [{"id": pk}]}
    got = answer(post(app, admin, "on_revoke", revoke, "access-revoke.n_clicks"))
    assert next(r for r in got["access-tokens"]["rowData"] if r["id"] == pk)["revoked"] != "—"
    assert len(audit_rows(app, admin, actions=["token.revoke"], target=f"token:{pk}")) == 1
    got = answer(
        post(app, admin, "on_revoke", {**revoke, "access-revoke.n_clicks": 2}, "access-revoke.n_clicks")
    )
    assert "revoked already" in text_of(got["access-notice"]["children"])


def test_tokens_are_not_offered_or_issued_for_the_admin_role(app, admin):
    from components import admin_access_forms

    with app.server.test_request_context():
        form = json.loads(
            json.dumps(admin_access_forms.issue_token_form("en"), default=lambda c: c.to_plotly_json())
        )
    offered = component(form, "access-token-role")["props"]["options"]
    # reporter: a citizen app's token (Open311 reports), offered for tokens only
    assert [o["value"] for o in offered] == [
        "leader",
        "department_head",
        "duty_officer",
        "viewer",
        "reporter",
    ]
    values = {"access-issue.n_clicks": 1, "access-token-client.value": "root-portal",
              "access-token-role.value": "admin"}  # fmt: skip
    got = answer(post(app, admin, "on_issue", values, "access-issue.n_clicks"))
    assert set(got) == {"access-notice"} and "from the list" in text_of(got["access-notice"]["children"])
    with app.server.app_context():
        from security import tokens

        assert all(t["client"] != "root-portal" for t in tokens.list_tokens(engine_of(app)))


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
    got = answer(post(app, admin, "on_issue", values, "access-issue.n_clicks"))
    notice = text_of(got["access-notice"]["children"])
    assert "The token was not changed:" in notice and "no tokens today" in notice
