"""Sources (数据源): every configured source with its health, every contract the sources serve
with how fresh its newest data is (one rule with the header's indicator: services.freshness),
and the newest rejected rows with their reasons, so a person can see what a source sends wrong;
a source can be checked now. Laid out for one 1920×1080 screen (a 4K wall shows it scaled):
the sources across the top, the contracts and the rejected rows side by side below, each
scrolling inside its panel."""

from __future__ import annotations

from datetime import timedelta

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from components.timefmt import format_time
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, current_principal
from services.context import get_services
from services.feed_status import FeedStatus, feed_statuses
from services.freshness import ContractFreshness, age_text, served_contracts, source_state, warn_after

dash.register_page(
    __name__,
    path="/sources",
    name="Sources",
    title="OneScreen",
    order=90,
    title_key="nav.sources",
    icon="bi-plug",
    permission=Permission.VIEW_SOURCES,
)

BODY = "sources-body"
CHECK = "sources-check"
NOTICE = "sources-notice"
TICK = "sources-tick"
REFRESH_MS = 30_000
SHOWN_REJECTIONS = 12  # the newest; the page fits one screen
STATUS_COLOUR = {
    "ok": "success",
    "degraded": "warning",
    "stale": "warning",
    "down": "danger",
    "empty": "secondary",
    "unread": "secondary",
    "unknown": "secondary",
}
NUMERIC = {"accepted", "rejected", "row", "failures", "contracts"}
SOURCE_COLUMNS = (
    "name", "adapter", "status", "contracts", "last_success", "accepted", "rejected", "last_error", "action",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "contract",
    "source",
    "status",
    "accepted",
    "rejected",
    "failures",
    "newest",
    "read_at",
    "note",
)
REJECTION_COLUMNS = ("source", "contract", "row", "key", "field", "value", "reason")
FEED_COLUMNS = (
    "name", "status", "rate", "lag", "last_message", "messages", "accepted", "duplicates", "rejected", "reasons",
)  # fmt: skip
NUMERIC |= {"rate", "messages", "duplicates"}


def _table(columns: tuple[str, ...], prefix: str, rows: list[tuple], lang: str, name: str) -> dbc.Table:
    def css(column: str) -> str:
        return f"os-col-{column}" + (" text-end" if column in NUMERIC else "")

    head = html.Tr([html.Th(t(f"{prefix}.{c}", lang), className=css(c)) for c in columns])
    body = [
        html.Tr([html.Td(v, className=css(c)) for c, v in zip(columns, row, strict=True)]) for row in rows
    ]
    return dbc.Table(
        [html.Thead(head), html.Tbody(body)], size="sm", hover=True, className=f"os-table os-table-{name}"
    )


def _section(title: str, body, name: str) -> html.Section:
    return html.Section(
        [html.Header(html.H2(title), className="os-panel-head"), html.Div(body, className="os-panel-scroll")],
        className=f"os-panel os-sources-{name}",
    )


def _badge(status: str, lang: str) -> dbc.Badge:
    return dbc.Badge(t(f"status.{status}", lang), color=STATUS_COLOUR[status], className="os-status")


def _when(moment, age: timedelta | None, zone, lang: str):
    """A time in the park's zone with how long ago it was beneath it."""
    if moment is None:
        return "—"
    ago = t("sources.ago", lang, age=age_text(age, lang)) if age is not None else ""
    return [html.Div(format_time(moment, zone)), html.Small(ago, className="text-body-secondary")]


def _note(c: ContractFreshness, settings, lang: str) -> str:
    """What a contract's state means, in words; for a contract read over a recent window only
    (cases), that its row count is the window's, not the table's."""
    meaning = _meaning(c, settings, lang)
    if c.window is None or c.state in ("down", "unread"):
        return meaning
    window = t("sources.note.window", lang, window=age_text(c.window, lang))
    return f"{meaning} · {window}" if meaning else window


def _meaning(c: ContractFreshness, settings, lang: str) -> str:
    if c.state == "stale":
        return t(
            "sources.note.stale",
            lang,
            age=age_text(c.age, lang),
            warn=age_text(warn_after(settings, c.contract), lang),
        )
    if c.state == "degraded":
        return t("sources.note.degraded", lang, rejected=c.rejected, failures=c.failures)
    if c.state in ("down", "empty", "unread"):
        return t(f"sources.note.{c.state}", lang)
    return (
        t("sources.note.judged", lang, warn=age_text(warn_after(settings, c.contract), lang))
        if c.judged
        else ""
    )


def reason_key(reason: str) -> str:
    """The catalogue key of a refusal reason (data_sources.feeds.problems.REASONS)."""
    return "feeds.reason." + reason.replace(" ", "_").replace("-", "_")


def _feed_row(feed: FeedStatus, title: str, zone, lang: str) -> tuple:
    """One feed's cells: its state with the reason, rate, lag, last message and counts."""
    values = {k: age_text(v, lang) if isinstance(v, timedelta) else v for k, v in feed.reason_values.items()}
    state = [_badge(feed.state, lang)]
    if feed.reason:
        state.append(html.Div(t(f"feeds.why.{feed.reason}", lang, **values), className="os-note-cell"))
    reasons = [
        html.Div(f"{t(reason_key(reason), lang)}: {count:,}", className="os-feed-reason")
        for reason, count in sorted(feed.rejected.items(), key=lambda item: -item[1])
    ] or "—"
    lag = t("feeds.lag_of", lang, age=age_text(feed.lag, lang)) if feed.lag is not None else "—"
    return (
        [html.Div(title, className="fw-semibold"), html.Small(feed.source, className="text-body-secondary")],
        state,
        "—" if feed.per_minute is None else f"{feed.per_minute:,.1f}",
        lag,
        _when(feed.last_message_at, feed.message_age, zone, lang),
        f"{feed.messages:,}",
        f"{feed.accepted:,}",
        f"{feed.duplicates:,}",
        f"{feed.rejected_total:,}",
        reasons,
    )


