"""The users-and-tokens page's logic without callbacks: rows for its two tables (never a
password hash or a token hash) and the checks of what a browser sends, which may be anything.
A value the page's controls cannot send becomes an InputError with a translated message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from components.admin_common import yes_no
from components.timefmt import format_time
from locales import t
from security import tokens, users
from security.roles import TOKEN_ONLY_ROLES, Role
from services.reference import department_name, departments

ROLE_VALUES = tuple(r.value for r in Role if r not in TOKEN_ONLY_ROLES)  # a user's roles
# Least privilege: a token is for a portal reading data (or a citizen app reporting), never for
# administering (security.tokens refuses an admin token too; the page does not offer one).
TOKEN_ROLE_VALUES = tuple(r.value for r in Role if r is not Role.ADMIN)
MAX_DAYS = 3650
TIME = "%Y-%m-%d %H:%M"


class InputError(ValueError):
    """A form value the page cannot use; `message(lang)` says what to fix."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, lang: str) -> str:
        values = {k: t(f"access.field.{v}", lang) if k == "field" else v for k, v in self.values.items()}
        return t(self.key, lang, **values)


def role_options(lang: str, values: tuple[str, ...] = ROLE_VALUES) -> list[dict]:
    return [{"label": t(f"role.{r}", lang), "value": r} for r in values]


def token_role_options(lang: str) -> list[dict]:
    return role_options(lang, TOKEN_ROLE_VALUES)


def department_options(lang: str) -> list[dict]:
    return [{"label": d["name"] if lang == "zh" else d["name_en"], "value": d["id"]} for d in departments()]


def text(value: object, key: str, limit: int, *, required: bool = True) -> str:
    """A stripped text of at most `limit` characters (`key` names the field's message)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError("access.bad_value", field=key)
    value = value.strip()
    if required and not value:
        raise InputError("access.required", field=key)
    if len(value) > limit:
        raise InputError("access.too_long", field=key, limit=limit)
    return value


def password(value: object) -> str:
    """A password exactly as typed (spaces count); the policy is security's to judge."""
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > 256:
        raise InputError("access.bad_password")
    return value


def roles(value: object) -> list[str]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(r, str) and r in ROLE_VALUES for r in value):
        raise InputError("access.bad_roles")
    if not value:
        raise InputError("access.need_role")
    return list(dict.fromkeys(value))


def token_role(value: object) -> str:
    """A token's role: one the form offers (admin is not; a tampered request is told to choose)."""
    if not isinstance(value, str) or not value:
        raise InputError("access.need_role")
    if value not in TOKEN_ROLE_VALUES:
        raise InputError("access.bad_roles")
    return value


def department(value: object, chosen_roles: list[str]) -> str | None:
    if value in (None, ""):
        if Role.DEPARTMENT_HEAD.value in chosen_roles:
            raise InputError("access.need_department")
        return None
    if not isinstance(value, str) or value not in {d["id"] for d in departments()}:
        raise InputError("access.bad_department")
    return value


def days(value: object) -> int | None:
    """Days until a token expires: empty for never, else a whole number 1-3650."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InputError("access.bad_days", limit=MAX_DAYS)
    return value


def selected(rows: object, key: str) -> object:
    """The `key` of the row selected in a grid, or None (the rows come from the browser)."""
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return None
    return rows[0].get(key)


def selected_user(rows: object) -> str:
    name = selected(rows, "username")
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InputError("access.select_user")
    return name


def selected_token(rows: object) -> int:
    pk = selected(rows, "id")
    if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
        raise InputError("access.select_token")
    return pk


def _roles_text(value: str, lang: str) -> str:
    names = [r for r in value.split(",") if r]
    return "、".join(t(f"role.{r}", lang) if r in {*ROLE_VALUES, *TOKEN_ROLE_VALUES} else r for r in names)


def _department(value: str | None, lang: str) -> str:
    return department_name(value, lang) if value else "—"


def user_rows(engine, lang: str, zone: ZoneInfo) -> list[dict]:
    now = datetime.now(UTC)
    rows = []
    for u in users.list_users(engine):
        locked = u["locked_until"]
        rows.append(
            {
                "username": u["username"],
                "display_name": u["display_name"],
                "roles": _roles_text(u["roles"], lang),
                "department": _department(u["department"], lang),
                "demo": yes_no(u["is_demo"], lang),
                "disabled": yes_no(u["disabled"], lang),
                "disabled_code": bool(u["disabled"]),
                "locked_until": format_time(locked, zone, TIME) if locked and locked > now else "—",
                "last_login": format_time(u["last_login_at"], zone, TIME),
            }
        )
    return rows


def token_rows(engine, lang: str, zone: ZoneInfo) -> list[dict]:
    rows = []
    for k in reversed(tokens.list_tokens(engine)):  # the newest first
        rows.append(
            {
                "id": k["pk"],
                "rid": str(k["pk"]),  # ag-grid row ids are text
                "client": k["client"],
                "role": _roles_text(k["role"], lang),
                "department": _department(k["department"], lang),
                "prefix": k["prefix"] + "…",
                "created_by": k["created_by"],
                "created_at": format_time(k["created_at"], zone, TIME),
                "expires": format_time(k["expires_at"], zone, TIME)
                if k["expires_at"]
                else t("access.never", lang),
                "last_used": format_time(k["last_used_at"], zone, TIME),
                "revoked": format_time(k["revoked_at"], zone, TIME),
                "revoked_code": k["revoked_at"] is not None,
            }
        )
    return rows
