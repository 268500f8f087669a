"""API tokens for other portals: issued by an admin per client, scoped to one role (and a
department), revocable, every step audited. The token is shown once; the store keeps its
SHA-256 (a random 256-bit secret needs no slow hash), so a leaked database leaks no token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, RowMapping, insert, select, update

from security import audit
from security.principal import Principal
from security.roles import Role, department_scoped, parse_roles
from store.engine import begin_write
from store.models import ApiToken, Department

PREFIX = "os_"
# last_used_at is written at most this often per token (not on every request)
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be issued or revoked as asked; the message says why."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(
    engine: Engine,
    client: str,
    role: str,
    *,
    actor: str,
    department: str | None = None,
    expires_days: int | None = None,
    ip: str | None = None,
) -> tuple[str, int]:
    """Issue a token; returns (the token, its id). The token is not stored and cannot be shown again."""
    client = client.strip() if isinstance(client, str) else ""
    if not client or len(client) > 100:
        raise TokenError("a client name of 1-100 characters is needed")
    if expires_days is not None and (not isinstance(expires_days, int) or not 1 <= expires_days <= 3650):
        raise TokenError("a token expires after 1 to 3650 days, or never")
    try:
        (parsed,) = parse_roles([role])
    except ValueError as exc:
        raise TokenError(str(exc)) from None
    if parsed is Role.ADMIN:  # least privilege: a portal reads data, it does not administer
        raise TokenError("tokens are not issued for the admin role")
    if department_scoped((parsed,)) and not department:
        raise TokenError("a department head's token needs a department")
    token = PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with begin_write(engine) as connection:
        if (
            department
            and connection.execute(select(Department.id).where(Department.id == department)).first() is None
        ):
            raise TokenError(f"unknown department {department!r}")
        (pk,) = connection.execute(
            insert(ApiToken).values(
                client=client,
                role=parsed.value,
                department=department,
                token_hash=_digest(token),
                prefix=token[: len(PREFIX) + 6],
                created_by=actor,
                created_at=now,
                expires_at=now + timedelta(days=expires_days) if expires_days else None,
            )
        ).inserted_primary_key  # type: ignore[misc]
        detail = {
            "client": client,
            "role": parsed.value,
            "department": department,
            "expires_days": expires_days,
        }
        audit.record(connection, "token.issue", actor=actor, target=f"token:{pk}", detail=detail, ip=ip)
    return token, pk


def revoke(engine: Engine, pk: int, *, actor: str, ip: str | None = None) -> None:
    with begin_write(engine) as connection:
        row = connection.execute(select(ApiToken.__table__).where(ApiToken.pk == pk)).mappings().first()
        if row is None:
            raise TokenError(f"no token {pk}")
        if row["revoked_at"] is not None:
            raise TokenError(f"token {pk} is revoked already")
        connection.execute(update(ApiToken).where(ApiToken.pk == pk).values(revoked_at=datetime.now(UTC)))
        audit.record(
            connection,
            "token.revoke",
            actor=actor,
            target=f"token:{pk}",
            detail={"client": row["client"]},
            ip=ip,
        )


def list_tokens(engine: Engine) -> list[RowMapping]:
    with engine.connect() as connection:
        return list(connection.execute(select(ApiToken.__table__).order_by(ApiToken.pk)).mappings())


def resolve(engine: Engine, token: str, *, now: datetime, ip: str | None = None) -> Principal | None:
    """The principal a bearer token stands for, or None. A revoked or expired token is audited;
    an unknown one is not (anyone can send noise, and it would flood the log)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with engine.connect() as connection:
        row = (
            connection.execute(select(ApiToken.__table__).where(ApiToken.token_hash == _digest(token)))
            .mappings()
            .first()
        )
    if row is None:
        return None
    problem = None
    if row["revoked_at"]:
        problem = "revoked"
    elif row["expires_at"] and row["expires_at"] <= now:
        problem = "expired"
    if problem:
        audit.record(engine, "token.refused", actor=f"token:{row['client']}", outcome="denied",
                     target=f"token:{row['pk']}", detail={"reason": problem}, ip=ip)  # fmt: skip
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_EVERY:
        with engine.begin() as connection:
            connection.execute(update(ApiToken).where(ApiToken.pk == row["pk"]).values(last_used_at=now))
    return Principal(
        kind="token",
        name=f"token:{row['client']}",
        display_name=row["client"],
        roles=(Role(row["role"]),),
        department=row["department"],
        token_pk=row["pk"],
    )
