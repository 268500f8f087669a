"""What the sign-in modules share: a password the policy accepts, the fake clock's start, the
audit rows of an action, and a sign-in posted as the form does."""

from __future__ import annotations

from datetime import UTC, datetime

from security import audit
from security.audit import AuditFilter

PASSWORD = "Harbour-Lantern-47"
T0 = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in the park's default zone (Asia/Shanghai)


def audit_rows(engine, action: str, actor: str | None = None) -> list[dict]:
    frame = audit.query(engine, AuditFilter(actions=(action,), actor=actor), limit=None)
    return frame.to_dict("records")


def post_login(client, csrf: str, username: str, password: str):
    return client.post(
        "/login", data={"csrf": csrf, "username": username, "password": password, "lang": "en"}
    )
