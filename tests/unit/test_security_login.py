"""Signing in: the password policy, the lock-out after repeated wrong passwords (on a fake clock,
in security.users and through the real POST /login), passwords that never reach a log record,
the audit log, the store or a response, and the one-click demo sign-in that exists only in the
embedded profile and only for this machine."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from signin import form_csrf
from sqlalchemy import insert

from app import build_dash
from config.settings import SettingsError, load_settings
from security import audit
from security.audit import AuditFilter
from security.passwords import policy_problem
from security.setup import check_users
from security.users import UserError, authenticate, create_user, find, set_disabled, set_password
from store.engine import make_engine
from store.migrate import upgrade
from store.models import Department

PASSWORD = "Harbour-Lantern-47"
T0 = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in the park's default zone (Asia/Shanghai)


def _clean_env(patch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        patch.delenv(key)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("login")


@pytest.fixture(scope="module")
def app(data_dir):
    with pytest.MonkeyPatch.context() as patch:
        _clean_env(patch)
        yield build_dash(load_settings(data_dir=data_dir, demo_cases=300), seed=False)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


@pytest.fixture
def store(tmp_path):
    """A migrated SQLite store of its own, with one department."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(Department).values(id="urban_management", name="城管局", name_en="Urban management")
        )
    return engine


@pytest.fixture
def clock(monkeypatch):
    """A fake clock for the sign-in route: security.views reads the time as datetime.now(UTC)."""
    import security.views

    class Clock(datetime):
        current = T0

        @classmethod
        def now(cls, tz=None):
            return cls.current.astimezone(tz) if tz else cls.current

    monkeypatch.setattr(security.views, "datetime", Clock)
    return Clock


def _audit_rows(engine, action: str, actor: str | None = None) -> list[dict]:
    frame = audit.query(engine, AuditFilter(actions=(action,), actor=actor), limit=None)
    return frame.to_dict("records")


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
    assert _audit_rows(store, "user.create") == []


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


# --- lock-out, on security.users.authenticate with a fake clock ------------------------------


def test_ten_failures_in_a_row_lock_the_account_for_fifteen_minutes(store, monkeypatch):
    _clean_env(monkeypatch)
    settings = load_settings()  # the defaults: 10 failures, 15 minutes
    assert (settings.login_max_failures, settings.login_lockout_minutes) == (10, 15)
    create_user(store, "alice", "leader", password=PASSWORD, actor="admin")

    def attempt(password: str, at: datetime):
        return authenticate(
            store,
            "alice",
            password,
            now=at,
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            ip="192.0.2.7",
        )

    for i in range(9):
        assert attempt(f"wrong-guess-{i:03d}", T0 + timedelta(seconds=i)).outcome == "bad"
    assert find(store, "alice")["failed_logins"] == 9
    tenth = attempt("wrong-guess-010", T0 + timedelta(seconds=9))
    assert tenth.outcome == "locked"
    until = T0 + timedelta(seconds=9, minutes=15)
    assert tenth.locked_until == until
    assert find(store, "alice")["locked_until"] == until

    # the eleventh attempt, with the right password, is refused; so is one a minute before the end
    for at in (T0 + timedelta(seconds=10), until - timedelta(minutes=1)):
        result = attempt(PASSWORD, at)
        assert (result.outcome, result.principal, result.locked_until) == ("locked", None, until)
    assert find(store, "alice")["locked_until"] == until  # attempts while locked do not extend it

    ok = attempt(PASSWORD, until + timedelta(seconds=1))
    assert ok.outcome == "ok"
    assert ok.principal is not None and ok.principal.name == "alice"
    row = find(store, "alice")
    assert (row["failed_logins"], row["locked_until"]) == (0, None)

    # the counter restarted: one wrong password now is one failure, not an eleventh
    assert attempt("wrong-guess-011", until + timedelta(minutes=1)).outcome == "bad"
    assert find(store, "alice")["failed_logins"] == 1

    assert len(_audit_rows(store, "login.failure", "alice")) == 11
    locked = _audit_rows(store, "login.locked", "alice")
    assert len(locked) == 3
    assert {r["outcome"] for r in locked} == {"denied"}
    assert len(_audit_rows(store, "login.success", "alice")) == 1


def test_failures_must_be_in_a_row(store):
    # the same rule with a limit of 3 (argon2 makes every attempt cost a tenth of a second)
    create_user(store, "bert", "viewer", password=PASSWORD, actor="admin")
    kw = {"now": T0, "max_failures": 3, "lockout": timedelta(minutes=15)}
    for i in range(2):
        assert authenticate(store, "bert", f"wrong-guess-{i:03d}", **kw).outcome == "bad"
    assert authenticate(store, "bert", PASSWORD, **kw).outcome == "ok"
    for i in range(2):
        assert authenticate(store, "bert", f"wrong-guess-{i + 10:03d}", **kw).outcome == "bad"
    row = find(store, "bert")
    assert (row["failed_logins"], row["locked_until"]) == (2, None)
    assert authenticate(store, "bert", "wrong-guess-020", **kw).outcome == "locked"


def test_an_unknown_user_is_a_plain_failure(store):
    result = authenticate(store, "nobody", PASSWORD, now=T0, max_failures=10, lockout=timedelta(minutes=15))
    assert (result.outcome, result.principal) == ("bad", None)
    # recorded masked: people type passwords into the username box
    row = _audit_rows(store, "login.failure", "no…(6)")[0]
    assert row["detail"] == {"reason": "unknown user"} and row["target"] == "user:no…(6)"


