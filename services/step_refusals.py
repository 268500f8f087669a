"""What the case and alert commands share when a step is refused: its audit record (a denied
step, a failed one for a stale version, a probe of another department's subject) and its text
in the reader's language. The noun ("case", "alert") names the audit action (`<noun>.change`),
the target (`<noun>:<id>`) and the catalogue's keys (`<noun>_refusal.<code>`)."""

from __future__ import annotations

from typing import Any

from domain.steps import StaleVersion, StepRefused
from security.principal import Principal
from security.web_context import audit_request


def audit_refusal(
    noun: str, subject_id: str, action: str, error: Exception, principal: Principal, *, exists: bool
) -> None:
    """Audit why a step on `subject_id` was not taken: a StepRefused as a denied (a stale
    version: failed) `<noun>.change`; a subject that `exists` but is outside the principal's
    scope as a scope.denied probe. A missing subject is not audited."""
    target = f"{noun}:{subject_id[:64]}"
    if isinstance(error, StepRefused):
        outcome = "failed" if isinstance(error, StaleVersion) else "denied"
        detail = {"action": action, "refused": error.code, "why": str(error)[:200]}
        audit_request(f"{noun}.change", outcome=outcome, target=target, detail=detail)
    elif exists:
        audit_request(
            "scope.denied", outcome="denied", target=target, detail={"own": principal.scoped_department}
        )


def visible(
    noun: str, subject_id: str, row: dict[str, Any] | None, principal: Principal
) -> dict[str, Any] | None:
    """`row` when the principal may read it (its department is theirs, or they read the whole
    park); None for a missing row and for another department's, whose probe is audited as a
    scope.denied read (the detail views of cases and alerts)."""
    if row is None:
        return None
    own = principal.scoped_department
    if own is None or row.get("department") == own:
        return row
    audit_request("scope.denied", outcome="denied", target=f"{noun}:{subject_id[:64]}", detail={"own": own})
    return None


def refusal_text(noun: str, refusal: StepRefused, lang: str) -> str:
    """Why a step was refused, in `lang` (the domain's own words for a code without a translation)."""
    from locales import t

    key = f"{noun}_refusal.{refusal.code}"
    text = t(key, lang, **refusal.values)
    return str(refusal) if text == key else text
