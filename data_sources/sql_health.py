"""A HealthBook kept in the store (SQL), so every worker and the Sources page see one truth."""

from __future__ import annotations

from dataclasses import asdict, fields

from sqlalchemy import Engine, delete, insert, select, update

from data_sources.health import RECENT_REJECTIONS, HealthBook, SourceHealth
from data_sources.monitor import utc_now
from data_sources.validation import Rejection
from store.models import SourceHealthRow, SourceRejectionRow

_HEALTH_FIELDS = [f.name for f in fields(SourceHealth)]


def _health(row) -> SourceHealth:
    values = {k: row[k] for k in _HEALTH_FIELDS}
    values["batches"] = tuple(tuple(b) for b in values["batches"] or ())
    return SourceHealth(**values)


class SqlHealthBook(HealthBook):
    """Writes through to the store on every put; reads come from the store."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def put(self, health: SourceHealth, rejections: list[Rejection] | None = None) -> None:
        super().put(health, rejections)
        values = asdict(health)
        table = SourceHealthRow
        rtable = SourceRejectionRow
        with self.engine.begin() as connection:
            done = connection.execute(update(table).where(table.source == health.source).values(**values))
            if done.rowcount == 0:
                connection.execute(insert(table).values(**values))
            if rejections:
                at = utc_now()
                kept = rejections[-RECENT_REJECTIONS:]
                connection.execute(
                    insert(rtable),
                    [{**asdict(r), "value": r.value[:80], "at": at} for r in kept],
                )
                # keep only the newest RECENT_REJECTIONS per source
                newest = (
                    select(rtable.pk)
                    .where(rtable.source == health.source)
                    .order_by(rtable.pk.desc())
                    .limit(RECENT_REJECTIONS)
                )
                connection.execute(
                    delete(rtable).where(rtable.source == health.source, rtable.pk.not_in(newest))
                )

    def get(self, source: str) -> SourceHealth | None:
        table = SourceHealthRow.__table__
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.source == source)).mappings().first()
        return _health(row) if row else None

    def all(self) -> list[SourceHealth]:
        table = SourceHealthRow.__table__
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.source)).mappings().all()
        return [_health(row) for row in rows]

    def recent_rejections(self, source: str) -> list[Rejection]:
        table = SourceRejectionRow.__table__
        with self.engine.connect() as connection:
            rows = (
                connection.execute(select(table).where(table.c.source == source).order_by(table.c.pk))
                .mappings()
                .all()
            )
        names = [f.name for f in fields(Rejection)]
        return [Rejection(**{k: row[k] for k in names}) for row in rows]
