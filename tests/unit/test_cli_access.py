"""The users and tokens commands on a real store: each change is made, audited with the
operating-system user as actor, and bad input is refused with a message and exit 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app

from security import audit, tokens, users
from security.audit import AuditFilter

GOOD = "Wall-screen-2026!"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("cli"), demo_cases=300)


def run(app, *args, stdin=None):
    return app.server.test_cli_runner().invoke(args=list(args), input=stdin)


def engine(app):
    return app.server.extensions["onescreen"].engine


def actions(app, action):
    return audit.query(engine(app), AuditFilter(actions=(action,)))


def test_create_a_user_with_a_prompted_password(app):
    result = run(
        app, "users", "create", "wang.li", "--role", "leader", "--name", "王立", stdin=f"{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # the prompt hides it
    row = users.find(engine(app), "wang.li")
    assert (
        row["roles"] == "leader"
        and row["display_name"] == "王立"
        and row["password_hash"].startswith("$argon2id$")
    )
    created = actions(app, "user.create")
    assert created.iloc[0]["target"] == "user:wang.li" and created.iloc[0]["actor"].startswith("cli")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "short.pw", "--role", "viewer", "--password-stdin"], "at least 10 characters"),
        (
            ["users", "create", "head.x", "--role", "department_head", "--password-stdin"],
            "needs a department",
        ),
        (
            [
                "users",
                "create",
                "head.y",
                "--role",
                "department_head",
                "--department",
                "atlantis",
                "--password-stdin",
            ],
            "unknown department",
        ),  # fmt: skip
        (["users", "create", "Bad Name", "--role", "viewer", "--password-stdin"], "a username is"),
        (["users", "password", "nobody", "--password-stdin"], "no user 'nobody'"),
        (["tokens", "issue", "portal", "--role", "department_head"], "needs a department"),
        (["tokens", "revoke", "999"], "no token 999"),
    ],
)
def test_bad_input_is_refused_with_a_message(app, args, message):
    password = "short\n" if "short.pw" in args else f"{GOOD}\n"
    result = run(app, *args, stdin=password)
    assert result.exit_code == 1
    assert message in result.output


def test_an_unknown_role_is_refused_by_the_command_line(app):
    result = run(app, "users", "create", "x.y", "--role", "emperor", "--password-stdin", stdin=f"{GOOD}\n")
    assert result.exit_code == 2 and "emperor" in result.output


def test_password_roles_disable_unlock_and_list(app):
    run(app, "users", "create", "zhao.min", "--role", "viewer", "--password-stdin", stdin=f"{GOOD}\n")
    epoch = users.find(engine(app), "zhao.min")["session_epoch"]
    assert (
        run(app, "users", "password", "zhao.min", "--password-stdin", stdin="Another-pass-77\n").exit_code
        == 0
    )
    assert users.find(engine(app), "zhao.min")["session_epoch"] == epoch + 1  # open sessions end
    result = run(
        app, "users", "roles", "zhao.min", "--role", "department_head", "--department", "urban_management"
    )
    assert result.exit_code == 0, result.output
    assert users.find(engine(app), "zhao.min")["department"] == "urban_management"
    assert run(app, "users", "disable", "zhao.min").exit_code == 0
    assert users.find(engine(app), "zhao.min")["disabled"]
    assert run(app, "users", "unlock", "zhao.min").exit_code == 0
    listing = run(app, "users", "list").output
    assert "zhao.min" in listing and "disabled" in listing and "admin" in listing
    for action in ("user.password", "user.roles", "user.disable", "user.unlock"):
        assert (actions(app, action)["target"] == "user:zhao.min").any(), action


def test_a_token_is_printed_once_and_only_its_hash_is_kept(app):
    result = run(
        app, "tokens", "issue", "城管门户", "--role", "department_head", "--department", "urban_management"
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("os_") and len(token) > 40
    listed = run(app, "tokens", "list").output
    assert "城管门户" in listed and token not in listed and "active" in listed
    stored = [dict(r) for r in tokens.list_tokens(engine(app))]
    assert all(token not in str(r) for r in stored)
    pk = stored[-1]["pk"]
    assert run(app, "tokens", "revoke", str(pk)).exit_code == 0
    assert "revoked" in run(app, "tokens", "list").output
    assert not actions(app, "token.issue").empty and not actions(app, "token.revoke").empty


def _set(app, model, where, **values) -> None:
    from sqlalchemy import update

    with engine(app).begin() as connection:
        connection.execute(update(model).where(where).values(**values))


def _line(output: str, word: str) -> str:
    return next(line for line in output.splitlines() if word in line)


def test_users_list_shows_a_lock_only_while_it_lasts(app):
    from store.models import User

    run(app, "users", "create", "lock.test", "--role", "viewer", "--password-stdin", stdin=f"{GOOD}\n")
    now = datetime.now(UTC)
    _set(app, User, User.username == "lock.test", locked_until=now + timedelta(minutes=10))
    assert _line(run(app, "users", "list").output, "lock.test").endswith("locked")
    _set(app, User, User.username == "lock.test", locked_until=now - timedelta(minutes=1))
    assert "locked" not in _line(run(app, "users", "list").output, "lock.test")  # it has run out


def test_tokens_list_shows_an_expired_token_as_expired(app):
    from store.models import ApiToken

    result = run(app, "tokens", "issue", "old-portal", "--role", "viewer", "--expires-days", "1")
    assert result.exit_code == 0, result.output
    pk = max(row["pk"] for row in tokens.list_tokens(engine(app)))
    assert _line(run(app, "tokens", "list").output, "old-portal").endswith("active")
    _set(app, ApiToken, ApiToken.pk == pk, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert _line(run(app, "tokens", "list").output, "old-portal").endswith("expired")


def test_no_token_is_issued_for_the_admin_role(app):
    result = run(app, "tokens", "issue", "root-portal", "--role", "admin")
    assert result.exit_code == 2 and "admin" in result.output
    assert all(row["client"] != "root-portal" for row in tokens.list_tokens(engine(app)))
