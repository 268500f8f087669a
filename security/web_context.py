"""The security layer's state on the Flask app, and request helpers: the current principal,
the client's address, auditing a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import Engine

from config.settings import Settings
from security import audit
from security.principal import Principal, anonymous
from security.throttle import FailedSignIns, ReportLimit

KEY = "onescreen.security"


@dataclass
class SecurityState:
    settings: Settings
    engine: Engine
    dash_app: Any  # the Dash app: its callback map says which callback a request calls
    failed_sign_ins: FailedSignIns
    report_limit: ReportLimit | None = None  # per-token reports to Open311 (security.throttle)
    csp: str | None = field(default=None)  # computed once Dash has registered its inline scripts
    embed_csp: str | None = field(default=None)  # the same, framed by embed_frame_ancestors (/embed/)


def state() -> SecurityState:
    return current_app.extensions[KEY]


def current_principal() -> Principal:
    """Who is asking; an anonymous principal without roles outside a request."""
    if not has_request_context():
        return anonymous(None)
    user = current_user._get_current_object()  # the Principal, or the anonymous one
    return user if isinstance(user, Principal) else anonymous(None)


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def audit_request(
    action: str, *, outcome: str = "ok", target: str | None = None, detail: dict[str, Any] | None = None
) -> None:
    """Audit something the current request did or tried, as the current principal."""
    audit.record(
        state().engine,
        action,
        actor=current_principal().name,
        outcome=outcome,
        target=target,
        detail=detail,
        ip=client_ip(),
    )
