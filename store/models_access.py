"""Tables of access control (migration 0002): users, API tokens and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.model_base import Base
from store.model_base import pk_column as _pk
from store.types import JsonType


class User(Base):
    """A person who logs in. Roles are security.roles.Role values, comma-separated; a
    department head also names a department (departments.id)."""

    __tablename__ = "users"
    pk: Mapped[int] = _pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # argon2id (PHC string); None for the embedded demo users, who log in with one click only
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(120))
    department: Mapped[str | None] = mapped_column(String(32))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # part of the session's user id: raising it (password reset, role change, disabling) ends
    # every session the user has open
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for another portal. Only its SHA-256 is stored; the token itself is shown
    once, when issued."""

    __tablename__ = "api_tokens"
    pk: Mapped[int] = _pk()
    client: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditRow(Base):
    """One entry of the audit log: who, when, what, from where. Append-only in the database
    itself (triggers in migration 0002 refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    pk: Mapped[int] = _pk()
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # ok / denied / failed
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    ip: Mapped[str | None] = mapped_column(String(64))
