"""Users in the store: create, change, authenticate (with lock-out after repeated failures),
and the embedded profile's demo users. Every change is audited in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, RowMapping, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from security import audit
from security.passwords import hash_password, needs_rehash, policy_problem, verify_password
from security.principal import Principal
from security.roles import TOKEN_ONLY_ROLES, Role, department_scoped, format_roles, parse_roles
from store.engine import begin_write
from store.models import Department, User

USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # ok / bad / locked / disabled
    principal: Principal | None = None
    locked_until: datetime | None = None


def principal_of(row: RowMapping) -> Principal:
    return Principal(
        kind="user",
        name=row["username"],
        display_name=row["display_name"],
        roles=parse_roles(row["roles"]),
        department=row["department"],
        user_pk=row["pk"],
        session_epoch=row["session_epoch"],
    )


def _row(connection: Connection, username: str) -> RowMapping | None:
    return connection.execute(select(User.__table__).where(User.username == username)).mappings().first()


def find(engine: Engine, username: str) -> RowMapping | None:
    with engine.connect() as connection:
        return _row(connection, username)


def load_session_user(engine: Engine, user_id: str) -> Principal | None:
    """The user a session names ("<pk>:<epoch>"), if it still exists, is enabled and the
    epoch matches (a password reset, role change or disabling ends older sessions)."""
    pk_text, _, epoch_text = str(user_id).partition(":")
    if not (pk_text.isdigit() and epoch_text.isdigit()):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(User.__table__).where(User.pk == int(pk_text))).mappings().first()
    if row is None or row["disabled"] or row["session_epoch"] != int(epoch_text):
        return None
    return principal_of(row)


def list_users(engine: Engine) -> list[RowMapping]:
    with engine.connect() as connection:
        return list(connection.execute(select(User.__table__).order_by(User.username)).mappings())


def _check_department(connection: Connection, roles: tuple[Role, ...], department: str | None) -> None:
    if department is not None:
        known = connection.execute(select(Department.id).where(Department.id == department)).first()
        if known is None:
            raise UserError(f"unknown department {department!r}")
    if department_scoped(roles) and not department:
        raise UserError("a department head needs a department")


def _check_username(username: str) -> None:
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise UserError("a username is 1-64 characters of a-z, 0-9, '.', '_' and '-'")


def _roles(value: str | list[str] | tuple[Role, ...]) -> tuple[Role, ...]:
    try:
        roles = parse_roles(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    token_only = [r.value for r in roles if r in TOKEN_ONLY_ROLES]
    if token_only:
        raise UserError(f"{', '.join(token_only)}: a role for a citizen app's API token, not for a user")
    return roles


def create_user(
    engine: Engine,
    username: str,
    roles: str | list[str] | tuple[Role, ...],
    *,
    password: str | None,
    actor: str,
    display_name: str | None = None,
    department: str | None = None,
    is_demo: bool = False,
    ip: str | None = None,
) -> Principal:
    """Create a user. A password is required (and checked against the policy) unless the user
    is a demo user of the embedded profile."""
    _check_username(username)
    parsed = _roles(roles)
    if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 100):
        raise UserError("a display name has at most 100 characters")
    if password is None and not is_demo:
        raise UserError("a password is needed")
    if password is not None and (problem := policy_problem(username, password)):
        raise UserError(problem)
    password_hash = hash_password(password) if password is not None else None  # outside the write lock
    try:
        with begin_write(engine) as connection:
            if _row(connection, username) is not None:
                raise UserError(f"user {username!r} exists already")
            _check_department(connection, parsed, department)
            connection.execute(
                insert(User).values(
                    username=username,
                    display_name=display_name or username,
                    password_hash=password_hash,
                    roles=format_roles(parsed),
                    department=department,
                    is_demo=is_demo,
                    disabled=False,
                    failed_logins=0,
                    session_epoch=0,
                    created_at=datetime.now(UTC),
                )
            )
            detail = {"roles": format_roles(parsed), "department": department, "demo": is_demo}
            audit.record(
                connection, "user.create", actor=actor, target=f"user:{username}", detail=detail, ip=ip
            )
            return principal_of(_row(connection, username))  # type: ignore[arg-type]
    except IntegrityError:  # created at the same moment by another request
        raise UserError(f"user {username!r} exists already") from None


def _change(
    engine: Engine,
    username: str,
    values: dict,
    action: str,
    actor: str,
    detail: dict,
    ip: str | None,
    *,
    ends_sessions: bool = True,
):
    with begin_write(engine) as connection:
        row = (
            connection.execute(select(User.__table__).where(User.username == username).with_for_update())
            .mappings()
            .first()
        )
        if row is None:
            raise UserError(f"no user {username!r}")
        if "roles" in values:
            _check_department(
                connection, parse_roles(values["roles"]), values.get("department", row["department"])
            )
        losing_admin = values.get("disabled") is True or (
            "roles" in values and Role.ADMIN not in parse_roles(values["roles"])
        )
        if losing_admin and _is_last_admin(connection, row):  # nobody could administer any more
            raise UserError(f"{row['username']} is the last enabled admin: make another admin first")
        if ends_sessions:  # a change of rights or credentials ends the user's open sessions
            values = {**values, "session_epoch": User.session_epoch + 1}
        connection.execute(update(User).where(User.pk == row["pk"]).values(**values))
        audit.record(connection, action, actor=actor, target=f"user:{username}", detail=detail or None, ip=ip)


def _is_last_admin(connection: Connection, row: RowMapping) -> bool:
    if row["disabled"] or Role.ADMIN not in parse_roles(row["roles"]):
        return False
    # the other admins' rows are locked too: two admins removing each other at once on
    # PostgreSQL must not both see the other one still there
    others = connection.execute(
        select(User.roles).where(User.pk != row["pk"], User.disabled.is_(False)).with_for_update()
    ).scalars()
    return not any(Role.ADMIN in parse_roles(roles) for roles in others)


def set_password(engine: Engine, username: str, password: str, *, actor: str, ip: str | None = None) -> None:
    """A new password; a demo user given one stops being a one-click demo user."""
    if not isinstance(password, str):
        raise UserError("a password is text")
    if problem := policy_problem(username, password):
        raise UserError(problem)
    values = {
        "password_hash": hash_password(password),
        "failed_logins": 0,
        "locked_until": None,
        "is_demo": False,
    }
    _change(engine, username, values, "user.password", actor, {}, ip)


def set_roles(
    engine: Engine,
    username: str,
    roles: str | list[str],
    *,
    department: str | None,
    actor: str,
    ip: str | None = None,
) -> None:
    parsed = _roles(roles)
    values = {"roles": format_roles(parsed), "department": department}
    _change(
        engine,
        username,
        values,
        "user.roles",
        actor,
        {"roles": values["roles"], "department": department},
        ip,
    )


def set_disabled(engine: Engine, username: str, disabled: bool, *, actor: str, ip: str | None = None) -> None:
    _change(
        engine, username, {"disabled": disabled}, "user.disable" if disabled else "user.enable", actor, {}, ip
    )


def unlock(engine: Engine, username: str, *, actor: str, ip: str | None = None) -> None:
    values = {"failed_logins": 0, "locked_until": None}
    _change(engine, username, values, "user.unlock", actor, {}, ip, ends_sessions=False)


def _shown_name(username: str, known: bool) -> str:
    """How an attempted username is recorded. An unknown one is masked: people type their
    password into the username box, and the audit log and the log must not keep it."""
    if known:
        return username
    return f"{username[:2]}…({len(username)})" if username else "?"


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
    ip: str | None = None,
) -> LoginResult:
    """Check a login. `max_failures` wrong passwords in a row lock the account for `lockout`;
    while locked, even the right password is refused. Every attempt is audited.

    The password is verified (about 0.1 s of argon2) before the write transaction starts, so a
    stream of guesses never holds SQLite's write lock; the counter is then updated on the row
    locked for update, so parallel guesses on PostgreSQL cannot overwrite each other's count."""
    with engine.connect() as connection:
        seen = _row(connection, username)
    if seen is None or seen["password_hash"] is None:
        verify_password(None, password)  # the same time as a real check: no username oracle
        reason = "unknown user" if seen is None else "no password"
        shown = _shown_name(username[:64], seen is not None)
        audit.record(engine, "login.failure", actor=shown, outcome="failed", target=f"user:{shown}",
                     detail={"reason": reason}, ip=ip)  # fmt: skip
        return LoginResult("bad")
    matches = verify_password(seen["password_hash"], password)
    target = f"user:{username}"
    with begin_write(engine) as connection:
        row = (
            connection.execute(select(User.__table__).where(User.pk == seen["pk"]).with_for_update())
            .mappings()
            .one()
        )
        if row["password_hash"] != seen["password_hash"]:
            matches = False  # the password changed meanwhile: the check was against the old one
        if row["locked_until"] is not None and row["locked_until"] > now:
            audit.record(connection, "login.locked", actor=username, outcome="denied", target=target,
                         detail={"locked_until": row["locked_until"].isoformat()}, ip=ip)  # fmt: skip
            return LoginResult("locked", locked_until=row["locked_until"])
        if not matches:
            failures = row["failed_logins"] + 1
            locked_until = now + lockout if failures >= max_failures else None
            connection.execute(
                update(User)
                .where(User.pk == row["pk"])
                .values(failed_logins=0 if locked_until else failures, locked_until=locked_until)
            )
            audit.record(connection, "login.failure", actor=username, outcome="failed", target=target,
                         detail={"reason": "wrong password", "failures": failures}, ip=ip)  # fmt: skip
            if locked_until:
                audit.record(connection, "login.locked", actor=username, outcome="denied", target=target,
                             detail={"locked_until": locked_until.isoformat(), "failures": failures}, ip=ip)  # fmt: skip
                return LoginResult("locked", locked_until=locked_until)
            return LoginResult("bad")
        if row["disabled"]:
            audit.record(connection, "login.failure", actor=username, outcome="denied", target=target,
                         detail={"reason": "disabled"}, ip=ip)  # fmt: skip
            return LoginResult("disabled")
        values: dict = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if row["password_hash"] == seen["password_hash"] and needs_rehash(row["password_hash"]):
            values["password_hash"] = hash_password(password)  # parameters were raised since
        connection.execute(update(User).where(User.pk == row["pk"]).values(**values))
        audit.record(connection, "login.success", actor=username, target=target, ip=ip)
        return LoginResult("ok", principal_of(row))


