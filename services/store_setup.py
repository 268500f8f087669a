"""Bring the store to a usable state: migrate it, and in the embedded profile fill an empty
store with the demo park (with a progress bar), so `make run` shows a park in seconds."""

from __future__ import annotations

import logging
import sys
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, exists, func, insert, select, update
from tqdm import tqdm

from config.settings import Settings
from data_sources.contracts import CONTRACTS
from data_sources.validation import validate
from store.bulk import write_frame
from store.data_versions import rewriting_tables
from store.engine import begin_write, make_engine
from store.migrate import upgrade
from store.migrate_lock import store_start_lock
from store.models import CONTRACT_TABLES, Base, Department, GridCell, GridWorker, Meta, Reading
from store.planner_hints import analyse
from store.types import SQLITE_TIME_FORMAT, UtcDateTime

log = logging.getLogger(__name__)

DEMO_PARK = "demo"  # meta "park" of a store holding the generated demo park

REFERENCE_TABLES = {
    "departments": Department.__table__,
    "grid_cells": GridCell.__table__,
    "grid_workers": GridWorker.__table__,
}


# Engines whose empty store prepare_store filled with the demo park in this process. The CLI
# builds the app (and so prepares the store) before its command runs: `store init --fresh`
# asks here so that it does not generate the park a second time.
_SEEDED_AT_START: weakref.WeakSet[Engine] = weakref.WeakSet()


def prepare_store(settings: Settings, *, seed: bool = True, now: datetime | None = None) -> Engine:
    """Migrate the store; when `seed` and the profile is embedded, fill an empty store with the
    demo park or move an existing demo park's clock up to today. A store holding anything else
    is left as it is. Returns the engine.

    Several processes starting at once (gunicorn's workers) prepare the store one at a time
    (store/migrate_lock.py): the first migrates and seeds, the others then find both done."""
    engine = make_engine(settings.store_url)
    with store_start_lock(engine):
        upgrade(engine)
        if seed and settings.profile == "embedded":
            contents = store_contents(engine, count=False)
            if contents.empty:
                seed_demo_park(engine, settings, now=now)
                _SEEDED_AT_START.add(engine)
            elif contents.park == DEMO_PARK:
                roll_demo_forward(engine, now or datetime.now(UTC))
            else:
                log.info("the store holds %s, not the demo park: left as it is", contents.describe())
    return engine


def seeded_at_start(engine: Engine) -> bool:
    """Whether prepare_store filled this engine's store with the demo park (it was empty)."""
    return engine in _SEEDED_AT_START


@dataclass(frozen=True, slots=True)
class StoreContents:
    """What a store holds: the park its meta names (None when it names none) and the rows of
    each contract and reference table (only whether there are any, when not counted)."""

    park: str | None
    rows: dict[str, int]

    @property
    def empty(self) -> bool:
        return self.park is None and not any(self.rows.values())

    def describe(self) -> str:
        name = f"the {self.park} park" if self.park else "data without a park name"
        counted = ", ".join(f"{n:,} {table}" for table, n in self.rows.items() if n)
        return f"{name} ({counted or 'no rows'})"


