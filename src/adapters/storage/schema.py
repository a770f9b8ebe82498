"""The master's tables (SPEC §4), SQLAlchemy Core, one definition for SQLite and PostgreSQL.

Conventions shared by every table:
- every table has ``cluster_id``;
- times are UTC unix seconds (``BigInteger``): ``ts`` is a snapshot's end
  (its ``timestamp``), ``hour`` the start of an hour (see ``domain.timewindow``);
- counts are integers, latency sums floats (ms), buckets JSON text
  ``{"le_ms": cumulative_count}``;
- ``window_seconds`` / ``covered_seconds`` are the seconds of counting the row
  covers, the denominator of rps.

Freshness of rollups: ingest bumps ``rollup_state.version`` of the snapshot's
hour; the aggregator rebuilds an hour and records the version it read into
``aggregated_version``. A complete hour is read from hourly rows only while
``version == aggregated_version``; otherwise its raw rows are used, so answers
are exact whether or not the aggregator has run, and late (spooled) snapshots
are never missed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    true,
)

from domain.totals import METHODS as _METHODS
from domain.totals import STATUS_CLASSES

metadata = MetaData()

_KEY = 253  # Kubernetes names and DNS names fit in 253 characters

# Column names of the traffic totals, for every reader and writer of these tables.
STATUS_COLUMNS = {cls: f"status_{cls}" for cls in STATUS_CLASSES}  # "2xx" → "status_2xx"
METHOD_COLUMNS = {m: (f"{m.lower()}_requests", f"{m.lower()}_errors") for m in _METHODS}  # "GET" → get_…
METHODS = tuple(m.lower() for m in _METHODS)
WORKLOAD_KEYS = ("namespace", "name")
EDGE_KEYS = ("src_ns", "src_name", "dst_ns", "dst_name")
INGRESS_KEYS = ("service_key",)


def _cluster() -> Column:
    return Column("cluster_id", String(63), primary_key=True)


def _target() -> list[Column]:
    """The key of an SLO target: its cluster, ``target_type`` and ``key``."""
    return [
        _cluster(),
        Column("target_type", String(16), primary_key=True),
        Column("key", String(_KEY), primary_key=True),
    ]


def _count(name: str) -> Column:
    return Column(name, BigInteger, nullable=False, default=0)


def _latency() -> list[Column]:
    return [Column("latency_sum", Float, nullable=False, default=0.0), _count("latency_count")]


def _histogram() -> list[Column]:
    return [*_latency(), Column("buckets", Text, nullable=False, default="{}")]


def _requests() -> list[Column]:
    """Requests, errors and their status classes, then the latency histogram."""
    return [_count("requests"), _count("errors"), *map(_count, STATUS_COLUMNS.values()), *_histogram()]


def _quantiles() -> list[Column]:
    return [Column(name, Float) for name in ("p50", "p95", "p99", "avg_latency", "availability")]


def _service_measures() -> list[Column]:
    return [*_requests(), _count("tls_requests"), _count("total_requests")]


def _edge_measures() -> list[Column]:
    return [_count("requests"), _count("failures"), *_latency()]


def _ingress_measures() -> list[Column]:
    return [
        Column("domain", String(_KEY), nullable=False, default=""),
        Column("path", String(2048), nullable=False, default=""),
        *_requests(),
        *(_count(column) for pair in METHOD_COLUMNS.values() for column in pair),
    ]


def _raw(name: str, keys: tuple[str, ...], measures: list[Column]) -> Table:
    """Rows as ingested: one per snapshot (``ts``) and key."""
    return Table(
        name,
        metadata,
        _cluster(),
        Column("ts", BigInteger, primary_key=True),
        *(Column(key, String(_KEY), primary_key=True) for key in keys),
        Column("window_seconds", Float, nullable=False),
        *measures,
    )


def _hourly(name: str, keys: tuple[str, ...], *measures: Column) -> Table:
    """Rows of the rollup: one per hour and key, with the seconds of counting behind them."""
    return Table(
        name,
        metadata,
        _cluster(),
        Column("hour", BigInteger, primary_key=True),
        *(Column(key, String(_KEY), primary_key=True) for key in keys),
        *measures,
        Column("covered_seconds", Float, nullable=False, default=0.0),
        Column("sample_count", Integer, nullable=False, default=0),
    )


snapshot_log = Table(
    "snapshot_log",
    metadata,
    _cluster(),
    Column("ts", BigInteger, primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("window_seconds", Float, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("agent_version", String(64), nullable=False, default=""),
)

clusters = Table(
    "clusters",
    metadata,
    _cluster(),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_snapshot", BigInteger, nullable=False),
    Column("last_received", BigInteger, nullable=False),
    Column("agent_version", String(64), nullable=False, default=""),
)

# Covered seconds of a cluster per hour: the rps denominator for hourly reads.
cluster_hourly = _hourly("cluster_hourly", ())

rollup_state = Table(
    "rollup_state",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    Column("version", BigInteger, nullable=False, default=0),
    Column("aggregated_version", BigInteger, nullable=False, default=-1),
    Column("aggregated_at", BigInteger),
)

service_raw = _raw("service_raw", WORKLOAD_KEYS, _service_measures())

service_hourly = _hourly(
    "service_hourly", WORKLOAD_KEYS, *_service_measures(), *_quantiles(), Column("mtls_percent", Float)
)

edge_raw = _raw("edge_raw", EDGE_KEYS, _edge_measures())

edge_hourly = _hourly("edge_hourly", EDGE_KEYS, *_edge_measures())

ingress_raw = _raw("ingress_raw", INGRESS_KEYS, _ingress_measures())

ingress_hourly = _hourly("ingress_hourly", INGRESS_KEYS, *_ingress_measures(), *_quantiles())

route_mapping = Table(
    "route_mapping",
    metadata,
    _cluster(),
    Column("domain", String(_KEY), primary_key=True),
    Column("path_prefix", String(2048), primary_key=True),
    Column("service_key", String(_KEY), primary_key=True),
    Column("name", String(_KEY), nullable=False, default=""),
    Column("namespace", String(_KEY), nullable=False, default=""),
    Column("service_name", String(_KEY), nullable=False, default=""),
    Column("service_port", Integer, nullable=False, default=0),
    Column("tls", Boolean, nullable=False, default=False),
    Column("last_seen", BigInteger, nullable=False),
)

# target_type is "service" (key "namespace/name") or "ingress" (key: a domain or
# a backend service_key); window is "1d", "7d" or "30d".
targets = Table(
    "targets",
    metadata,
    *_target(),
    Column("window", String(8), primary_key=True),
    # NULL: no availability objective / the master's default p95 threshold (SPEC §10).
    Column("availability_target", Float, nullable=True),
    Column("p95_target_ms", Float, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    Column("latency_threshold_ms", Float, nullable=True),
    Column("latency_target", Float, nullable=True),
    Column("alerting", Boolean, nullable=False, default=True, server_default=true()),
)

# The status the checker last saw, so that only changes write history.
status_current = Table(
    "status_current",
    metadata,
    *_target(),
    Column("status", String(16), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

status_history = Table(
    "status_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("cluster_id", String(63), nullable=False),
    Column("target_type", String(16), nullable=False),
    Column("key", String(_KEY), nullable=False),
    Column("old_status", String(16), nullable=False),
    Column("new_status", String(16), nullable=False),
    Column("availability", Float),
    Column("p95", Float),
    Column("error_budget", Float),
    Column("changed_at", BigInteger, nullable=False),
)

Index("ix_status_history_changed", status_history.c.changed_at)
Index("ix_status_history_key", status_history.c.cluster_id, status_history.c.target_type,
      status_history.c.key)
Index("ix_snapshot_log_received", snapshot_log.c.received_at)

# Burn-rate alerts (SPEC §11): one row per target × objective (sli) × tier; a re-fire replaces
# the resolved row. Times are unix seconds, windows seconds, budget percent.
alert_state = Table(
    "alert_state",
    metadata,
    *_target(),
    Column("slo_window", String(8), primary_key=True),
    Column("sli", String(16), primary_key=True),
    Column("tier", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("long_window", Integer, nullable=False),
    Column("short_window", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger),
    Column("burn_rate_long", Float),
    Column("burn_rate_short", Float),
    Column("budget_remaining", Float),
    Column("last_sent_at", BigInteger),
)

# The last notification round a master did per cluster, so that no round is notified twice.
alert_rounds = Table(
    "alert_rounds",
    metadata,
    _cluster(),
    Column("last_round", BigInteger, nullable=False),
    Column("done_at", BigInteger, nullable=False),
)

Index("ix_alert_state_resolved", alert_state.c.resolved_at)