# --- lock-out through the real sign-in route -------------------------------------------------


def _post_login(client, csrf: str, username: str, password: str):
    return client.post(
        "/login", data={"csrf": csrf, "username": username, "password": password, "lang": "en"}
    )


def test_the_sign_in_route_locks_after_ten_wrong_passwords(app, engine, clock):
    create_user(engine, "bob", "leader", password=PASSWORD, actor="admin")
    client = app.server.test_client()
    csrf = form_csrf(client)
    for i in range(9):
        response = _post_login(client, csrf, "bob", f"wrong-guess-{i:03d}")
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    tenth = _post_login(client, csrf, "bob", "wrong-guess-010")
    assert tenth.status_code == 429

    # 08:00 in Asia/Shanghai; locked for 15 minutes: until 08:15
    eleventh = _post_login(client, csrf, "bob", PASSWORD)
    assert eleventh.status_code == 429
    assert "the account is locked until 08:15." in eleventh.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/_dash-layout").status_code == 401
    chinese = client.post(
        "/login", data={"csrf": csrf, "username": "bob", "password": PASSWORD, "lang": "zh"}
    )
    assert chinese.status_code == 429
    assert "账户已锁定，请于 08:15 后再试" in chinese.get_data(as_text=True)

    clock.current = T0 + timedelta(minutes=14)
    still = _post_login(client, csrf, "bob", PASSWORD)
    assert still.status_code == 429
    assert "locked until 08:15" in still.get_data(as_text=True)

    clock.current = T0 + timedelta(minutes=15, seconds=1)
    signed_in = _post_login(client, csrf, "bob", PASSWORD)
    assert signed_in.status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    row = find(engine, "bob")
    assert (row["failed_logins"], row["locked_until"], row["last_login_at"]) == (0, None, clock.current)


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
    failed = _post_login(client, csrf, "carol", wrong)
    assert failed.status_code == 401
    bodies.append(failed.get_data(as_text=True))
    success = _post_login(client, csrf, "carol", first)
    assert success.status_code == 302
    bodies.append(success.get_data(as_text=True))
    bodies.append(client.get("/_dash-layout").get_data(as_text=True))
    set_password(engine, "carol", second, actor="admin")
    again = app.server.test_client()
    assert _post_login(again, form_csrf(again), "carol", second).status_code == 302

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


# --- the one-click demo sign-in --------------------------------------------------------------


def test_demo_sign_in_is_offered_to_this_machine_only(app):
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    client = app.server.test_client()
    assert "os-demo-user" in client.get("/login").get_data(as_text=True)
    assert "os-demo-user" not in client.get("/login", environ_base=remote).get_data(as_text=True)
    csrf = form_csrf(client)
    data = {"csrf": csrf, "username": "viewer"}
    assert client.post("/login/demo", data=data, environ_base=remote).status_code == 404
    # a forwarded-for header is not believed without the proxy_count setting
    spoofed = client.post(
        "/login/demo", data=data, environ_base=remote, headers={"X-Forwarded-For": "127.0.0.1"}
    )
    assert spoofed.status_code == 404
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.post("/login/demo", data=data).status_code == 302  # from this machine it works


def test_production_refuses_demo_users_and_has_no_demo_sign_in(tmp_path, monkeypatch):
    _clean_env(monkeypatch)
    url = f"sqlite:///{tmp_path / 'production.sqlite'}"
    settings = load_settings(
        profile="production", secret_key="a-long-production-secret-key", database_url=url, data_dir=tmp_path
    )
    engine = make_engine(url)
    upgrade(engine)
    create_user(engine, "wall", "viewer", password=None, actor="system", is_demo=True)
    with pytest.raises(SettingsError, match=r"demo users without passwords \(wall\)"):
        check_users(settings, engine)
    with pytest.raises(SettingsError, match="demo users"):
        build_dash(settings)

    set_disabled(engine, "wall", True, actor="admin")
    check_users(settings, engine)  # no enabled demo user left
    app = build_dash(settings)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "os-demo-user" not in page
    response = client.post("/login/demo", data={"csrf": form_csrf(client), "username": "wall"})
    assert response.status_code == 404


# --- failures counted per address (password spraying) ----------------------------------------


def test_many_failures_from_one_address_refuse_that_address_only(tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        _clean_env(patch)
        sprayed = build_dash(
            load_settings(data_dir=tmp_path, demo_cases=0, login_ip_max_failures=3), seed=False
        )
    engine = sprayed.server.extensions["onescreen.security"].engine
    create_user(engine, "carol", "leader", password=PASSWORD, actor="admin")
    attacker = sprayed.server.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    csrf = form_csrf(attacker)
    for username in ("carol", "dave", "erin"):  # one guess per account: no account lock-out
        assert _post_login(attacker, csrf, username, "Summer-2031!").status_code == 401
    refused = _post_login(attacker, csrf, "carol", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this address" in refused.get_data(as_text=True)
    assert find(engine, "carol")["locked_until"] is None  # the account itself is not locked
    rows = _audit_rows(engine, "login.locked")
    assert rows and rows[0]["target"] == "ip:10.0.0.7" and rows[0]["outcome"] == "denied"  # newest first
    colleague = sprayed.server.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    assert _post_login(colleague, form_csrf(colleague), "carol", PASSWORD).status_code == 302
