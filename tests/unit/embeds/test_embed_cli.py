"""`flask --app app embeds issue|list|revoke`: the address printed opens the panel, a bad request
is one line naming what is wrong (exit 1, nothing issued), a revoked token is listed so."""

from __future__ import annotations

import pytest
from apps import build_app

from security.embed_tokens import list_tokens


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("embed-cli"), demo_cases=300)


def test_issue_list_and_revoke(app):
    runner = app.server.test_cli_runner()
    issued = runner.invoke(
        args=["embeds", "issue", "cases_by_domain", "--label", "city portal", "--hours", "5"]
    )
    assert issued.exit_code == 0, issued.output
    address = issued.stdout.strip()
    assert address.startswith("/embed/") and "embed token" in issued.stderr
    assert app.server.test_client().get(address).status_code == 200
    pk = list_tokens(app.server.extensions["onescreen.security"].engine)[0]["pk"]
    assert f"{pk}" in runner.invoke(args=["embeds", "list"]).output
    assert runner.invoke(args=["embeds", "revoke", str(pk)]).exit_code == 0
    listed = [
        line for line in runner.invoke(args=["embeds", "list"]).output.splitlines() if "city portal" in line
    ]
    assert listed and listed[0].endswith("revoked")
    assert app.server.test_client().get(address).status_code == 403
    again = runner.invoke(args=["embeds", "revoke", str(pk)])
    assert again.exit_code == 1 and "revoked already" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["case_trend", "--label", "p", "--department", "nowhere"], "unknown department 'nowhere'"),
        (["case_trend", "--label", " "], "a label of 1-100 characters"),
        (["everything", "--label", "p"], "'everything' is not one of 'case_trend'"),
        (["case_trend", "--label", "p", "--hours", "0"], "Invalid value for '--hours'"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason(app, args, message):
    engine = app.server.extensions["onescreen.security"].engine
    before = len(list_tokens(engine))
    result = app.server.test_cli_runner().invoke(args=["embeds", "issue", *args])
    assert result.exit_code != 0 and message in result.output
    assert len(list_tokens(engine)) == before
