"""Passwords: the policy (length, common ones, the username, enough different characters) on
creating a user and on setting a password, roles and departments checked with it, and passwords
that never reach a log record, the audit log, the store or a response."""

from __future__ import annotations

import json
import logging

import pytest
from login_checks import PASSWORD, audit_rows, post_login
from signin import form_csrf

from security import audit
from security.passwords import policy_problem
from security.users import UserError, create_user, find, set_password

# --- the password policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt-pw!", "at least 10 characters"),
        ("qwertyuiop", "a default, a common one or contains the username"),
        ("1234567890", "a default, a common one or contains the username"),
        ("OnEsCrEeN123", "a default, a common one or contains the username"),
        ("operator-2031-harbour", "a default, a common one or contains the username"),
        ("OPERATOR-harbour-9", "a default, a common one or contains the username"),
        ("abababababab", "at least 4 different characters"),
    ],
)
def test_the_policy_refuses_short_common_and_username_passwords(store, password, message):
    assert message in (policy_problem("operator", password) or "")
    with pytest.raises(UserError, match=message):
        create_user(store, "operator", "duty_officer", password=password, actor="admin")
    assert find(store, "operator") is None
    assert audit_rows(store, "user.create") == []


def test_the_policy_accepts_a_good_password(store):
    assert policy_problem("operator", PASSWORD) is None
    principal = create_user(store, "operator", "duty_officer", password=PASSWORD, actor="admin")
    assert principal.name == "operator"
    assert find(store, "operator")["password_hash"].startswith("$argon2id$")


def test_set_password_applies_the_policy_too(store):
    create_user(store, "operator", "viewer", password=PASSWORD, actor="admin")
    before = find(store, "operator")
    for refused in ("too-short", "operator-Lantern-1"):
        with pytest.raises(UserError):
            set_password(store, "operator", refused, actor="admin")
    after = find(store, "operator")
    assert after["password_hash"] == before["password_hash"]
    assert after["session_epoch"] == before["session_epoch"]


@pytest.mark.parametrize(
    ("roles", "department", "message"),
    [
        ("superuser", None, "unknown role"),
        ("leader,root", None, "unknown role"),
        ("", None, "at least one role"),
        ("leader", "no_such_department", "unknown department"),
        ("department_head", None, "a department head needs a department"),
        ("department_head", "no_such_department", "unknown department"),
    ],
)
def test_bad_roles_and_departments_are_refused(store, roles, department, message):
    with pytest.raises(UserError, match=message):
        create_user(store, "someone", roles, password=PASSWORD, actor="admin", department=department)
    assert find(store, "someone") is None


def test_a_department_head_with_a_known_department_is_created(store):
    principal = create_user(
        store, "head", "department_head", password=PASSWORD, actor="admin", department="urban_management"
    )
    assert principal.scoped_department == "urban_management"


# --- passwords are never logged --------------------------------------------------------------


@pytest.fixture
def every_log(caplog):
    """Every logger at DEBUG (SQLAlchemy's statements and parameters included), into caplog."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    detached = []
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            detached.append(logger)
    yield caplog
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
    for logger in detached:
        logger.removeHandler(caplog.handler)


def test_passwords_never_reach_logs_audit_rows_the_store_or_responses(app, engine, data_dir, every_log):
    first, wrong, second = "Quill-Meadow-8431", "Wrong-Guess-5512", "Copper-Falcon-2290"
    refused = ["dave-Garden-1234", "Tiny-7", "carol-Secret-99", "qwertyuiop"]
    secrets = [first, wrong, second, *refused]
    bodies: list[str] = []

    create_user(engine, "carol", "viewer", password=first, actor="admin", ip="127.0.0.1")
    with pytest.raises(UserError) as refused_create:
        create_user(engine, "dave", "viewer", password=refused[0], actor="admin")
    bodies.append(str(refused_create.value))
    for password in refused[1:]:
        with pytest.raises(UserError) as refused_change:
            set_password(engine, "carol", password, actor="admin")
        bodies.append(str(refused_change.value))

    client = app.server.test_client()
    csrf = form_csrf(client)
    failed = post_login(client, csrf, "carol", wrong)
    assert failed.status_code == 401
    bodies.append(failed.get_data(as_text=True))
    success = post_login(client, csrf, "carol", first)
    assert success.status_code == 302
    bodies.append(success.get_data(as_text=True))
    bodies.append(client.get("/_dash-layout").get_data(as_text=True))
    set_password(engine, "carol", second, actor="admin")
    again = app.server.test_client()
    assert post_login(again, form_csrf(again), "carol", second).status_code == 302

    records = every_log.records
    logged = every_log.text + "\n".join(r.getMessage() for r in records)
    # the capture works: the failed sign-in is logged, and so are SQLAlchemy's statements
    assert "audit: login.failure failed by carol" in logged
    assert any(r.name.startswith("sqlalchemy.engine") for r in records)
    rows = audit.query(engine, limit=None).to_dict("records")
    actions = {r["action"] for r in rows}
    assert {"user.create", "user.password", "login.failure", "login.success"} <= actions
    audited = json.dumps(rows, default=str, ensure_ascii=False)
    stored = b"".join(p.read_bytes() for p in data_dir.glob("onescreen.sqlite*"))
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited
        assert secret.encode() not in stored
        for body in bodies:
            assert secret not in body


@pytest.mark.parametrize(
    "key", ["password", "new_password", "token", "secret", "password_hash", "token_hash"]
)
def test_audit_details_refuse_secret_keys(store, key):
    with pytest.raises(ValueError, match="never hold passwords or tokens"):
        audit.record(store, "user.password", actor="admin", target="user:x", detail={key: "s3cret-value"})
    assert audit.count(store) == 0
