"""Who is making a request: a logged-in user, a portal holding an API token, or an anonymous
visitor (with the anonymous_role setting's role, or none). Flask-Login's user interface."""

from __future__ import annotations

from dataclasses import dataclass, field

from security.roles import ANONYMOUS_PERMISSIONS, Permission, Role, department_scoped, permissions_of


@dataclass(frozen=True)
class Principal:
    kind: str  # user / token / wall (a token kept by a wall's browser: security.wall_sessions) / anonymous
    name: str  # username, "token:<client>", "wall:<client>" or "anonymous"
    display_name: str
    roles: tuple[Role, ...]
    department: str | None = None
    user_pk: int | None = None
    token_pk: int | None = None  # the API token's id, for a token's principal
    session_epoch: int = 0
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        granted = permissions_of(self.roles)
        if self.kind in ("anonymous", "wall"):  # a wall token's screen sees what a guest may
            granted &= ANONYMOUS_PERMISSIONS
        object.__setattr__(self, "permissions", granted)

    # Flask-Login's interface
    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def is_active(self) -> bool:
        return self.kind != "anonymous"

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def get_id(self) -> str | None:
        # the epoch makes a session end when the password, roles or status change
        return f"{self.user_pk}:{self.session_epoch}" if self.kind == "user" else None

    @property
    def may_enter(self) -> bool:
        """Signed in, or anonymous with a role given by the anonymous_role setting."""
        return bool(self.roles)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def scoped_department(self) -> str | None:
        """The one department this principal may read, or None for the whole park."""
        return self.department if department_scoped(self.roles) else None


def anonymous(role: Role | None) -> Principal:
    return Principal("anonymous", "anonymous", "anonymous", (role,) if role else ())
