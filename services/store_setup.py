"""Bring the store to a usable state: migrate it, and in the embedded profile fill an empty
store with the demo park (with a progress bar), so `make run` shows a park in seconds."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select
from tqdm import tqdm

from config.settings import Settings
from store.bulk import write_frame
from store.engine import make_engine
from store.migrate import upgrade
from store.models import CONTRACT_TABLES, Base, Department, GridCell, GridWorker, Meta

log = logging.getLogger(__name__)

REFERENCE_TABLES = {
    "departments": Department.__table__,
    "grid_cells": GridCell.__table__,
    "grid_workers": GridWorker.__table__,
}


def prepare_store(settings: Settings, *, seed: bool = True) -> Engine:
    """Migrate the store; seed the demo park when `seed`, the profile is embedded and the
    store holds no park yet. Returns the engine."""
    engine = make_engine(settings.store_url)
    upgrade(engine)
    if seed and settings.profile == "embedded" and not has_park(engine):
        seed_demo_park(engine, settings)
    return engine


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
    frames = {
        **{c: getattr(park, c) for c in CONTRACT_TABLES},
        **{r: getattr(park, r) for r in REFERENCE_TABLES},
    }
    total_rows = sum(len(f) for f in frames.values()) or 1
    written = 0
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in CONTRACT_TABLES or table.name in REFERENCE_TABLES or table.name == "meta":
                connection.execute(delete(table))
        for name, frame in frames.items():
            table = CONTRACT_TABLES.get(name) or REFERENCE_TABLES[name]
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
