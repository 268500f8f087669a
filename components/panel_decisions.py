"""The leaders' "needs a decision" panel (待决策事项): the few things that want a decision now,
ranked (domain/decisions.py), each one sentence in the reader's language, large enough to read
from across the room; its source line names where the figures come from and when they were read.
Nothing waiting is said in words too, so an empty panel never looks broken."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dash import html

from components import panel_builders as pb
from components.chain_words import finding_text
from components.panel_source import source_line
from domain.chain_analysis import Finding
from domain.decisions import Decision, Name, Term
from locales import t
from security.scope import Scope
from security.web_context import current_principal
from services.decisions import read_decisions
from services.freshness import age_text

HIDDEN: dict[str, Any] = {"aria-hidden": "true"}  # the icon repeats what the sentence says
ICONS = {"alert": "bi-exclamation-octagon-fill", "overdue": "bi-hourglass-split", "gap": "bi-diagram-3-fill"}


def word(value: object, lang: str) -> str:
    """One value of a sentence in `lang`."""
    if isinstance(value, Name):
        return value.zh if lang == "zh" else value.en
    if isinstance(value, Term):
        return t(value.key, lang)
    if isinstance(value, timedelta):
        return age_text(max(value, timedelta(minutes=1)), lang)
    if isinstance(value, Finding):
        return finding_text(value, lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "—" if value is None else str(value)


def sentence(decision: Decision, lang: str) -> str:
    return t(decision.key, lang, **{key: word(value, lang) for key, value in decision.values.items()})


def decisions_panel(lang: str, scope: Scope, late: timedelta) -> html.Section:
    read = read_decisions(scope, current_principal())
    items: list[Any] = [
        html.Li(
            [
                html.I(className=f"bi {ICONS[d.kind]}", **HIDDEN),
                html.Span(sentence(d, lang)),
            ],
            className=f"os-decision os-decision-{d.kind}",
        )
        for d in read.decisions
    ]
    if not items:
        body: Any = html.Div(
            [html.I(className="bi bi-check2-circle me-2"), t("decisions.none", lang)],
            className="os-decisions-none",
        )
    else:
        body = html.Ol(items, className="os-decisions")
    source = source_line(read.contracts, read.read_at, read.stale, lang, late)
    return pb.panel(t("decisions.title", lang), body, source, "os-decisions-panel")
