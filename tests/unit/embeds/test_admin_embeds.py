"""The admin page for embed tokens: an admin issues one (the address and the iframe to paste are
shown, the list grows), a bad value from the browser gets a message and issues nothing, a
revoked token is listed so and refused at once; no other role may call either callback."""

from __future__ import annotations

import json
import re

import pytest
from apps import build_app
from dash_calls import call, output_named, router_page
from signin import signed_in

from security.embed_tokens import list_tokens

ISSUE = "..embeds-notice.children...embeds-list.children"
REVOKE = "embeds-notice.children@"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("embed-admin"), demo_cases=300)


@pytest.fixture(scope="module")
def admin(app):
    return signed_in(app, "admin")


def _issue(app, admin, ui_lang="en", **values):
    client, csrf = admin
    fields = {"embeds-issue.n_clicks": 1, "embeds-panel.value": "cases_by_channel", "embeds-lang.value": "en",
              "embeds-hours.value": 48, "embeds-label.value": "city portal", "shell-lang.value": ui_lang}  # fmt: skip
    fields.update({f"embeds-{k}.value": v for k, v in values.items()})
    return call(client, csrf, app, output_named(app, ISSUE), fields)


@pytest.mark.parametrize(("lang", "words"), [("en", "Embedded panels"), ("zh", "嵌入面板")])
def test_the_page_in_both_languages(app, admin, lang, words):
    page = json.dumps(router_page(admin, "/admin/embeds", lang=lang), ensure_ascii=False)
    assert words in page and "embeds-issue" in page


def test_an_admin_issues_a_token_and_gets_its_address(app, admin):
    engine = app.server.extensions["onescreen.security"].engine
    before = len(list_tokens(engine))
    answer = _issue(app, admin)
    assert answer.status_code == 200
    drawn = json.dumps(answer.get_json()["response"], ensure_ascii=False)
    address = re.search(r"http://localhost/embed/[A-Za-z0-9_.\-]+", drawn).group(0)
    assert '<iframe src=\\"' + address in drawn and "city portal" in drawn
    assert len(list_tokens(engine)) == before + 1 and list_tokens(engine)[0]["created_by"] == "admin"
    assert app.server.test_client().get(address.removeprefix("http://localhost")).status_code == 200


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"hours": "a week"}, "valid for 1 to"),
        ({"hours": 0}, "valid for 1 to"),
        ({"hours": 2.5}, "valid for 1 to"),
        ({"panel": None}, "pick a panel"),
        ({"panel": "kpi_cards"}, "unknown panel 'kpi_cards'"),
        ({"dept": "nowhere"}, "unknown department 'nowhere'"),
        ({"lang": ["en"]}, "lang must be one of zh, en"),
        ({"label": {"x": 1}}, "a label of 1-100 characters"),
    ],
)
def test_a_bad_value_gets_a_message_and_issues_nothing(app, admin, values, words):
    engine = app.server.extensions["onescreen.security"].engine
    before = len(list_tokens(engine))
    answer = _issue(app, admin, **values)
    assert answer.status_code == 200
    response = answer.get_json()["response"]
    assert words in json.dumps(response["embeds-notice"], ensure_ascii=False)
    assert "embeds-list" not in response  # the list and what was typed stay as they were
    assert len(list_tokens(engine)) == before


def test_revoking_lists_the_token_so_and_refuses_it(app, admin):
    engine = app.server.extensions["onescreen.security"].engine
    _issue(app, admin)
    pk = list_tokens(engine)[0]["pk"]
    client, csrf = admin
    answer = call(client, csrf, app, output_named(app, REVOKE),
                  {"embeds-revoke.n_clicks": 1, "embeds-pick.value": pk, "shell-lang.value": "zh"})  # fmt: skip
    drawn = json.dumps(answer.get_json()["response"], ensure_ascii=False)
    assert f"令牌 {pk} 已撤销" in drawn and "已撤销" in drawn
    assert list_tokens(engine)[0]["revoked_at"] is not None
    again = call(client, csrf, app, output_named(app, REVOKE),
                 {"embeds-revoke.n_clicks": 1, "embeds-pick.value": pk, "shell-lang.value": "en"})  # fmt: skip
    assert "revoked already" in json.dumps(again.get_json()["response"])
    tampered = call(client, csrf, app, output_named(app, REVOKE),
                    {"embeds-revoke.n_clicks": 1, "embeds-pick.value": "1 OR 1=1", "shell-lang.value": "en"})  # fmt: skip
    assert "Pick a token" in json.dumps(tampered.get_json()["response"])


@pytest.mark.parametrize("role", ["viewer", "leader", "duty_officer", "department_head"])
def test_no_other_role_may_issue(app, role):
    client, csrf = signed_in(app, role)
    body_values = {"embeds-issue.n_clicks": 1, "embeds-panel.value": "case_trend", "embeds-hours.value": 1,
                   "embeds-label.value": "x", "embeds-lang.value": "en"}  # fmt: skip
    assert call(client, csrf, app, output_named(app, ISSUE), body_values).status_code == 403
