"""Which panels of the registry (components/panels.py) an embed token may name, the parameters
it may carry, and the panel drawn alone. A panel is drawn from the token's parameters only
(never from anything the browser sends), so an embedded panel cannot be turned to data its
token does not name. Only panels that neither link anywhere (the KPI cards open the KPI page,
the chain summary the chains page: a drill-down out of the token's scope) nor read the
visitor's own rights are offered, and their graphs have no mode bar (no download). The alert
strip is offered as the token's: its alerts are those of the token's scope, shown because an
admin chose to publish them there, and it is a live panel (LIVE_PANELS): the page joins the
token's push stream (live/embed_stream.py) and redraws within seconds of an alert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import html

from components.alert_ticker import TICKER_ITEMS, severity_counts, ticker_frame, ticker_items
from components.panels import PANELS, SLOW
from locales import LANGUAGES, t
from security.embed_tokens import EmbedTokenError
from security.scope import Scope
from services.chains import chain_view
from services.context import get_services
from services.embed_alerts import newest_open, open_by_severity_in
from services.reference import department_ids, departments

EMBEDDABLE = ("case_trend", "cases_by_channel", "cases_by_domain", "chain_graph", "alert_ticker")
LIVE_PANELS = ("alert_ticker",)  # redrawn on the token's push stream as well as on the clock
COMMON_PARAMS = ("department", "lang")  # what every token may name besides the panel's own
REFRESH_MS = 60_000  # the registry's slow clock, which the embeddable panels but the live ones follow
assert all(PANELS[p].refresh_inputs == (SLOW,) for p in EMBEDDABLE if p not in LIVE_PANELS), (
    "an embedded panel refreshes every minute, or follows its stream"
)


def _known_chains() -> set[str]:
    links = chain_view().value.links
    return set(links["chain"]) if not links.empty else set()


def check_params(panel: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a token for `panel` carries, normalised; EmbedTokenError names what is
    wrong (a panel not offered, an unknown parameter, department or chain, a language not
    offered)."""
    if panel not in EMBEDDABLE:
        raise EmbedTokenError(f"unknown panel {panel!r} (embeddable: {', '.join(EMBEDDABLE)})")
    if not isinstance(params, Mapping):
        raise EmbedTokenError("parameters are a mapping of name to value")
    own = PANELS[panel].params
    allowed = (*COMMON_PARAMS, *own)
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise EmbedTokenError(f"unknown parameter(s) {', '.join(unknown)} (known: {', '.join(allowed)})")
    lang = params.get("lang") or "zh"
    if lang not in LANGUAGES:
        raise EmbedTokenError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    department = params.get("department") or None
    if department is not None and (not isinstance(department, str) or department not in department_ids()):
        raise EmbedTokenError(f"unknown department {department!r}")
    clean: dict[str, Any] = {"department": department, "lang": lang}
    chain = params.get("chain")
    if "chain" in own and chain is not None:
        if not isinstance(chain, str) or chain not in _known_chains():
            raise EmbedTokenError(f"unknown chain {chain!r}")
        clean["chain"] = chain
    return clean


def _department_name(department: str, lang: str) -> str:
    names = {d["id"]: d["name"] if lang == "zh" else d["name_en"] for d in departments()}
    return names.get(department, department)


def _data_panel(panel: str) -> dict[str, Any]:
    return {"data-panel": panel, **({"data-live": "true"} if panel in LIVE_PANELS else {})}


def _alert_ticker(lang: str, scope: Scope) -> html.Div:
    """The alert strip by the token's authority (the registry's asks the visitor's rights, and a
    portal's visitor has none): the open alerts of the token's scope, newest first."""
    counts = severity_counts(open_by_severity_in(scope), lang)
    rows = newest_open(scope, TICKER_ITEMS)
    return ticker_frame(lang, counts, ticker_items(rows, lang, get_services().settings.zone))


def draw(panel: str, params: Mapping[str, Any]) -> html.Div:
    """The panel alone, as its token names it; a department's panel says whose figures they are;
    a live panel is marked for assets/87-embed-live.js to join its stream."""
    lang = params["lang"]
    department = params.get("department")
    scoped = Scope(department)
    built = (
        _alert_ticker(lang, scoped) if panel == "alert_ticker" else PANELS[panel].build(params, lang, scoped)
    )
    scope = (
        [
            html.Div(
                t("embed.scope", lang, department=_department_name(department, lang)),
                className="os-embed-scope",
            )
        ]
        if department
        else []
    )
    return html.Div([*scope, built], className="os-embed-panel", **_data_panel(panel))
