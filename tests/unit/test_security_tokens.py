"""API tokens for other portals: shown once, only their SHA-256 stored, revocable, expiring,
every refusal audited; honoured under /api/ and /open311/ only, never on a screen."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import inspect, select, text

from security import audit
from security.audit import AuditFilter
from security.tokens import TokenError, issue, list_tokens, resolve, revoke
from store.models import ApiToken


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tokens")


@pytest.fixture(scope="module")
def app(data_dir):
    return build_app(data_dir, seed=False, demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


def _row(engine, pk: int):
    with engine.connect() as connection:
        return connection.execute(select(ApiToken.__table__).where(ApiToken.pk == pk)).mappings().one()


def _refusals(engine, pk: int) -> list[dict]:
    frame = audit.query(engine, AuditFilter(actions=("token.refused",), target=f"token:{pk}"), limit=None)
    return frame.to_dict("records")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_only_its_sha256_is_stored(engine, data_dir):
    token, pk = issue(engine, "hotline-portal", "leader", actor="admin", expires_days=30)
    assert token.startswith("os_") and len(token) > 40
    row = _row(engine, pk)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["prefix"] == token[:9]
    assert (row["client"], row["role"], row["created_by"]) == ("hotline-portal", "leader", "admin")

    # the token itself is in no column of any table, nor anywhere in the database's files
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            assert token not in json.dumps([list(r) for r in rows], default=str), table
    files = sorted(data_dir.glob("onescreen.sqlite*"))
    assert files
    assert not any(token.encode() in f.read_bytes() for f in files)
    assert not any(token[len("os_") :].encode() in f.read_bytes() for f in files)

    issued = audit.query(engine, AuditFilter(actions=("token.issue",), target=f"token:{pk}")).to_dict(
        "records"
    )
    assert len(issued) == 1
    assert issued[0]["detail"]["client"] == "hotline-portal"


def test_a_valid_token_resolves_to_its_role(engine):
    token, pk = issue(engine, "open-data", "viewer", actor="admin")
    now = datetime.now(UTC)
    principal = resolve(engine, token, now=now)
    assert principal is not None
    assert (principal.kind, principal.name, principal.roles) == ("token", "token:open-data", ("viewer",))
    assert _row(engine, pk)["last_used_at"] == now
    assert resolve(engine, token + "x", now=now) is None
    assert resolve(engine, "os_" + "A" * 43, now=now) is None


def test_a_revoked_token_is_refused_and_the_refusal_audited(app, engine):
    token, pk = issue(engine, "old-portal", "leader", actor="admin")
    client = app.server.test_client()
    assert client.get("/api/no-such-endpoint", headers=_bearer(token)).status_code == 404  # past the guard
    revoke(engine, pk, actor="admin")
    assert _row(engine, pk)["revoked_at"] is not None
    assert resolve(engine, token, now=datetime.now(UTC)) is None
    refusals = _refusals(engine, pk)
    assert [(r["detail"], r["outcome"]) for r in refusals] == [({"reason": "revoked"}, "denied")]
    response = client.get("/api/no-such-endpoint", headers=_bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="onescreen"'
    assert len(_refusals(engine, pk)) == 2
    with pytest.raises(TokenError, match="revoked already"):
        revoke(engine, pk, actor="admin")
    with pytest.raises(TokenError, match="no token"):
        revoke(engine, 999_999, actor="admin")


def test_an_expired_token_is_refused_and_the_refusal_audited(engine):
    token, pk = issue(engine, "short-lived", "viewer", actor="admin", expires_days=1)
    issued_at = _row(engine, pk)["created_at"]
    assert resolve(engine, token, now=issued_at + timedelta(hours=23)) is not None
    assert _refusals(engine, pk) == []
    assert resolve(engine, token, now=issued_at + timedelta(days=1, seconds=1)) is None
    assert [r["detail"] for r in _refusals(engine, pk)] == [{"reason": "expired"}]


@pytest.mark.parametrize("path", ["/api/no-such-endpoint", "/open311/no-such-endpoint"])
def test_a_bearer_token_is_honoured_under_the_api_paths(app, engine, path):
    token, pk = issue(engine, f"portal{path.replace('/', '-')}", "leader", actor="admin")
    client = app.server.test_client()
    assert client.get(path).status_code == 401
    assert client.get(path, headers=_bearer("os_not-a-token")).status_code == 401
    response = client.get(path, headers=_bearer(token))
    assert response.status_code == 404  # the guard let it through: there is just no such endpoint
    assert response.get_json()["error"] == "not found"
    assert _row(engine, pk)["last_used_at"] is not None


@pytest.mark.parametrize("path", ["/", "/sources", "/_dash-layout", "/_dash-dependencies"])
def test_a_bearer_token_gives_no_access_to_screens(app, engine, path):
    token, pk = issue(engine, f"screen-scraper{path.replace('/', '-')}", "leader", actor="admin")
    client = app.server.test_client()
    response = client.get(path, headers=_bearer(token))
    if path.startswith("/_dash-"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    assert _row(engine, pk)["last_used_at"] is None  # not even looked up


def test_a_callback_with_a_bearer_token_is_refused(app, engine):
    token, _ = issue(engine, "callback-caller", "leader", actor="admin")
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/"},
            {"id": "_pages_location", "property": "search", "value": ""},
            {"id": "shell-lang", "property": "value", "value": "en"},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    client = app.server.test_client()
    assert client.post("/_dash-update-component", json=body, headers=_bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("client", "role", "department", "message"),
    [
        ("", "leader", None, "client name"),
        ("x" * 101, "leader", None, "client name"),
        ("portal", "superuser", None, "unknown role"),
        ("portal", "department_head", None, "needs a department"),
        ("portal", "leader", "no_such_department", "unknown department"),
    ],
)
def test_bad_token_requests_are_refused(engine, client, role, department, message):
    before = len(list_tokens(engine))
    with pytest.raises(TokenError, match=message):
        issue(engine, client, role, actor="admin", department=department)
    assert len(list_tokens(engine)) == before
