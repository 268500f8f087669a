"""Bring the store to a usable state: migrate it, and in the embedded profile fill an empty
store with the demo park (with a progress bar), so `make run` shows a park in seconds."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select, update
from tqdm import tqdm

from config.settings import Settings
from data_sources.contracts import CONTRACTS
from data_sources.validation import validate
from store.bulk import write_frame
from store.engine import make_engine
from store.migrate import upgrade
from store.models import CONTRACT_TABLES, Base, Department, GridCell, GridWorker, Meta
from store.types import UtcDateTime

log = logging.getLogger(__name__)

REFERENCE_TABLES = {
    "departments": Department.__table__,
    "grid_cells": GridCell.__table__,
    "grid_workers": GridWorker.__table__,
}


def prepare_store(settings: Settings, *, seed: bool = True, now: datetime | None = None) -> Engine:
    """Migrate the store; seed the demo park when `seed`, the profile is embedded and the
    store holds no park yet, or move an existing demo park's clock up to today. Returns the engine."""
    engine = make_engine(settings.store_url)
    upgrade(engine)
    if seed and settings.profile == "embedded":
        if not has_park(engine):
            seed_demo_park(engine, settings, now=now)
        else:
            roll_demo_forward(engine, now or datetime.now(UTC))
    return engine


def _meta(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Meta.key, Meta.value)).all())


def _shifted(column, days: int):
    # SQLite's datetime() drops the fraction of a second; keep the stored ".ffffff" suffix
    # so SQLAlchemy still reads its own format.
    return func.datetime(column, f"+{days} days").op("||")(func.substr(column, 20))


def roll_demo_forward(engine: Engine, now: datetime) -> int:
    """Move every time of a demo park forward by whole days so that its newest day is today.

    A demo park is generated as of one moment; started again days later it would show an
    empty "today" and every sensor silent. Whole days keep the daily rhythms in place, and
    changes made since (a case dispatched) move with the rest. Only a store whose meta says
    it holds the demo park is touched, and only on SQLite (the embedded profile). Returns
    the number of days moved."""
    meta = _meta(engine)
    if meta.get("park") != "demo" or engine.dialect.name != "sqlite" or "generated_at" not in meta:
        return 0
    generated_at = datetime.fromisoformat(meta["generated_at"])
    days = (now - generated_at) // timedelta(days=1)
    if days < 1:
        return 0
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name not in CONTRACT_TABLES:
                continue
            columns = [c for c in table.c if isinstance(c.type, UtcDateTime)]
            if columns:
                connection.execute(update(table).values({c.name: _shifted(c, days) for c in columns}))
        moved = (generated_at + timedelta(days=days)).isoformat()
        connection.execute(update(Meta).where(Meta.key == "generated_at").values(value=moved))
    log.info("demo park moved forward by %d days to %s", days, moved)
    return days


def has_park(engine: Engine) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(Meta).where(Meta.key == "park")).scalar_one()
            > 0
        )


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
    with engine.begin() as connection:
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
                {"key": "park", "value": "demo"},
                {"key": "demo_seed", "value": str(settings.demo_seed)},
                {"key": "generated_at", "value": now.isoformat()},
            ],
        )
    bar.n = 100
    bar.set_description("demo park: ready")
    bar.close()
    log.info("demo park written in %.1f s: %s", time.perf_counter() - started, counts)
    return counts
