"""Commands for users and API tokens (`flask --app app users …`, `flask --app app tokens …`).
Passwords are prompted for (hidden, typed twice) or read from standard input, never taken as
an argument, so they stay out of shell history and process lists. Every change is audited with
the operating-system user as the actor."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from security import tokens as api_tokens
from security import users
from security.roles import TOKEN_ONLY_ROLES, Role
from services.context import get_services

users_cli = AppGroup("users", help="Users: create, reset passwords, roles, disable, unlock.")
tokens_cli = AppGroup("tokens", help="API tokens for other portals: issue, list, revoke.")
ROLE_CHOICE = click.Choice([r.value for r in Role if r not in TOKEN_ONLY_ROLES])
# Least privilege: a token is for a portal reading data (or a citizen app reporting: reporter),
# never for administering (security.tokens refuses an admin token too; the command line does
# not offer one).
TOKEN_ROLE_CHOICE = click.Choice([r.value for r in Role if r is not Role.ADMIN])


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _engine():
    return get_services().engine


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@contextmanager
def _refusals_told() -> Iterator[None]:
    """A refusal of security's (UserError, TokenError) becomes the command's one-line error, exit 1."""
    try:
        yield
    except (users.UserError, api_tokens.TokenError) as exc:
        raise click.ClickException(str(exc)) from None


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, type=ROLE_CHOICE, help="repeat for several roles"
)
@click.option("--department", help="the department a department head reads (departments.id)")
@click.option("--name", "display_name", help="the name shown in the header")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_create(username: str, roles: tuple[str, ...], department: str | None, display_name: str | None,
                 password_stdin: bool) -> None:  # fmt: skip
    """Create a user with a password (checked against the password policy)."""
    password = _password(password_stdin)
    with _refusals_told():
        users.create_user(_engine(), username, list(roles), password=password, actor=_actor(),
                          display_name=display_name, department=department)  # fmt: skip
    click.echo(f"created {username} ({', '.join(roles)})")


@users_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_password(username: str, password_stdin: bool) -> None:
    """Set a new password; it also unlocks the account and ends its open sessions."""
    with _refusals_told():
        users.set_password(_engine(), username, _password(password_stdin), actor=_actor())
    click.echo(f"password of {username} changed; open sessions ended")


@users_cli.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE)
@click.option("--department")
def users_roles(username: str, roles: tuple[str, ...], department: str | None) -> None:
    """Replace a user's roles (and department); their open sessions end."""
    with _refusals_told():
        users.set_roles(_engine(), username, list(roles), department=department, actor=_actor())
    click.echo(f"{username}: {', '.join(roles)}" + (f" ({department})" if department else ""))


@users_cli.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: no sign-in, open sessions end."""
    with _refusals_told():
        users.set_disabled(_engine(), username, True, actor=_actor())
    click.echo(f"{username} disabled")


@users_cli.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    with _refusals_told():
        users.set_disabled(_engine(), username, False, actor=_actor())
    click.echo(f"{username} enabled")


@users_cli.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """End a lock-out after too many wrong passwords."""
    with _refusals_told():
        users.unlock(_engine(), username, actor=_actor())
    click.echo(f"{username} unlocked")


@users_cli.command("list")
def users_list() -> None:
    now = datetime.now(UTC)
    for row in users.list_users(_engine()):
        # a lock-out ends by itself at locked_until: the column keeps the past time afterwards
        locked = row["locked_until"] is not None and row["locked_until"] > now
        flags = [
            f for f, on in (("demo", row["is_demo"]), ("disabled", row["disabled"]), ("locked", locked)) if on
        ]
        department = f" [{row['department']}]" if row["department"] else ""
        click.echo(f"{row['username']:<24} {row['roles']}{department} {' '.join(flags)}".rstrip())


@tokens_cli.command("issue")
@click.argument("client")
@click.option(
    "--role", required=True, type=TOKEN_ROLE_CHOICE,
    help="what the token may do; reporter: a citizen app that reports to POST /open311/v2/requests "
    "and reads back its own reports, nothing else",
)  # fmt: skip
@click.option("--department")
@click.option("--expires-days", type=click.IntRange(1, 3650))
def tokens_issue(client: str, role: str, department: str | None, expires_days: int | None) -> None:
    """Issue a token for another portal. It is printed once and cannot be shown again."""
    with _refusals_told():
        token, pk = api_tokens.issue(_engine(), client, role, actor=_actor(), department=department,
                                     expires_days=expires_days)  # fmt: skip
    click.echo(f"token {pk} for {client} ({role}); keep it now, it cannot be shown again:", err=True)
    click.echo(token)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    with _refusals_told():
        api_tokens.revoke(_engine(), token_id, actor=_actor())
    click.echo(f"token {token_id} revoked")


@tokens_cli.command("list")
def tokens_list() -> None:
    now = datetime.now(UTC)
    for row in api_tokens.list_tokens(_engine()):
        if row["revoked_at"]:
            state = "revoked"
        elif row["expires_at"] is not None and row["expires_at"] <= now:
            state = "expired"  # refused like a revoked one, though nobody revoked it
        else:
            state = "active"
        department = f" [{row['department']}]" if row["department"] else ""
        click.echo(f"{row['pk']:>4} {row['prefix']}… {row['client']:<24} {row['role']}{department} {state}")
