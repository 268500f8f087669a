"""Alerts (告警): the duty officers' live desk. The open alerts of the scope, critical first then
newest, filtered by state, severity, department, sensor kind and time range (all in the URL),
kept current from the shell's live store (`live-alerts`, filled by assets/45-live.js from the
stream): each batch of messages re-reads the feed from the store, so a new alert appears and a
changed one changes in place within the stream's second, and a `reset` is just another re-read.
A new critical alert is marked, announced (an ARIA live region) and chimed (assets/50-alerts.js,
with a mute switch kept in localStorage). A click or j/k selects an alert and opens it beside the
list (components/alert_panel.py); A / S / E press its acknowledge / assign / escalate buttons,
which open the confirmation dialog (pages/alerts_steps.py) like any click."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from components.admin_common import DROPDOWN_CODE, load_with_the_app
from components.alert_panel import alert_panel, alert_title, severity_badge, state_badge
from components.alert_step_form import step_dialog
from components.live_status import STORE as LIVE
from components.timefmt import format_time
from domain.alert_lifecycle import Severity
from domain.alert_lifecycle import State as AlertState
from locales import normalise, t
from pages import alerts_steps
from security.guard import requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.alert_desk import HOURS, FeedFilter, feed, history_around, sensor_kinds, sensor_of
from services.alert_detail import alert_detail
from services.context import get_services
from services.reference import department_ids, department_name, departments

dash.register_page(
    __name__,
    path="/alerts",
    name="Alerts",
    title="OneScreen",
    order=5,
    title_key="nav.alerts",
    icon="bi-bell",
    permission=Permission.READ_RECORDS,
)
load_with_the_app(DROPDOWN_CODE)

URL = "alerts-url"
FILTER = "alerts-filter"
NOTICE = "alerts-notice"
COUNT = "alerts-count"
LIST = "alerts-list"
SELECTED = "alerts-selected"  # the open alert's id (set by a click or j/k: assets/50-alerts.js)
PANEL = "alerts-panel"
CHANGED = "alerts-changed"  # raised after a step: the list and the panel read again
HANDLED = "alerts-handled"  # the newest live message's seq this page has handled
FRESH = "alerts-fresh"  # ids of the critical alerts raised while the page was open
NEW = "alerts-new"  # the new critical alerts of the last batch (the chime's cue)
ANNOUNCE = "alerts-announce"
CHIMED = "alerts-chimed"
TOUCHED = "alerts-touched"  # a live message concerned the open alert: its panel reads again
PENDING = "alerts-pending"
CONTROL = "alerts-f-"  # + state, severity, department, kind, hours
FRESH_KEPT = 50


def _own() -> str | None:
    return current_principal().scoped_department


def _scope(f: FeedFilter) -> Scope:
    """The scope `f` asks for: a department head naming another department gets 403 (audited)."""
    return resolve_scope(current_principal(), f.department, what="alerts", known=department_ids)


def _filter(query: dict[str, Any]) -> FeedFilter:
    return FeedFilter.parse(query, set(sensor_kinds()))


def _options(name: str, lang: str) -> list[dict]:
    if name == "state":
        return [{"label": t(f"alert_state.{s.value}", lang), "value": s.value} for s in AlertState]
    if name == "severity":
        return [{"label": t(f"alert_severity.{s.value}", lang), "value": s.value} for s in Severity]
    if name == "department":
        own = _own()
        return [
            {"label": d["name"] if lang == "zh" else d["name_en"], "value": d["id"]}
            for d in departments()
            if own is None or d["id"] == own
        ]
    if name == "kind":
        return [{"label": t(f"sensor_kind.{k}", lang), "value": k} for k in sensor_kinds()]
    return [{"label": t(f"alerts.hours.{h}", lang), "value": h} for h in HOURS]


def _filter_bar(f: FeedFilter, lang: str) -> html.Div:
    values: dict[str, Any] = {"state": list(f.states), "severity": list(f.severities),
                              "department": f.department or _own(), "kind": f.kind, "hours": f.hours}  # fmt: skip
    controls = []
    for name in ("state", "severity", "department", "kind", "hours"):
        controls.append(
            dcc.Dropdown(
                id=CONTROL + name,
                options=_options(name, lang),
                value=values[name],
                multi=name in ("state", "severity"),
                placeholder=t(f"alerts.filter.{name}", lang),
                disabled=name == "department" and _own() is not None,
                className=f"os-alert-filter os-alert-filter-{name}",
            )
        )
    return html.Div(controls, className="os-toolbar os-alert-filters")


def _sound_bar(lang: str) -> html.Div:
    words = {f"data-{k}-{language}": t(f"alerts.sound.{k}", language)
             for k in ("enable", "on", "muted") for language in ("zh", "en")}  # fmt: skip
    return html.Div(
        [
            html.Button(
                t("alerts.sound.enable", lang),
                id="alerts-sound",
                type="button",
                className="btn btn-sm btn-outline-warning os-alert-sound",
                **words,
            ),
            html.Audio(id="alerts-chime", src="/assets/alerts-chime.wav", preload="auto"),
            html.Span(t("alerts.keys", lang), className="os-alert-keys text-body-secondary small"),
        ],
        className="os-alert-soundbar",
    )


def _row(alert: dict[str, Any], lang: str, zone, fresh: set[str], selected: str | None) -> html.Div:
    new = alert["id"] in fresh and alert["state"] == "raised" and alert["severity"] == "critical"
    classes = ["os-alert-row", f"os-sev-{alert['severity']}"]
    classes += ["os-alert-new"] if new else []
    classes += ["os-selected"] if alert["id"] == selected else []
    department = alert.get("department")
    return html.Div(
        [
            severity_badge(str(alert["severity"]), lang),
            html.Span(alert_title(alert, lang), className="os-alert-title"),
            state_badge(str(alert["state"]), lang),
            html.Span(department_name(department, lang) if department else "—", className="os-alert-dept"),
            html.Span(format_time(alert.get("raised_at"), zone, "%m-%d %H:%M:%S"), className="os-alert-time"),
            html.Span(str(alert["id"]), className="os-alert-rowid"),
        ],
        className=" ".join(classes),
        role="button",
        tabIndex="0",
        **{"data-alert": alert["id"], "data-version": str(alert.get("version") or 1)},
    )


def _list(f: FeedFilter, lang: str, fresh: set[str], selected: str | None) -> tuple[list, str, set[str]]:
    """The feed's rows, how many match, and the ids listed."""
    zone = get_services().settings.zone
    rows, total = feed(_scope(f), f)
    count = t("alerts.count", lang, count=f"{total:,}")
    if not rows:
        return [html.P(t("alerts.none", lang), className="text-body-secondary os-alert-none")], count, set()
    return [_row(r, lang, zone, fresh, selected) for r in rows], count, {r["id"] for r in rows}


