"""The data-freshness indicator in the shell: when the newest data arrived, which contract is
stale and whether any source is down, refreshed every 30 s. It judges by the same rule as the
Sources page (services.freshness), so the two never disagree."""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html

from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from services.freshness import freshness_summary

FRESHNESS = "shell-freshness"
TICK = "shell-freshness-tick"


def make_freshness(lang: str) -> html.Div:
    return html.Div(
        [html.Span(id=FRESHNESS, className="os-freshness"), dcc.Interval(id=TICK, interval=30_000)],
        className="os-freshness-box",
        title=t("freshness.title", lang),
    )


def update_freshness(_tick: int | None, lang: str):
    lang = normalise(lang)  # the value comes from the browser: anything may arrive
    summary = freshness_summary()
    icon = {
        "ok": "bi-check-circle-fill",
        "stale": "bi-clock-history",
        "down": "bi-exclamation-triangle-fill",
    }[summary.state]
    if summary.newest is None and summary.state != "down":
        text = t("freshness.none", lang)
    elif summary.state == "stale" and summary.stale:
        names = ("、" if lang == "zh" else ", ").join(t(f"contract.{c}", lang) for c in summary.stale)
        text = t("freshness.stale_contracts", lang, contracts=names, age=summary.age_text(lang))
    else:
        text = t(f"freshness.{summary.state}", lang, age=summary.age_text(lang), down=summary.down_count)
    return [html.I(className=f"bi {icon} me-1"), text], f"os-freshness os-freshness-{summary.state}"


def register_callbacks(app: Dash) -> None:
    app.callback(
        Output(FRESHNESS, "children"),
        Output(FRESHNESS, "className"),
        Input(TICK, "n_intervals"),
        Input("shell-lang", "value"),
    )(requires(Permission.VIEW_SCREENS)(update_freshness))
