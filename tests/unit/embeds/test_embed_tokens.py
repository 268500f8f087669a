"""Embed tokens: signed with the app's secret, naming one panel and its parameters, expiring,
revocable at once, every issue, revocation and refusal audited; a token that was changed or
signed elsewhere opens nothing."""

from __future__ import annotations

import time

import pytest
from apps import build_app
from itsdangerous import URLSafeSerializer

from components.embed_panels import check_params
from security import audit
from security.audit import AuditFilter
from security.embed_tokens import SALT, EmbedRefused, EmbedTokenError, issue, list_tokens, revoke, verify


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("embed-tokens"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


@pytest.fixture(scope="module")
def secret(app):
    return app.server.config["SECRET_KEY"]


def _issue(app, engine, secret, panel="case_trend", hours=2, **params):
    with app.server.app_context():
        return issue(engine, secret, panel, params, hours=hours, label="city portal", actor="admin",
                     check_params=check_params)  # fmt: skip


def _actions(engine, action: str, pk: int) -> list[dict]:
    frame = audit.query(engine, AuditFilter(actions=(action,), target=f"embed:{pk}"), limit=None)
    return frame.to_dict("records")


def test_a_token_names_its_panel_and_parameters_and_is_audited(app, engine, secret):
    token, pk = _issue(app, engine, secret, "cases_by_channel", lang="en")
    grant = verify(engine, secret, token)
    assert (grant.token_id, grant.panel) == (pk, "cases_by_channel")
    assert grant.params == {"department": None, "lang": "en"}
    (row,) = _actions(engine, "embed.issue", pk)
    assert row["actor"] == "admin" and row["detail"]["panel"] == "cases_by_channel"
    assert [r["pk"] for r in list_tokens(engine)][0] == pk


def test_a_tampered_token_or_one_signed_elsewhere_is_invalid(app, engine, secret):
    token, pk = _issue(app, engine, secret)
    payload, _, signature = token.rpartition(".")
    for bad in (
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # signature changed
        payload.replace(payload[3], "x" if payload[3] != "x" else "y", 1)
        + "."
        + signature,  # payload changed
        URLSafeSerializer("another secret", salt=SALT).dumps(
            {"id": pk, "panel": "case_trend", "params": {"department": None, "lang": "zh"}, "exp": 2**40}
        ),
        # signed properly but naming other parameters than its row: as if edited before signing
        URLSafeSerializer(secret, salt=SALT).dumps(
            {"id": pk, "panel": "case_trend", "params": {"department": "env", "lang": "zh"}, "exp": 2**40}
        ),
        "",
        "x" * 5000,
        None,
        42,
    ):
        with pytest.raises(EmbedRefused) as refused:
            verify(engine, secret, bad)
        assert refused.value.reason == "invalid"


def test_an_expired_token_is_refused_and_audited(app, engine, secret):
    token, pk = _issue(app, engine, secret, hours=1)
    verify(engine, secret, token, now=time.time() + 3500)
    with pytest.raises(EmbedRefused) as refused:
        verify(engine, secret, token, now=time.time() + 3601)
    assert refused.value.reason == "expired"
    (row,) = _actions(engine, "embed.refused", pk)
    assert row["outcome"] == "denied" and row["detail"] == {"reason": "expired"}


def test_a_revoked_token_is_refused_at_once(app, engine, secret):
    token, pk = _issue(app, engine, secret)
    verify(engine, secret, token)
    revoke(engine, pk, actor="admin")
    with pytest.raises(EmbedRefused) as refused:
        verify(engine, secret, token)
    assert refused.value.reason == "revoked"
    assert len(_actions(engine, "embed.revoke", pk)) == 1
    with pytest.raises(EmbedTokenError, match="revoked already"):
        revoke(engine, pk, actor="admin")
    with pytest.raises(EmbedTokenError, match="no embed token 999999"):
        revoke(engine, 999999, actor="admin")


@pytest.mark.parametrize(
    ("panel", "params", "hours", "label", "message"),
    [
        ("kpi_everything", {}, 2, "portal", "unknown panel 'kpi_everything'"),
        ("kpi_cards", {}, 2, "portal", "unknown panel 'kpi_cards'"),  # its cards open the KPI page
        ("chain_graph", {"chain": "no-such-chain"}, 2, "portal", "unknown chain 'no-such-chain'"),
        ("case_trend", {"chain": "x"}, 2, "portal", r"unknown parameter\(s\) chain"),
        ("case_trend", {"department": "nowhere"}, 2, "portal", "unknown department 'nowhere'"),
        ("case_trend", {"days": 365}, 2, "portal", r"unknown parameter\(s\) days"),
        ("case_trend", {"lang": "fr"}, 2, "portal", "lang must be one of zh, en"),
        ("case_trend", {}, 0, "portal", "expires after 1 to"),
        ("case_trend", {}, 2, "  ", "a label of 1-100 characters"),
    ],
)
def test_bad_requests_for_a_token_are_refused_with_the_reason(app, engine, secret, panel, params, hours, label,
                                                              message):  # fmt: skip
    before = len(list_tokens(engine))
    with app.server.app_context(), pytest.raises(EmbedTokenError, match=message):
        issue(
            engine, secret, panel, params, hours=hours, label=label, actor="admin", check_params=check_params
        )
    assert len(list_tokens(engine)) == before  # nothing issued, nothing half-stored
