"""Department scoping: which department's records a request may read. Services take the
resulting Scope as a required argument and filter inside their queries, so no caller can
forget it; asking for another department is refused (403) and audited."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from flask import abort

from security.principal import Principal
from security.roles import department_scoped


@dataclass(frozen=True)
class Scope:
    department: str | None  # None: the whole park

    @property
    def whole_park(self) -> bool:
        return self.department is None


WHOLE_PARK = Scope(None)


def resolve_scope(
    principal: Principal, requested: object, *, what: str, known: Callable[[], Collection[str]] | None = None
) -> Scope:
    """The scope for `requested` (a department id, or None/"" for "as much as I may see").
    A department-scoped principal asking for another department, or sending something that
    is not a department id at all, gets 403 and an audit row; `what` names the request.
    `known` gives the department ids: another id is answered 400 (it would only ever read
    nothing, and must not become a cache key)."""
    from security.web_context import audit_request  # Flask-side helper, imported late

    own = principal.scoped_department
    if department_scoped(principal.roles) and not principal.department:
        # a department head without a department fails closed (users and tokens prevent it)
        audit_request("scope.denied", outcome="denied", target=what, detail={"requested": None, "own": None})
        abort(403)
    if requested in (None, ""):
        return Scope(own)
    if not isinstance(requested, str) or len(requested) > 32:
        if own is None:  # a whole-park reader sent nonsense: a bad request, not a refusal
            abort(400, description="department: a department id is expected")
        audit_request(
            "scope.denied", outcome="denied", target=what, detail={"requested": repr(requested)[:80]}
        )
        abort(403)
    if own is not None and requested != own:
        audit_request(
            "scope.denied", outcome="denied", target=what, detail={"requested": requested, "own": own}
        )
        abort(403)
    if known is not None and requested not in known():
        abort(400, description=f"unknown department {requested!r}")
    return Scope(requested)