def _dropped(f: FeedFilter, lang: str):
    if not f.dropped:
        return None
    return dbc.Alert(t("cases.dropped", lang, values=", ".join(f.dropped)[:200]), color="warning",
                     dismissable=True)  # fmt: skip


@requires(Permission.READ_RECORDS)
def layout(lang: str = "zh", **query) -> html.Div:
    lang = normalise(lang)
    f = _filter(query)
    selected = str(query.get("alert") or "")[:64] or None
    children, count, _ids = _list(f, lang, set(), selected)
    return html.Div(
        [
            dcc.Location(id=URL, refresh=False),
            dcc.Store(id=FILTER, data=f.query()),
            dcc.Store(id=SELECTED, data=selected),
            dcc.Store(id=CHANGED, data=0),
            dcc.Store(id=HANDLED, data=None),
            dcc.Store(id=FRESH, data=[]),
            dcc.Store(id=NEW, data=None),
            dcc.Store(id=CHIMED),
            dcc.Store(id=TOUCHED),
            dcc.Store(id=PENDING),
            html.Div(id=NOTICE, className="os-notice", children=_dropped(f, lang)),
            _filter_bar(f, lang),
            html.Div(
                [
                    html.Section(
                        [
                            html.Header(
                                [
                                    html.H2(t("alerts.title", lang)),
                                    html.Span(count, id=COUNT, className="os-count ms-auto"),
                                    _sound_bar(lang),
                                ],
                                className="os-panel-head",
                            ),
                            html.Div(id=ANNOUNCE, role="alert", className="os-alert-announce"),
                            html.Div(children, id=LIST, className="os-alert-list"),
                        ],
                        className="os-panel os-alerts-list",
                    ),
                    html.Section(
                        html.Div(_panel(selected, lang), id=PANEL),
                        className="os-panel os-cases-detail os-alerts-detail",
                    ),
                ],
                className="os-cases-main os-alerts-main",
            ),
            step_dialog(lang),
        ],
        className="os-page os-alerts",
    )


