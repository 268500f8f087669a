"""Roles and the permissions they grant: the one table every check reads (DESIGN.md, "Users,
roles and what each may see"). Pure data, no Flask."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    LEADER = "leader"  # reads everything
    DEPARTMENT_HEAD = "department_head"  # reads, exports and works their own department's data only
    DUTY_OFFICER = "duty_officer"  # alerts and cases: acknowledge, assign, escalate, dispatch, close
    VIEWER = "viewer"  # screens only, no records
    ADMIN = "admin"  # users, roles, sources, screen layouts, the audit log
    REPORTER = "reporter"  # a citizen app's API token: reports service requests, reads nothing


class Permission(StrEnum):
    VIEW_SCREENS = "view_screens"  # the screens' aggregate panels
    READ_RECORDS = "read_records"  # single cases, alerts and readings (drill-down, API)
    EXPORT = "export"  # downloads of records
    ACT = "act"  # change a case or an alert
    VIEW_SOURCES = "view_sources"  # the health of the data sources
    MANAGE_SOURCES = "manage_sources"  # check a source now, configure sources
    MANAGE_USERS = "manage_users"  # users, roles and API tokens
    READ_AUDIT = "read_audit"  # the audit log and its export
    MANAGE_LAYOUTS = "manage_layouts"  # screen layouts
    REPORT = "report"  # file a new case (POST /open311/v2/requests): citizen apps


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.LEADER: frozenset({P.VIEW_SCREENS, P.READ_RECORDS, P.EXPORT, P.VIEW_SOURCES}),
    # a department head works their department's cases (start, handle, return: domain/case_lifecycle.py)
    Role.DEPARTMENT_HEAD: frozenset({P.VIEW_SCREENS, P.READ_RECORDS, P.EXPORT, P.ACT}),
    Role.DUTY_OFFICER: frozenset({P.VIEW_SCREENS, P.READ_RECORDS, P.ACT, P.VIEW_SOURCES}),
    Role.VIEWER: frozenset({P.VIEW_SCREENS}),
    Role.ADMIN: frozenset(
        {P.VIEW_SCREENS, P.VIEW_SOURCES, P.MANAGE_SOURCES, P.MANAGE_USERS, P.READ_AUDIT, P.MANAGE_LAYOUTS}
    ),
    # A citizen app reports and reads nothing back: no records, no screens' figures. It may read
    # the Open311 service list (the codes it reports with), which that view grants to REPORT too.
    Role.REPORTER: frozenset({P.REPORT}),
}
# Roles only an API token holds (a citizen app's integration, never a person signing in).
TOKEN_ONLY_ROLES = frozenset({Role.REPORTER})

# Roles whose reading is limited to the user's department. A user who also holds a role that
# reads the whole park (leader, duty officer) reads the whole park.
DEPARTMENT_SCOPED = frozenset({Role.DEPARTMENT_HEAD})
# What an anonymous visitor may be given (the anonymous_role setting): never a role that
# changes data, administers or needs a department.
ANONYMOUS_ROLES = (Role.VIEWER, Role.LEADER)
# Whatever the anonymous role, a visitor who has not signed in sees screens only: records,
# exports and actions always need a sign-in (or an API token).
ANONYMOUS_PERMISSIONS = frozenset({P.VIEW_SCREENS, P.VIEW_SOURCES})


def parse_roles(value: str | Iterable[str]) -> tuple[Role, ...]:
    """'leader,viewer' or ['leader', 'viewer'] → roles in a stable order. Raises ValueError
    naming an unknown role, or for none at all."""
    names = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(n, str) for n in names):
        raise ValueError("roles are given by name")
    names = [n.strip() for n in names if n and n.strip()]
    known = {r.value for r in Role}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if not names:
        raise ValueError("at least one role is needed")
    return tuple(r for r in Role if r.value in names)


def format_roles(roles: Iterable[Role]) -> str:
    return ",".join(r.value for r in Role if r in set(roles))


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= GRANTS[role]
    return frozenset(granted)


# Roles that read the whole park's records: holding one lifts the department limit.
WHOLE_PARK_READERS = frozenset({Role.LEADER, Role.DUTY_OFFICER})


def department_scoped(roles: Iterable[Role]) -> bool:
    """True when the roles read only their own department: a department head who holds no
    whole-park reading role (viewer and admin read no records, so they change nothing)."""
    roles = set(roles)
    return bool(roles & DEPARTMENT_SCOPED) and not roles & WHOLE_PARK_READERS
