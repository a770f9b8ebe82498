"""Initial schema: every table and index of ``adapters.storage.schema``.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_hourly",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("covered_seconds", sa.Float(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "hour"),
    )
    op.create_table(
        "clusters",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("first_seen", sa.BigInteger(), nullable=False),
        sa.Column("last_snapshot", sa.BigInteger(), nullable=False),
        sa.Column("last_received", sa.BigInteger(), nullable=False),
        sa.Column("agent_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id"),
    )
    op.create_table(
        "edge_hourly",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("src_ns", sa.String(length=253), nullable=False),
        sa.Column("src_name", sa.String(length=253), nullable=False),
        sa.Column("dst_ns", sa.String(length=253), nullable=False),
        sa.Column("dst_name", sa.String(length=253), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("covered_seconds", sa.Float(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "hour", "src_ns", "src_name", "dst_ns", "dst_name"),
    )
    op.create_table(
        "edge_raw",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("src_ns", sa.String(length=253), nullable=False),
        sa.Column("src_name", sa.String(length=253), nullable=False),
        sa.Column("dst_ns", sa.String(length=253), nullable=False),
        sa.Column("dst_name", sa.String(length=253), nullable=False),
        sa.Column("window_seconds", sa.Float(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "ts", "src_ns", "src_name", "dst_ns", "dst_name"),
    )
    op.create_table(
        "ingress_hourly",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("service_key", sa.String(length=253), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("status_2xx", sa.BigInteger(), nullable=False),
        sa.Column("status_3xx", sa.BigInteger(), nullable=False),
        sa.Column("status_4xx", sa.BigInteger(), nullable=False),
        sa.Column("status_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("buckets", sa.Text(), nullable=False),
        sa.Column("get_requests", sa.BigInteger(), nullable=False),
        sa.Column("get_errors", sa.BigInteger(), nullable=False),
        sa.Column("post_requests", sa.BigInteger(), nullable=False),
        sa.Column("post_errors", sa.BigInteger(), nullable=False),
        sa.Column("put_requests", sa.BigInteger(), nullable=False),
        sa.Column("put_errors", sa.BigInteger(), nullable=False),
        sa.Column("delete_requests", sa.BigInteger(), nullable=False),
        sa.Column("delete_errors", sa.BigInteger(), nullable=False),
        sa.Column("patch_requests", sa.BigInteger(), nullable=False),
        sa.Column("patch_errors", sa.BigInteger(), nullable=False),
        sa.Column("other_requests", sa.BigInteger(), nullable=False),
        sa.Column("other_errors", sa.BigInteger(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=True),
        sa.Column("p95", sa.Float(), nullable=True),
        sa.Column("p99", sa.Float(), nullable=True),
        sa.Column("avg_latency", sa.Float(), nullable=True),
        sa.Column("availability", sa.Float(), nullable=True),
        sa.Column("covered_seconds", sa.Float(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "hour", "service_key"),
    )
    op.create_table(
        "ingress_raw",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("service_key", sa.String(length=253), nullable=False),
        sa.Column("window_seconds", sa.Float(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("status_2xx", sa.BigInteger(), nullable=False),
        sa.Column("status_3xx", sa.BigInteger(), nullable=False),
        sa.Column("status_4xx", sa.BigInteger(), nullable=False),
        sa.Column("status_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("buckets", sa.Text(), nullable=False),
        sa.Column("get_requests", sa.BigInteger(), nullable=False),
        sa.Column("get_errors", sa.BigInteger(), nullable=False),
        sa.Column("post_requests", sa.BigInteger(), nullable=False),
        sa.Column("post_errors", sa.BigInteger(), nullable=False),
        sa.Column("put_requests", sa.BigInteger(), nullable=False),
        sa.Column("put_errors", sa.BigInteger(), nullable=False),
        sa.Column("delete_requests", sa.BigInteger(), nullable=False),
        sa.Column("delete_errors", sa.BigInteger(), nullable=False),
        sa.Column("patch_requests", sa.BigInteger(), nullable=False),
        sa.Column("patch_errors", sa.BigInteger(), nullable=False),
        sa.Column("other_requests", sa.BigInteger(), nullable=False),
        sa.Column("other_errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "ts", "service_key"),
    )
    op.create_table(
        "rollup_state",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("aggregated_version", sa.BigInteger(), nullable=False),
        sa.Column("aggregated_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("cluster_id", "hour"),
    )
    op.create_table(
        "route_mapping",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("path_prefix", sa.String(length=2048), nullable=False),
        sa.Column("service_key", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("service_name", sa.String(length=253), nullable=False),
        sa.Column("service_port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "domain", "path_prefix", "service_key"),
    )
    op.create_table(
        "service_hourly",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("status_2xx", sa.BigInteger(), nullable=False),
        sa.Column("status_3xx", sa.BigInteger(), nullable=False),
        sa.Column("status_4xx", sa.BigInteger(), nullable=False),
        sa.Column("status_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("buckets", sa.Text(), nullable=False),
        sa.Column("tls_requests", sa.BigInteger(), nullable=False),
        sa.Column("total_requests", sa.BigInteger(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=True),
        sa.Column("p95", sa.Float(), nullable=True),
        sa.Column("p99", sa.Float(), nullable=True),
        sa.Column("avg_latency", sa.Float(), nullable=True),
        sa.Column("availability", sa.Float(), nullable=True),
        sa.Column("mtls_percent", sa.Float(), nullable=True),
        sa.Column("covered_seconds", sa.Float(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "hour", "namespace", "name"),
    )
    op.create_table(
        "service_raw",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("window_seconds", sa.Float(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("status_2xx", sa.BigInteger(), nullable=False),
        sa.Column("status_3xx", sa.BigInteger(), nullable=False),
        sa.Column("status_4xx", sa.BigInteger(), nullable=False),
        sa.Column("status_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("buckets", sa.Text(), nullable=False),
        sa.Column("tls_requests", sa.BigInteger(), nullable=False),
        sa.Column("total_requests", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "ts", "namespace", "name"),
    )
    op.create_table(
        "snapshot_log",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_seconds", sa.Float(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("agent_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "ts"),
    )
    op.create_index("ix_snapshot_log_received", "snapshot_log", ["received_at"], unique=False)

    op.create_table(
        "status_current",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "target_type", "key"),
    )
    op.create_table(
        "status_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=253), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("availability", sa.Float(), nullable=True),
        sa.Column("p95", sa.Float(), nullable=True),
        sa.Column("error_budget", sa.Float(), nullable=True),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_history_changed", "status_history", ["changed_at"], unique=False)
    op.create_index(
        "ix_status_history_key", "status_history", ["cluster_id", "target_type", "key"], unique=False
    )

    op.create_table(
        "targets",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=253), nullable=False),
        sa.Column("window", sa.String(length=8), nullable=False),
        sa.Column("availability_target", sa.Float(), nullable=False),
        sa.Column("p95_target_ms", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", "target_type", "key", "window"),
    )


def downgrade() -> None:
    op.drop_table("targets")
    op.drop_index("ix_status_history_key", table_name="status_history")
    op.drop_index("ix_status_history_changed", table_name="status_history")

    op.drop_table("status_history")
    op.drop_table("status_current")
    op.drop_index("ix_snapshot_log_received", table_name="snapshot_log")

    op.drop_table("snapshot_log")
    op.drop_table("service_raw")
    op.drop_table("service_hourly")
    op.drop_table("route_mapping")
    op.drop_table("rollup_state")
    op.drop_table("ingress_raw")
    op.drop_table("ingress_hourly")
    op.drop_table("edge_raw")
    op.drop_table("edge_hourly")
    op.drop_table("clusters")
    op.drop_table("cluster_hourly")
