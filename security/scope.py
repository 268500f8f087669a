"""Department scoping: which department's records a request may read. Services take the
resulting Scope as a required argument and filter inside their queries, so no caller can
forget it; asking for another department is refused (403) and audited."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from security.principal import Principal


@dataclass(frozen=True)
class Scope:
    department: str | None  # None: the whole park

    @property
    def whole_park(self) -> bool:
        return self.department is None


WHOLE_PARK = Scope(None)


def resolve_scope(principal: Principal, requested: object, *, what: str) -> Scope:
    """The scope for `requested` (a department id, or None/"" for "as much as I may see").
    A department-scoped principal asking for another department, or sending something that
    is not a department id at all, gets 403 and an audit row; `what` names the request."""
    from security.web_context import audit_request  # Flask-side helper, imported late

    own = principal.scoped_department
    if requested in (None, ""):
        return Scope(own)
    if not isinstance(requested, str) or len(requested) > 32:
        audit_request(
            "scope.denied", outcome="denied", target=what, detail={"requested": repr(requested)[:80]}
        )
        abort(403 if own else 400)
    if own is not None and requested != own:
        audit_request(
            "scope.denied", outcome="denied", target=what, detail={"requested": requested, "own": own}
        )
        abort(403)
    return Scope(requested)
