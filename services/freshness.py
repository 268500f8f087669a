"""How fresh the data is, by one rule for the Sources page and the header's indicator alike.

Every contract a configured source serves has a state: "down" (its source cannot be read and
no good data is left), "stale" (a contract that is expected to keep arriving — readings,
cases — whose newest row is older than `freshness_warn_s`, for cases `case_intake_warn_s`,
or that has no rows at all), "degraded" (its latest read failed or rejected rows), "empty"
(read, and it holds no rows),
"unread" (nothing has asked for it since start-up) or "ok". A source takes the worst state of
its contracts; the header says "down" while any source is down, else "stale" while any
contract is. The newest row's time comes from the sources' health (recorded by each read in
data_sources.monitor), so judging freshness never reads the rows again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.dates import format_timedelta

from data_sources.health import SourceHealth
from services.context import get_services
from services.data import large_window, snapshot

# The contracts whose newest row says how fresh the screen's data is: feeds and case intake
# keep arriving. Alerts and case events come when something happens (an hour without an alert
# is good news, not old data); reference contracts (sensors, layers, enterprises, chains)
# change rarely. Those show when they were read and their newest row, but are not judged.
JUDGED = {"readings": "at", "cases": "reported_at"}
NEWEST_BY = JUDGED  # the name services.kpis prefetches them by
# Worst first: a source shows the first of these that any of its contracts has.
SEVERITY = ("down", "stale", "degraded", "unread", "empty", "ok")
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}


def warn_after(settings, contract: str) -> timedelta:
    """How old a judged contract's newest row may be before it is stale: case intake is judged
    by case_intake_warn_s (cases come a few an hour at night), feeds by freshness_warn_s."""
    seconds = settings.case_intake_warn_s if contract == "cases" else settings.freshness_warn_s
    return timedelta(seconds=seconds)


def late_after(settings, refresh_s: float) -> timedelta:
    """How old a panel's figure may be before it is said not to be updating: its snapshot lives
    `cache_timeout_s`, the page notices the new read at its next refresh and shows it at the one
    after (stale-while-revalidate serves the old read once), so older than that nothing is
    replacing it (components.read_at)."""
    return timedelta(seconds=settings.cache_timeout_s + 2 * refresh_s)


def age_text(age: timedelta | None, lang: str) -> str:
    if age is None:
        return ""
    return format_timedelta(age, locale=BABEL_LOCALE.get(lang, "en"), threshold=1.1)


@dataclass(frozen=True)
class ContractFreshness:
    """One served contract as the Sources page lists it."""

    contract: str
    source: str
    state: str  # see SEVERITY
    judged: bool  # its newest row decides freshness (JUDGED)
    rows: int | None  # in the latest batch; None: never read
    rejected: int
    failures: int
    newest: datetime | None  # the newest row's time, for contracts with a time field
    read_at: datetime | None  # the latest successful read
    age: timedelta | None  # now - newest
    window: timedelta | None = None  # read over this recent window only: `rows` are the window's


def contract_state(
    health: SourceHealth,
    contract: str,
    now: datetime,
    warn: timedelta,
    *,
    served: bool = True,
    window: timedelta | None = None,
) -> ContractFreshness:
    """The state of `contract` from the source of `health`: the rule in the module's
    docstring, as a pure function of the health and the clock. Only a contract the source
    `served` to panels is judged on its age (an import source's old rows are not stale data).
    `window`: the contract is read over that recent window only (services.data.LARGE), so its
    row count is the window's, and a read with no row says the newest is older than the window
    (longer than `warn`): stale, at least that old."""
    batch = health.batch(contract)
    judged = served and contract in JUDGED
    if batch is None:
        return ContractFreshness(
            contract, health.source, "unread", judged, None, 0, 0, None, None, None, window
        )
    newest = batch.newest_at
    age = None if newest is None else max(now - newest, timedelta(0))
    if judged and window is not None and newest is None and batch.accepted == 0 and not batch.down:
        age = max(window, warn)  # a lower bound: nothing within the window
    if batch.down:
        state = "down"
    elif judged and age is not None and age > warn:
        state = "stale"
    elif batch.failures or batch.rejected:
        state = "degraded"
    elif batch.accepted == 0 and newest is None:
        state = "empty"
    else:
        state = "ok"
    return ContractFreshness(
        contract,
        health.source,
        state,
        judged,
        batch.accepted,
        batch.rejected,
        batch.failures,
        newest,
        batch.read_time,
        age,
        window,
    )


def worst(states: list[str], default: str = "ok") -> str:
    return min(states, key=SEVERITY.index) if states else default


def source_state(health: SourceHealth, contracts: list[ContractFreshness]) -> str:
    """A source's state: the worst of its read contracts' ("unread" only when none was read),
    and "down" or "degraded" when its own health says so."""
    if health.status == "down":
        return "down"
    # a contract no panel has asked for yet says nothing against the ones that were read
    read = [c.state for c in contracts if c.state != "unread"]
    states = (read or [c.state for c in contracts]) + (["degraded"] if health.status == "degraded" else [])
    return worst(states) if states else health.status  # a source serving nothing: its own health


def served_contracts(now: datetime | None = None) -> tuple[list[SourceHealth], list[ContractFreshness]]:
    """Every configured source's health, and the freshness of every contract the sources
    serve, with any other contract a source was read for (a check of an import source), in
    the sources' order, then by contract. Reads no rows."""
    services = get_services()
    now = now or datetime.now(UTC)
    healths = services.sources.health()
    by_name = {h.source: h for h in healths}
    serving = services.sources.serving
    contracts = [
        contract_state(
            by_name[source],
            contract,
            now,
            warn_after(services.settings, contract),
            served=serving.get(contract) == source,
            window=large_window(contract),
        )
        for source in by_name
        for contract in sorted(
            {c for c, s in serving.items() if s == source} | {b.contract for b in by_name[source].batches}
        )
    ]
    return healths, contracts


@dataclass(frozen=True)
class Freshness:
    """What the header's indicator says: the state, the newest data, and what is wrong."""

    state: str  # ok / stale / down
    newest: datetime | None
    age: timedelta | None  # of the newest data, or for "stale" of the stalest judged contract
    down_count: int
    stale: tuple[str, ...] = ()  # the stale contracts

    def age_text(self, lang: str) -> str:
        return age_text(self.age, lang)


def freshness_summary(now: datetime | None = None) -> Freshness:
    """The header's state by the same rule as the Sources page (served_contracts). Asks the
    snapshot cache for the judged contracts first, so that they are read again when their
    entry has expired (at once when cached; the read itself runs in the background)."""
    services = get_services()
    now = now or datetime.now(UTC)
    for contract in JUDGED:
        if services.sources.source_of(contract) is not None:
            snapshot(contract, large_window(contract))  # cases: the recent ones, never all of them
    healths, contracts = served_contracts(now)
    judged = [c for c in contracts if c.judged]
    down = sum(1 for h in healths if h.status == "down")
    stale = [c for c in judged if c.state == "stale"]
    times = [c.newest for c in judged if c.newest is not None]
    newest = max(times) if times else None
    if down:
        state = "down"
    elif stale or not times:
        state = "stale"
    else:
        state = "ok"
    if stale:
        ages = [c.age for c in stale if c.age is not None]
        age = max(ages) if ages else None
    else:
        age = None if newest is None else max(now - newest, timedelta(0))
    return Freshness(state, newest, age, down, tuple(c.contract for c in stale))
