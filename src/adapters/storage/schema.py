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
)

metadata = MetaData()

_KEY = 253  # Kubernetes names and DNS names fit in 253 characters


def _cluster() -> Column:
    return Column("cluster_id", String(63), primary_key=True)


def _status_classes() -> list[Column]:
    return [
        Column(f"status_{c}xx", BigInteger, nullable=False, default=0) for c in "2345"
    ]


def _histogram() -> list[Column]:
    return [
        Column("latency_sum", Float, nullable=False, default=0.0),
        Column("latency_count", BigInteger, nullable=False, default=0),
        Column("buckets", Text, nullable=False, default="{}"),
    ]


def _quantiles() -> list[Column]:
    return [
        Column("p50", Float),
        Column("p95", Float),
        Column("p99", Float),
        Column("avg_latency", Float),
        Column("availability", Float),
    ]


METHODS = ("get", "post", "put", "delete", "patch", "other")


def _methods() -> list[Column]:
    cols: list[Column] = []
    for m in METHODS:
        cols.append(Column(f"{m}_requests", BigInteger, nullable=False, default=0))
        cols.append(Column(f"{m}_errors", BigInteger, nullable=False, default=0))
    return cols


def _service_measures() -> list[Column]:
    return [
        Column("requests", BigInteger, nullable=False, default=0),
        Column("errors", BigInteger, nullable=False, default=0),
        *_status_classes(),
        *_histogram(),
        Column("tls_requests", BigInteger, nullable=False, default=0),
        Column("total_requests", BigInteger, nullable=False, default=0),
    ]


def _edge_measures() -> list[Column]:
    return [
        Column("requests", BigInteger, nullable=False, default=0),
        Column("failures", BigInteger, nullable=False, default=0),
        Column("latency_sum", Float, nullable=False, default=0.0),
        Column("latency_count", BigInteger, nullable=False, default=0),
    ]


def _ingress_measures() -> list[Column]:
    return [
        Column("domain", String(_KEY), nullable=False, default=""),
        Column("path", String(2048), nullable=False, default=""),
        Column("requests", BigInteger, nullable=False, default=0),
        Column("errors", BigInteger, nullable=False, default=0),
        *_status_classes(),
        *_histogram(),
        *_methods(),
    ]


def _hourly_extras() -> list[Column]:
    return [
        Column("covered_seconds", Float, nullable=False, default=0.0),
        Column("sample_count", Integer, nullable=False, default=0),
    ]


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
cluster_hourly = Table(
    "cluster_hourly",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    *_hourly_extras(),
)

rollup_state = Table(
    "rollup_state",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    Column("version", BigInteger, nullable=False, default=0),
    Column("aggregated_version", BigInteger, nullable=False, default=-1),
    Column("aggregated_at", BigInteger),
)

service_raw = Table(
    "service_raw",
    metadata,
    _cluster(),
    Column("ts", BigInteger, primary_key=True),
    Column("namespace", String(_KEY), primary_key=True),
    Column("name", String(_KEY), primary_key=True),
    Column("window_seconds", Float, nullable=False),
    *_service_measures(),
)

service_hourly = Table(
    "service_hourly",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    Column("namespace", String(_KEY), primary_key=True),
    Column("name", String(_KEY), primary_key=True),
    *_service_measures(),
    *_quantiles(),
    Column("mtls_percent", Float),
    *_hourly_extras(),
)

edge_raw = Table(
    "edge_raw",
    metadata,
    _cluster(),
    Column("ts", BigInteger, primary_key=True),
    Column("src_ns", String(_KEY), primary_key=True),
    Column("src_name", String(_KEY), primary_key=True),
    Column("dst_ns", String(_KEY), primary_key=True),
    Column("dst_name", String(_KEY), primary_key=True),
    Column("window_seconds", Float, nullable=False),
    *_edge_measures(),
)

edge_hourly = Table(
    "edge_hourly",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    Column("src_ns", String(_KEY), primary_key=True),
    Column("src_name", String(_KEY), primary_key=True),
    Column("dst_ns", String(_KEY), primary_key=True),
    Column("dst_name", String(_KEY), primary_key=True),
    *_edge_measures(),
    *_hourly_extras(),
)

ingress_raw = Table(
    "ingress_raw",
    metadata,
    _cluster(),
    Column("ts", BigInteger, primary_key=True),
    Column("service_key", String(_KEY), primary_key=True),
    Column("window_seconds", Float, nullable=False),
    *_ingress_measures(),
)

ingress_hourly = Table(
    "ingress_hourly",
    metadata,
    _cluster(),
    Column("hour", BigInteger, primary_key=True),
    Column("service_key", String(_KEY), primary_key=True),
    *_ingress_measures(),
    *_quantiles(),
    *_hourly_extras(),
)

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
    _cluster(),
    Column("target_type", String(16), primary_key=True),
    Column("key", String(_KEY), primary_key=True),
    Column("window", String(8), primary_key=True),
    Column("availability_target", Float, nullable=False),
    Column("p95_target_ms", Float, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The status the checker last saw, so that only changes write history.
status_current = Table(
    "status_current",
    metadata,
    _cluster(),
    Column("target_type", String(16), primary_key=True),
    Column("key", String(_KEY), primary_key=True),
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
