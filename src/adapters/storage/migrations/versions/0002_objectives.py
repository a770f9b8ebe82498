"""Objectives (SPEC §10): latency objective, alerting switch; availability and p95 optional.

Existing targets keep their values: their availability and p95 stay as they
were, they get no latency objective and alerting on. The new windows (28d,
week, month) need no schema change: ``window`` is text.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot alter a column's nullability in place; the table is copied.
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("availability_target", existing_type=sa.Float(), nullable=True)
        batch.alter_column("p95_target_ms", existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("latency_threshold_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("latency_target", sa.Float(), nullable=True))
        batch.add_column(sa.Column("alerting", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("alerting")
        batch.drop_column("latency_target")
        batch.drop_column("latency_threshold_ms")
        batch.alter_column("p95_target_ms", existing_type=sa.Float(), nullable=False)
        batch.alter_column("availability_target", existing_type=sa.Float(), nullable=False)
