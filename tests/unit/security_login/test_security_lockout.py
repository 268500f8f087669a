"""The lock-out after repeated wrong passwords, on a fake clock: in security.users.authenticate
and through the real POST /login (the message in both languages), failures that must be in a
row, and failures counted per address, which refuse that address only (password spraying)."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps import build_app, clear_onescreen_env
from login_checks import PASSWORD, T0, audit_rows, post_login
from signin import form_csrf

from config.settings import load_settings
from security.users import authenticate, create_user, find

# --- lock-out, on security.users.authenticate with a fake clock ------------------------------


def test_ten_failures_in_a_row_lock_the_account_for_fifteen_minutes(store, monkeypatch):
    clear_onescreen_env(monkeypatch)
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

    assert len(audit_rows(store, "login.failure", "alice")) == 11
    locked = audit_rows(store, "login.locked", "alice")
    assert len(locked) == 3
    assert {r["outcome"] for r in locked} == {"denied"}
    assert len(audit_rows(store, "login.success", "alice")) == 1


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


# --- lock-out through the real sign-in route -------------------------------------------------


def test_the_sign_in_route_locks_after_ten_wrong_passwords(app, engine, clock):
    create_user(engine, "bob", "leader", password=PASSWORD, actor="admin")
    client = app.server.test_client()
    csrf = form_csrf(client)
    for i in range(9):
        response = post_login(client, csrf, "bob", f"wrong-guess-{i:03d}")
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    tenth = post_login(client, csrf, "bob", "wrong-guess-010")
    assert tenth.status_code == 429

    # 08:00 in Asia/Shanghai; locked for 15 minutes: until 08:15
    eleventh = post_login(client, csrf, "bob", PASSWORD)
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
    still = post_login(client, csrf, "bob", PASSWORD)
    assert still.status_code == 429
    assert "locked until 08:15" in still.get_data(as_text=True)

    clock.current = T0 + timedelta(minutes=15, seconds=1)
    signed_in = post_login(client, csrf, "bob", PASSWORD)
    assert signed_in.status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    row = find(engine, "bob")
    assert (row["failed_logins"], row["locked_until"], row["last_login_at"]) == (0, None, clock.current)


# --- failures counted per address (password spraying) ----------------------------------------


def test_many_failures_from_one_address_refuse_that_address_only(tmp_path):
    sprayed = build_app(tmp_path, seed=False, demo_cases=0, login_ip_max_failures=3)
    engine = sprayed.server.extensions["onescreen.security"].engine
    create_user(engine, "carol", "leader", password=PASSWORD, actor="admin")
    attacker = sprayed.server.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    csrf = form_csrf(attacker)
    for username in ("carol", "dave", "erin"):  # one guess per account: no account lock-out
        assert post_login(attacker, csrf, username, "Summer-2031!").status_code == 401
    refused = post_login(attacker, csrf, "carol", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this address" in refused.get_data(as_text=True)
    assert find(engine, "carol")["locked_until"] is None  # the account itself is not locked
    rows = audit_rows(engine, "login.locked")
    assert rows and rows[0]["target"] == "ip:10.0.0.7" and rows[0]["outcome"] == "denied"  # newest first
    colleague = sprayed.server.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    assert post_login(colleague, form_csrf(colleague), "carol", PASSWORD).status_code == 302
