"""Tables of the store: one per contract (data_sources/contracts.py), reference data of the
park, and the health of sources. Every table has an INTEGER primary key (fast keyset paging
in large tables, FIELD_NOTES.md); a contract's own key is a unique column beside it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import BigInteger

from store.case_derived import KPI_INDEXES, generated
from store.model_base import NAMING, Base  # noqa: F401 - the base every table and migration reads
from store.model_base import pk_column as _pk
from store.models_access import ApiToken, AuditRow, User  # noqa: F401 - registered on Base, imported from here
from store.models_embed import EmbedToken  # noqa: F401 - registered on Base, imported from here
from store.types import JsonType


class Department(Base):
    __tablename__ = "departments"
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    domains: Mapped[str | None] = mapped_column(String(200))


class GridCell(Base):
    __tablename__ = "grid_cells"
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(32), unique=True)
    level: Mapped[str] = mapped_column(String(16), index=True)  # unit / community / responsibility
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    parent: Mapped[str | None] = mapped_column(String(32))
    area_m2: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class GridWorker(Base):
    __tablename__ = "grid_workers"
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    grid_cell: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_reported_at", "reported_at"),
        Index("ix_cases_department_status", "department", "status"),
        # the Cases page's grid, newest first within a department, a channel or a domain, and
        # by deadline (migration 0004; figures in bench/bench_cases.py)
        Index("ix_cases_department_reported_at", "department", "reported_at"),
        Index("ix_cases_domain_channel_reported_at", "domain", "channel", "reported_at"),
        Index(
            "ix_cases_department_domain_channel_reported_at", "department", "domain", "channel", "reported_at"
        ),
        Index("ix_cases_channel_reported_at", "channel", "reported_at"),
        Index("ix_cases_sla_deadline", "sla_deadline"),
        Index("ix_cases_department_sla_deadline", "department", "sla_deadline"),  # 0009
        # the KPIs' windows, read from the index alone with the computed hours (0011, 0012, 0015)
        *(Index(name, *columns) for name, columns in KPI_INDEXES.items()),
        Index("ix_cases_alert_id", "alert_id"),
        # the open cases' backlog age, the park's and a department's, from the index alone (0016)
        Index("ix_cases_status_department_reported_at", "status", "department", "reported_at"),
    )
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(32))
    case_type: Mapped[str] = mapped_column(String(64))
    grid_cell: Mapped[str | None] = mapped_column(String(32), index=True)
    department: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reported_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sla_deadline: Mapped[datetime | None]
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(200))
    address_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    repeat_of: Mapped[str | None] = mapped_column(String(64))
    # The closed loop's bookkeeping (domain/case_lifecycle.py), not part of the cases contract:
    # when the current status was entered, when handling started, how often the resident sent
    # it back, and a version every step raises (two officers acting at once: one wins).
    status_at: Mapped[datetime | None]
    in_progress_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # the alert this case was opened from (the alert names the case too: linked both ways)
    alert_id: Mapped[str | None] = mapped_column(String(64))
    # computed by the database at every write, for the KPIs' windows (store/case_derived.py, 0015)
    handling_hours: Mapped[float | None] = mapped_column(Float, generated("handling_hours"))
    dispatch_hours: Mapped[float | None] = mapped_column(Float, generated("dispatch_hours"))
    fieldwork_hours: Mapped[float | None] = mapped_column(Float, generated("fieldwork_hours"))
    verify_hours: Mapped[float | None] = mapped_column(Float, generated("verify_hours"))
    closed_on_time: Mapped[int | None] = mapped_column(Integer, generated("closed_on_time"))


class CaseEvent(Base):
    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_action_at", "action", "at"),)  # returns, reopenings (0011)
    pk: Mapped[int] = _pk()
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    # the step's statuses (null for events imported from elsewhere) and its particulars
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Sensor(Base):
    __tablename__ = "sensors"
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_cell: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    address_en: Mapped[str | None] = mapped_column(String(200))
    thresholds: Mapped[dict[str, Any] | None]


class Reading(Base):
    __tablename__ = "readings"
    # one reading per sensor, quantity and time: a duplicate is dropped by the store itself
    __table_args__ = (
        Index("ix_readings_sensor_quantity_at", "sensor_id", "quantity", "at", unique=True),
        # the sensors that reported in the last minutes, from the index alone (0016)
        Index("ix_readings_at_sensor_id", "at", "sensor_id"),
    )
    pk: Mapped[int] = _pk()
    sensor_id: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(index=True)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_department_state", "department", "state"),
        Index("ix_alerts_raised_at", "raised_at"),
        # the alerts still open to their rule, which the alert engine looks up (migration 0008)
        Index(
            "ix_alerts_open_rule_sensor",
            "rule",
            "sensor_id",
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(64), unique=True)
    rule: Mapped[str] = mapped_column(String(64))
    sensor_id: Mapped[str | None] = mapped_column(String(128), index=True)
    quantity: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(64))
    # the lifecycle (domain/alert_lifecycle.py): version for optimistic locking, the department
    # that answers it (the sensor's owner, then the assignee's), when its condition cleared, and
    # its message's catalogue key and values
    version: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    department: Mapped[str | None] = mapped_column(String(32))
    cleared_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class AlertEvent(Base):
    """One step of an alert's history. Its pk orders every alert change of the store, so it is
    the live stream's sequence number: a client that reconnects catches up from the last it saw."""

    __tablename__ = "alert_events"
    pk: Mapped[int] = _pk()
    alert_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class ReadingHourly(Base):
    """Readings older than the raw retention window, kept as hourly aggregates so the store stays
    bounded while history and trends remain."""

    __tablename__ = "readings_hourly"
    __table_args__ = (
        Index("ix_readings_hourly_sensor_quantity_hour", "sensor_id", "quantity", "hour", unique=True),
    )
    pk: Mapped[int] = _pk()
    sensor_id: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    hour: Mapped[datetime]
    n: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class Feature(Base):
    __tablename__ = "features"
    __table_args__ = (UniqueConstraint("layer", "id", name="uq_features_layer_id"),)
    pk: Mapped[int] = _pk()
    layer: Mapped[str] = mapped_column(String(64), index=True)
    id: Mapped[str] = mapped_column(String(64))
    geometry: Mapped[dict[str, Any]]
    properties: Mapped[dict[str, Any] | None]


