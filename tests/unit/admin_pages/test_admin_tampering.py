"""The admin pages refuse what they should: other roles get 403 for the pages and for every
callback, and tampered values (a filter or form value the page would never send) get a message,
never an error."""

from __future__ import annotations

import pytest
from admin_calls import answer, post, text_of
from signin import signed_in


def test_the_pages_answer_only_those_who_may_see_them(app, admin):
    assert admin[0].get("/admin/audit").status_code == 200
    assert admin[0].get("/admin/access").status_code == 200
    leader, _ = signed_in(app, "leader")
    assert leader.get("/admin/audit").status_code == 403
    assert leader.get("/admin/access").status_code == 403


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
    changed = next(iter(values))
    got = answer(post(app, admin, "on_filter", values, changed))
    assert set(got) == {"audit-notice"}
    assert "filter" in text_of(got["audit-notice"]["children"]).lower()
    got = answer(
        post(app, admin, "on_export", {**values, "audit-export.n_clicks": 1}, "audit-export.n_clicks")
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
    changed = next(k for k in values if k.endswith("n_clicks"))
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
    response = post(app, session, name, values, next(iter(values)))
    assert response.status_code == 403