@callback(
    Output(FILTER, "data"),
    Output(URL, "search"),
    Output(NOTICE, "children"),
    [Input(CONTROL + n, "value") for n in ("state", "severity", "department", "kind", "hours")],
    State(SELECTED, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_alert_filter(states, severities, department, kind, hours, selected, lang):
    """The controls' values, checked, become the filter and the URL; a department head naming
    another department (a tampered request) is refused with 403 and audited."""
    lang = normalise(lang)
    f = _filter({"state": states or [], "severity": severities or [], "department": department,
                 "kind": kind, "hours": hours})  # fmt: skip
    _scope(f)
    query = f.query() | ({"alert": selected} if isinstance(selected, str) and selected else {})
    return f.query(), "?" + urlencode(query) if query else "", _dropped(f, lang)


def _news(live: Any, handled: Any) -> tuple[list[dict], int | None]:
    """The live messages after `handled` and the newest seq among them."""
    items = live.get("items") if isinstance(live, dict) and isinstance(live.get("items"), list) else []
    last = handled if isinstance(handled, int) else None
    fresh = [m for m in items if isinstance(m, dict) and isinstance(m.get("seq"), int)
             and (last is None or m["seq"] > last)]  # fmt: skip
    newest = max([m["seq"] for m in fresh], default=last)
    return fresh, newest


@callback(
    Output(LIST, "children"),
    Output(COUNT, "children"),
    Output(HANDLED, "data"),
    Output(FRESH, "data"),
    Output(NEW, "data"),
    Output(ANNOUNCE, "children"),
    Output(TOUCHED, "data"),
    Input(FILTER, "data"),
    Input(LIVE, "data"),
    Input(CHANGED, "data"),
    State(HANDLED, "data"),
    State(FRESH, "data"),
    State(SELECTED, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_alert_list(query, live, _changed, handled, fresh, selected, lang):
    """The feed read again from the store (scoped) after a filter, a batch of live messages or
    a step; critical alerts raised in the batch are marked, announced and chimed."""
    lang = normalise(lang)
    f = _filter(query if isinstance(query, dict) else {})
    messages, newest = _news(live, handled)
    raised = [m["alert"] for m in messages if m.get("action") == "raise" and isinstance(m.get("alert"), dict)
              and m["alert"].get("severity") == "critical"]  # fmt: skip
    kept = [str(i)[:64] for i in (fresh if isinstance(fresh, list) else [])]
    kept = (kept + [str(a.get("id"))[:64] for a in raised])[-FRESH_KEPT:]
    selected = selected if isinstance(selected, str) else None
    children, count, shown = _list(f, lang, set(kept), selected)
    # the open alert's panel reads again when a message concerns it (or a reset asks for all)
    touched = any(m.get("reset") or (m.get("alert") or {}).get("id") == selected for m in messages)
    touch = newest if touched and selected else no_update
    # only what this page lists is announced (the stream is scoped; the filters narrow further)
    new = [a for a in raised if a.get("id") in shown]
    if not new:
        return children, count, newest, kept, no_update, no_update, touch
    words = "; ".join(f"{a['id']} {alert_title(a, lang)}" for a in new)
    announce = t("alerts.new_critical", lang, count=len(new), alerts=words[:300])
    return children, count, newest, kept, {"ids": [a["id"] for a in new], "seq": newest}, announce, touch


def _panel(alert_id: str | None, lang: str):
    if not alert_id:
        return html.P(t("alerts.pick", lang), className="text-body-secondary")
    view = alert_detail(alert_id[:64])
    if view is None:
        return dbc.Alert(t("alerts.missing", lang, alert=alert_id[:64]), color="warning")
    zone = get_services().settings.zone
    sensor = sensor_of(view.alert.get("sensor_id"))
    return alert_panel(view, sensor, history_around(view.alert, datetime.now(UTC)), zone, lang)


@callback(
    Output(PANEL, "children"),
    Input(SELECTED, "data"),
    Input(CHANGED, "data"),
    Input(TOUCHED, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_alert_panel(alert_id, _changed, _touched, lang):
    """The selected alert as it now is (read again within scope after a step or live news)."""
    return _panel(alert_id if isinstance(alert_id, str) else None, normalise(lang))


# A chime for new critical alerts when sound is on (assets/50-alerts.js: the browser's autoplay
# rule, the mute switch).
clientside_callback(
    ClientsideFunction(namespace="alerts", function_name="chime"),
    Output(CHIMED, "data"),
    Input(NEW, "data"),
    prevent_initial_call=True,
)

alerts_steps.register()
