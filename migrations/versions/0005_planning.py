"""Courier planning: plan runs (plans and what-ifs, with their totals, loads, notes and
comparison) and one plan line per order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:00:23.250728
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models.types import Money, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "plan",
                "what_if",
                name="plan_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost", Money(), nullable=False),
        sa.Column("objective", Money(), nullable=False),
        sa.Column("bound", Money(), nullable=False),
        sa.Column("penalty", Money(), nullable=False),
        sa.Column("gap_pct", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("rate_shopping_cost", Money(), nullable=False),
        sa.Column("rate_shopping_unassigned", sa.Integer(), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("loads", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("committed_by", sa.String(length=64), nullable=True),
        sa.Column("committed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "parcels >= 0 AND rate_shopping_unassigned >= 0", name=op.f("ck_plan_runs_counts")
        ),
        sa.ForeignKeyConstraint(
            ["based_on_id"], ["plan_runs.id"], name=op.f("fk_plan_runs_based_on_id_plan_runs")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_plan_runs_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_runs")),
        sa.UniqueConstraint("number", name=op.f("uq_plan_runs_number")),
    )
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_runs_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "plan_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=True),
        sa.Column("price", Money(), nullable=True),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("refusals", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "(service_code IS NULL) = (price IS NULL) AND (service_code IS NULL) <> (reason IS NULL)",
            name=op.f("ck_plan_lines_assigned_or_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_plan_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan_runs.id"], name=op.f("fk_plan_lines_plan_id_plan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_lines")),
        sa.UniqueConstraint("plan_id", "order_id", name=op.f("uq_plan_lines_plan_id_order_id")),
    )
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_lines_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_lines_order_id"))

    op.drop_table("plan_lines")
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_runs_warehouse_id"))

    op.drop_table("plan_runs")
