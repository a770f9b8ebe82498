"""Burn-rate alerts (SPEC §11): alert state per target × objective × tier, notification rounds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=253), nullable=False),
        sa.Column("slo_window", sa.String(length=8), nullable=False),
        sa.Column("sli", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("long_window", sa.Integer(), nullable=False),
        sa.Column("short_window", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("burn_rate_long", sa.Float(), nullable=True),
        sa.Column("burn_rate_short", sa.Float(), nullable=True),
        sa.Column("budget_remaining", sa.Float(), nullable=True),
        sa.Column("last_sent_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("cluster_id", "target_type", "key", "slo_window", "sli", "tier"),
    )
    op.create_index("ix_alert_state_resolved", "alert_state", ["resolved_at"])
    op.create_table(
        "alert_rounds",
        sa.Column("cluster_id", sa.String(length=63), nullable=False),
        sa.Column("last_round", sa.BigInteger(), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id"),
    )


def downgrade() -> None:
    op.drop_table("alert_rounds")
    op.drop_index("ix_alert_state_resolved", table_name="alert_state")
    op.drop_table("alert_state")