class Enterprise(Base):
    __tablename__ = "enterprises"
    pk: Mapped[int] = _pk()
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    founded_on: Mapped[date | None]
    industry_code: Mapped[str] = mapped_column(String(4), index=True)
    chain_link: Mapped[str | None] = mapped_column(String(64), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class EnterpriseFigure(Base):
    __tablename__ = "enterprise_figures"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year", name="uq_enterprise_figures_enterprise_year"),
    )
    pk: Mapped[int] = _pk()
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[float | None] = mapped_column(Float)
    tax: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    rd_spending: Mapped[float | None] = mapped_column(Float)
    patents: Mapped[int | None] = mapped_column(Integer)


class ChainLink(Base):
    __tablename__ = "chains"
    __table_args__ = (UniqueConstraint("chain", "link", name="uq_chains_chain_link"),)
    pk: Mapped[int] = _pk()
    chain: Mapped[str] = mapped_column(String(64))
    chain_name: Mapped[str | None] = mapped_column(String(100))
    chain_name_en: Mapped[str | None] = mapped_column(String(100))
    link: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    parent_link: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))


class SourceHealthRow(Base):
    __tablename__ = "source_health"
    pk: Mapped[int] = _pk()
    # Text, not cut to a length: the name identifies the source, and two long names sharing a
    # prefix must not become one row. The other texts are cut to fit (data_sources/sql_health.py).
    source: Mapped[str] = mapped_column(Text, unique=True)
    adapter: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    last_attempt: Mapped[datetime | None]
    last_success: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # the latest batch of each contract: [[contract, rows accepted, rows rejected], ...]
    batches: Mapped[list[Any]] = mapped_column(JsonType, default=list)


class SourceRejectionRow(Base):
    __tablename__ = "source_rejections"
    pk: Mapped[int] = _pk()
    source: Mapped[str] = mapped_column(Text, index=True)
    contract: Mapped[str] = mapped_column(String(32))
    row: Mapped[int] = mapped_column(Integer)
    key: Mapped[str | None] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class ImportCheckpoint(Base):
    """How far an import source has read (services/case_import.py): its cursor (an update time,
    a page, a file's line; the source's own words) and when it was written, so an import resumes
    after a restart and a poll asks only for what changed."""

    __tablename__ = "import_checkpoints"
    pk: Mapped[int] = _pk()
    source: Mapped[str] = mapped_column(Text, unique=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Meta(Base):
    """Facts about the store itself (e.g. which demo park it holds)."""

    __tablename__ = "meta"
    pk: Mapped[int] = _pk()
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[str] = mapped_column(Text)


class DataVersion(Base):
    """A version per contract that the store's own triggers raise on every write to its table
    (migration 0010; store/data_versions.py reads them): cached figures are keyed by it. Keyed
    by the contract's name, not an INTEGER pk: a handful of rows, read whole."""

    __tablename__ = "data_versions"
    contract: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


CONTRACT_TABLES = {
    "cases": Case.__table__,
    "case_events": CaseEvent.__table__,
    "sensors": Sensor.__table__,
    "readings": Reading.__table__,
    "alerts": Alert.__table__,
    "features": Feature.__table__,
    "enterprises": Enterprise.__table__,
    "enterprise_figures": EnterpriseFigure.__table__,
    "chains": ChainLink.__table__,
}
