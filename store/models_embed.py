"""The embed tokens' table (migration 0014): one row per signed embed token, so that a token can
be listed, revoked at once and audited. The token itself is signed, not stored: the row holds
what it names (panel, parameters, expiry) and whether it is revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.model_base import Base
from store.model_base import pk_column as _pk
from store.types import JsonType


class EmbedToken(Base):
    __tablename__ = "embed_tokens"
    pk: Mapped[int] = _pk()
    panel: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(JsonType)
    label: Mapped[str] = mapped_column(String(100))  # which portal shows it, for the admin's list
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