def feeds_section(lang: str, zone) -> html.Section | None:
    """The feeds panel (None when no configured source pushes readings)."""
    feeds = feed_statuses()
    if not feeds:
        return None
    manager = get_services().sources
    rows = [_feed_row(f, manager.title(f.source, lang), zone, lang) for f in feeds]
    return _section(t("feeds.title", lang), _table(FEED_COLUMNS, "feeds.col", rows, lang, "feeds"), "feeds")


def make_body(lang: str) -> list:
    services = get_services()
    zone = services.settings.zone
    manager = services.sources
    healths, contracts = served_contracts()
    sources, rows, rejections = [], [], []
    may_check = current_principal().can(Permission.MANAGE_SOURCES)  # the server checks again on click
    for h in healths:
        title = manager.title(h.source, lang)
        own = [c for c in contracts if c.source == h.source]
        name = [
            html.Div(title, className="fw-semibold"),
            html.Small(h.source, className="text-body-secondary"),
        ]
        error = html.Span(h.last_error or "—", className="os-error-cell")
        row = (name, h.adapter, _badge(source_state(h, own), lang), f"{len(own):,}",
               format_time(h.last_success, zone), f"{h.rows_accepted:,}", f"{h.rows_rejected:,}", error)  # fmt: skip
        if may_check:
            button = dbc.Button(
                [html.I(className="bi bi-arrow-repeat me-1"), t("sources.check", lang)],
                id={"type": CHECK, "source": h.source},
                size="sm",
                color="secondary",
                outline=True,
            )
            row = (*row, button)
        sources.append(row)
        for c in own:
            read = c.rows is not None
            rows.append(
                (
                    html.Span(t(f"contract.{c.contract}", lang), className="fw-semibold"),
                    title,
                    _badge(c.state, lang),
                    f"{c.rows:,}" if read else "—",
                    f"{c.rejected:,}" if read else "—",
                    f"{c.failures:,}" if read else "—",
                    _when(c.newest, c.age, zone, lang),
                    format_time(c.read_at, zone),
                    html.Span(_note(c, services.settings, lang), className="os-note-cell"),
                )
            )
        # each source's rejections come oldest first; its latest read orders it among the others
        attempt = h.last_attempt.timestamp() if h.last_attempt else 0.0
        rejections += [(attempt, i, title, r) for i, r in enumerate(manager.recent_rejections(h.source))]
    newest = [
        (title, r)
        for _, _, title, r in sorted(rejections, key=lambda item: item[:2])[-SHOWN_REJECTIONS:][::-1]
    ]
    rejected_rows = [
        (title, t(f"contract.{r.contract}", lang), r.row, r.key or "—", r.field, r.value, r.reason)
        for title, r in newest
    ]
    rejected = (
        _table(REJECTION_COLUMNS, "sources.rej", rejected_rows, lang, "rejections")
        if rejected_rows
        else html.P(t("sources.no_rejections", lang), className="text-body-secondary mb-0")
    )
    contract_table = (
        _table(CONTRACT_COLUMNS, "sources.batch", rows, lang, "contracts")
        if rows
        else html.P(t("sources.no_contracts", lang), className="text-body-secondary mb-0")
    )
    return [
        _section(
            t("sources.title", lang),
            # the action column only for those who may act (the server refuses the others anyway)
            _table(
                SOURCE_COLUMNS if may_check else SOURCE_COLUMNS[:-1], "sources.col", sources, lang, "sources"
            ),
            "list",
        ),
        *filter(None, [feeds_section(lang, zone)]),
        _section(t("sources.batches", lang, count=len(rows)), contract_table, "contracts"),
        _section(
            t("sources.rejections", lang, shown=len(rejected_rows), total=len(rejections)),
            rejected,
            "rejections",
        ),
    ]


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    return html.Div(
        [
            html.Div(id=NOTICE, className="os-notice"),
            html.Div(make_body(lang), id=BODY, className="os-page-body os-sources-body"),
            dcc.Interval(id=TICK, interval=REFRESH_MS),
        ],
        className="os-page os-sources",
    )


@callback(
    Output(BODY, "children"),
    Input(TICK, "n_intervals"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SOURCES)
def update_body(_tick: int, lang: str):
    return make_body(normalise(lang))


@callback(
    Output(BODY, "children", allow_duplicate=True),
    Output(NOTICE, "children"),
    Input({"type": CHECK, "source": ALL}, "n_clicks"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_SOURCES)
def on_check(clicks: list, lang: str):
    """Read a source now. The source comes from the clicked button's id, which a browser can
    forge: a name that is not configured gets a message, never an error."""
    lang = normalise(lang)
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(clicks or []):
        return no_update, no_update
    name = str(clicked.get("source", ""))
    services = get_services()
    try:
        health = services.snapshots.check(name)
        audit_request("source.check", target=f"source:{name[:100]}", detail={"status": health.status})
    except KeyError:
        return no_update, dbc.Alert(
            t("sources.unknown_source", lang, name=name[:64]), color="warning", dismissable=True
        )
    _healths, contracts = served_contracts()
    state = source_state(health, [c for c in contracts if c.source == name])  # the page's own rule
    message = t(
        "sources.checked", lang, name=services.sources.title(name, lang), status=t(f"status.{state}", lang)
    )
    return make_body(lang), dbc.Alert(message, color=STATUS_COLOUR[state], dismissable=True, duration=6000)