def demo_login(engine: Engine, username: str, *, now: datetime, ip: str | None = None) -> Principal | None:
    """The embedded profile's one-click login, for demo users only."""
    with begin_write(engine) as connection:
        row = _row(connection, username)
        if row is None or not row["is_demo"] or row["disabled"]:
            shown = _shown_name(username[:64], row is not None)
            audit.record(connection, "login.failure", actor=shown, outcome="failed",
                         target=f"user:{shown}", detail={"reason": "not a demo user"}, ip=ip)  # fmt: skip
            return None
        connection.execute(update(User).where(User.pk == row["pk"]).values(last_login_at=now))
        audit.record(
            connection,
            "login.success",
            actor=username,
            target=f"user:{username}",
            detail={"demo": True},
            ip=ip,
        )
        return principal_of(row)


# One demo user per role, created on the first start of the embedded profile.
# Names are people's names, as real users' are (they are not translated; the header shows the
# role beside the name in the screen's language).
DEMO_USERS = (
    ("leader", Role.LEADER, None, "李明"),
    ("dept-head", Role.DEPARTMENT_HEAD, "urban_management", "王芳"),
    ("duty", Role.DUTY_OFFICER, None, "赵强"),
    ("viewer", Role.VIEWER, None, "陈静"),
    ("admin", Role.ADMIN, None, "刘洋"),
)


def ensure_demo_users(engine: Engine) -> int:
    """Create the demo users when the store has no user at all; returns how many were made."""
    with engine.connect() as connection:
        if connection.execute(select(func.count()).select_from(User)).scalar_one():
            return 0
        departments = set(connection.execute(select(Department.id)).scalars())
    made = 0
    for username, role, department, name in DEMO_USERS:
        if department is not None and department not in departments:
            department = min(departments) if departments else None
            if department is None:
                continue  # no department in the store: no department head to demonstrate
        try:
            create_user(engine, username, (role,), password=None, actor="system", display_name=name,
                        department=department, is_demo=True)  # fmt: skip
        except (UserError, IntegrityError):  # another process made it first
            continue
        made += 1
    return made


def demo_users(engine: Engine) -> list[RowMapping]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(User.__table__).where(User.is_demo.is_(True), User.disabled.is_(False)).order_by(User.pk)
        ).mappings()
        return list(rows)