def store_contents(engine: Engine, *, count: bool = True) -> StoreContents:
    """Read what the store holds. With `count` False each table's rows are 1 when it has any
    and 0 otherwise, which stays cheap on tables of millions of rows."""
    tables = {**CONTRACT_TABLES, **REFERENCE_TABLES}
    with engine.connect() as connection:
        park = connection.execute(select(Meta.value).where(Meta.key == "park")).scalar_one_or_none()
        rows = {}
        for name, table in tables.items():
            if count:
                rows[name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
            else:
                rows[name] = int(connection.execute(select(exists().select_from(table))).scalar_one())
    return StoreContents(park=park, rows=rows)


# SQLite's datetime() gives back the whole seconds of the stored text (SQLITE_TIME_FORMAT) and
# drops the fraction; the fraction is copied over from where it starts in that format.
_FRACTION_AT = len(datetime(2000, 1, 1, tzinfo=UTC).strftime(SQLITE_TIME_FORMAT.partition(".")[0])) + 1


def _shifted(column, days: int):
    return func.datetime(column, f"+{days} days").op("||")(func.substr(column, _FRACTION_AT))


def roll_demo_forward(engine: Engine, now: datetime) -> int:
    """Move every time of a demo park forward by whole days so that its newest day is today.

    A demo park is generated as of one moment; started again days later it would show an
    empty "today" and every sensor silent. Whole days keep the daily rhythms in place, and
    changes made since (a case dispatched) move with the rest. Only a store whose meta says
    it holds the demo park is touched, and only on SQLite (the embedded profile). Returns
    the number of days moved.

    Safe when several processes start at once: the park's generated_at is moved by a
    compare-and-set in the same transaction as the times, which holds the write lock from
    its first read, so the park moves once. Blocks while another process writes."""
    if engine.dialect.name != "sqlite":
        return 0
    with begin_write(engine) as connection:
        meta = dict(connection.execute(select(Meta.key, Meta.value)).all())
        if meta.get("park") != DEMO_PARK or "generated_at" not in meta:
            return 0
        generated_at = datetime.fromisoformat(meta["generated_at"])
        # a live park (the feed worker, the case simulator) is current up to its newest reading:
        # counting from generated_at would move what it wrote today into the future
        newest = connection.execute(select(func.max(Reading.at))).scalar()
        days = (now - max(generated_at, newest or generated_at)) // timedelta(days=1)
        if days < 1:
            return 0
        moved = (generated_at + timedelta(days=days)).isoformat()
        claimed = connection.execute(
            update(Meta)
            .where(Meta.key == "generated_at", Meta.value == meta["generated_at"])
            .values(value=moved)
        ).rowcount
        if claimed != 1:  # another process moved it first
            return 0
        with rewriting_tables(connection):  # every row moves: versions raised once, not per row
            for table in Base.metadata.sorted_tables:
                if table.name not in CONTRACT_TABLES:
                    continue
                columns = [c for c in table.c if isinstance(c.type, UtcDateTime)]
                if columns:
                    connection.execute(update(table).values({c.name: _shifted(c, days) for c in columns}))
    log.info("demo park moved forward by %d days to %s", days, moved)
    return days


def seed_demo_park(
    engine: Engine, settings: Settings, *, now: datetime | None = None, quiet: bool = False
) -> dict:
    """Replace the store's contents with a freshly generated demo park; return row counts."""
    from demo import generate_park

    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    bar = tqdm(
        total=100,
        desc="demo park",
        unit="%",
        file=sys.stderr,
        disable=quiet,
        bar_format="{l_bar}{bar}| {elapsed}",
    )

    def progress(step: str, fraction: float) -> None:
        bar.set_description(f"demo park: {step}")
        bar.n = round(60 * fraction)
        bar.refresh()

    park = generate_park(seed=settings.demo_seed, cases=settings.demo_cases, now=now, progress=progress)
    # The store is a VALIDATED source: what enters it is checked here, once.
    checked = {}
    for name in CONTRACT_TABLES:
        result = validate(getattr(park, name), CONTRACTS[name], "demo")
        if result.rejections:
            raise RuntimeError(f"the demo park broke its own contract: {result.rejections[0].message}")
        checked[name] = result.good
    frames = {**checked, **{r: getattr(park, r) for r in REFERENCE_TABLES}}
    total_rows = sum(len(f) for f in frames.values()) or 1
    written = 0
    counts: dict[str, int] = {}
    # the data versions raised once for the whole rewrite, not per row (rewriting_tables)
    with engine.begin() as connection, rewriting_tables(connection):
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in CONTRACT_TABLES or table.name in REFERENCE_TABLES or table.name == "meta":
                connection.execute(delete(table))
        for name, frame in frames.items():
            table = CONTRACT_TABLES[name] if name in CONTRACT_TABLES else REFERENCE_TABLES[name]
            bar.set_description(f"demo park: writing {name}")
            base = written

            def advance(done: int, base: int = base) -> None:
                bar.n = 60 + round(40 * (base + done) / total_rows)
                bar.refresh()

            counts[name] = write_frame(connection, table, frame, progress=advance)
            written += counts[name]
        connection.execute(
            insert(Meta.__table__),
            [
                {"key": "park", "value": DEMO_PARK},
                {"key": "demo_seed", "value": str(settings.demo_seed)},
                {"key": "generated_at", "value": now.isoformat()},
            ],
        )
    bar.set_description("demo park: analysing")
    if engine.dialect.name == "postgresql":
        analyse(engine, [{**CONTRACT_TABLES, **REFERENCE_TABLES}[n].name for n in counts] + ["meta"])
    else:  # the cases grid's plans were measured with statistics; other tables' without
        analyse(engine, ["cases"])
    bar.n = 100
    bar.set_description("demo park: ready")
    bar.close()
    log.info("demo park written in %.1f s: %s", time.perf_counter() - started, counts)
    return counts
