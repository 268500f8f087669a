"""The audit log: who did what, when, to what, from where. Rows are only ever inserted; the
database refuses UPDATE and DELETE (triggers of migration 0002). Details never hold passwords
or tokens (record() refuses such keys)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select

from store.models import AuditRow

log = logging.getLogger(__name__)

# Every action the app records, grouped as the audit page filters them.
ACTIONS = (
    "login.success",
    "login.failure",
    "login.locked",
    "logout",
    "session.expired",
    "access.denied",
    "scope.denied",
    "export",
    "user.create",
    "user.password",
    "user.roles",
    "user.disable",
    "user.enable",
    "user.unlock",
    "token.issue",
    "token.revoke",
    "token.refused",
    "wall.enrol",
    "source.check",
    "case.change",
    "case.import",
    "enterprises.sync",
    "alert.change",
    "embed.issue",
    "embed.revoke",
    "embed.refused",
    "store.backup",
    "store.restore",
)
OUTCOMES = ("ok", "denied", "failed")
SECRET_KEYS = frozenset({"password", "new_password", "token", "secret", "password_hash", "token_hash"})
COLUMNS = ["at", "actor", "action", "outcome", "target", "detail", "ip"]


@dataclass(frozen=True)
class AuditFilter:
    actions: tuple[str, ...] = ()
    outcome: str | None = None
    actor: str | None = None  # substring, case-insensitive
    target: str | None = None  # substring, case-insensitive
    since: datetime | None = None
    until: datetime | None = None


def record(
    bind: Engine | Connection,
    action: str,
    *,
    actor: str,
    outcome: str = "ok",
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry. `bind` may be a connection inside the transaction that made the
    change, so the change and its audit row are committed together."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if detail and _holds_secret(detail):
        raise ValueError("audit details never hold passwords or tokens")
    row = {
        "at": at or datetime.now(UTC),
        "actor": actor[:100],
        "action": action,
        "outcome": outcome,
        "target": target[:200] if target else None,
        "detail": detail or None,
        "ip": ip[:64] if ip else None,
    }
    statement = insert(AuditRow).values(**row)
    if isinstance(bind, Connection):
        bind.execute(statement)
    else:
        with bind.begin() as connection:
            connection.execute(statement)
    if outcome != "ok":
        log.info("audit: %s %s by %s on %s from %s", action, outcome, actor, target or "-", ip or "-")


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(SECRET_KEYS & {str(k).lower() for k in value}) or any(
            _holds_secret(v) for v in value.values()
        )
    if isinstance(value, list | tuple):
        return any(_holds_secret(v) for v in value)
    return False


def _where(filters: AuditFilter) -> list:
    clauses = []
    if filters.actions:
        clauses.append(AuditRow.action.in_(filters.actions))
    if filters.outcome:
        clauses.append(AuditRow.outcome == filters.outcome)
    if filters.actor:
        clauses.append(func.lower(AuditRow.actor).contains(filters.actor.lower(), autoescape=True))
    if filters.target:
        clauses.append(func.lower(AuditRow.target).contains(filters.target.lower(), autoescape=True))
    if filters.since:
        clauses.append(AuditRow.at >= filters.since)
    if filters.until:
        clauses.append(AuditRow.at < filters.until)
    return clauses


def query(engine: Engine, filters: AuditFilter = AuditFilter(), limit: int | None = 1000) -> pd.DataFrame:  # noqa: B008 - frozen
    """Matching entries, newest first, at most `limit` (None: all)."""
    statement = (
        select(*(getattr(AuditRow, c) for c in COLUMNS))
        .where(*_where(filters))
        .order_by(AuditRow.at.desc(), AuditRow.pk.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return pd.DataFrame(rows, columns=COLUMNS)


def count(engine: Engine, filters: AuditFilter = AuditFilter()) -> int:  # noqa: B008 - frozen
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(AuditRow).where(*_where(filters))
        ).scalar_one()
