"""Signed, expiring embed tokens: one panel with its parameters, shown in another portal's
iframe (issue 13, item 4). The token is itsdangerous' signature (with the app's secret) over
{id, panel, params, exp}; the store's row (store/models_embed.py) lets an admin list and revoke
it, and a revoked token is refused on its very next request. Issuing, revoking and refusing an
expired or revoked token are audited; a token that does not verify is not (anyone can send
noise, and it would flood the log)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Engine, RowMapping, insert, select, update

from security import audit
from store.engine import begin_write
from store.models_embed import EmbedToken

SALT = "onescreen.embed"  # a session cookie or another signed value never verifies as an embed token
MAX_HOURS = 24 * 366
MAX_TOKEN_CHARS = 2000


class EmbedTokenError(ValueError):
    """A token cannot be issued or revoked as asked; the message says why."""


class EmbedRefused(Exception):
    """A token that does not open its panel; `reason` is one of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REASONS = ("invalid", "expired", "revoked")


@dataclass(frozen=True)
class EmbedGrant:
    """What a verified token allows: this one panel with these parameters, until `expires_at`."""

    token_id: int
    panel: str
    params: Mapping[str, Any]
    expires_at: datetime


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def issue(
    engine: Engine,
    secret: str,
    panel: str,
    params: Mapping[str, Any],
    *,
    hours: int,
    label: str,
    actor: str,
    check_params: Callable[[str, Mapping[str, Any]], dict[str, Any]],
    ip: str | None = None,
) -> tuple[str, int]:
    """Issue a token for `panel` with `params` (checked and normalised by `check_params`, which
    raises EmbedTokenError naming what is wrong); returns (the token, its id)."""
    label = label.strip() if isinstance(label, str) else ""
    if not label or len(label) > 100:
        raise EmbedTokenError("a label of 1-100 characters (the portal that shows it) is needed")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise EmbedTokenError(f"a token expires after 1 to {MAX_HOURS} hours")
    clean = check_params(panel, params)
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(hours=hours)
    with begin_write(engine) as connection:
        (pk,) = connection.execute(
            insert(EmbedToken).values(
                panel=panel, params=clean, label=label, created_by=actor, created_at=now, expires_at=expires
            )
        ).inserted_primary_key  # type: ignore[misc]
        detail = {"panel": panel, "params": clean, "label": label, "hours": hours}
        audit.record(connection, "embed.issue", actor=actor, target=f"embed:{pk}", detail=detail, ip=ip)
    payload = {"id": pk, "panel": panel, "params": clean, "exp": int(expires.timestamp())}
    return _serializer(secret).dumps(payload), pk


def revoke(engine: Engine, pk: int, *, actor: str, ip: str | None = None) -> None:
    with begin_write(engine) as connection:
        row = connection.execute(select(EmbedToken.__table__).where(EmbedToken.pk == pk)).mappings().first()
        if row is None:
            raise EmbedTokenError(f"no embed token {pk}")
        if row["revoked_at"] is not None:
            raise EmbedTokenError(f"embed token {pk} is revoked already")
        connection.execute(update(EmbedToken).where(EmbedToken.pk == pk).values(revoked_at=datetime.now(UTC)))
        detail = {"panel": row["panel"], "label": row["label"]}
        audit.record(connection, "embed.revoke", actor=actor, target=f"embed:{pk}", detail=detail, ip=ip)


def list_tokens(engine: Engine) -> list[RowMapping]:
    with engine.connect() as connection:
        query = select(EmbedToken.__table__).order_by(EmbedToken.pk.desc())
        return list(connection.execute(query).mappings())


def _payload(secret: str, token: object) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise EmbedRefused("invalid")
    try:
        payload = _serializer(secret).loads(token)
    except BadData:  # a wrong signature, a tampered payload, or not a token at all
        raise EmbedRefused("invalid") from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("id"), int)
        and isinstance(payload.get("panel"), str)
        and isinstance(payload.get("params"), dict)
        and isinstance(payload.get("exp"), int)
    ):
        raise EmbedRefused("invalid")
    return payload


def verify(engine: Engine, secret: str, token: object, *, now: float | None = None,
           ip: str | None = None) -> EmbedGrant:  # fmt: skip
    """The grant `token` carries, or EmbedRefused with the reason: invalid (not signed by this
    app, tampered, or its row is gone), expired, or revoked."""
    payload = _payload(secret, token)
    with engine.connect() as connection:
        row = (
            connection.execute(select(EmbedToken.__table__).where(EmbedToken.pk == payload["id"]))
            .mappings()
            .first()
        )
    # the row must name what the signature does: a token of a store restored from an older
    # backup, whose ids were given again, opens nothing
    if row is None or row["panel"] != payload["panel"] or dict(row["params"]) != payload["params"]:
        raise EmbedRefused("invalid")
    problem = None
    if row["revoked_at"] is not None:
        problem = "revoked"
    elif payload["exp"] <= (time.time() if now is None else now):
        problem = "expired"
    if problem:
        audit.record(engine, "embed.refused", actor=f"embed:{row['label']}"[:100], outcome="denied",
                     target=f"embed:{row['pk']}", detail={"reason": problem}, ip=ip)  # fmt: skip
        raise EmbedRefused(problem)
    return EmbedGrant(row["pk"], row["panel"], dict(row["params"]), row["expires_at"])
