"""Display-only stock loans: loans, their items and events, dashboard notices, display-tag
scans; products get their online listing URL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:03:07.983361
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models.types import Money, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("kind", "subject", name=op.f("uq_notices_kind_subject")),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "out",
                "partly_returned",
                "returned",
                "written_off",
                "cancelled",
                name="loan_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("out_at", UTCDateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("guarantee_amount", Money(), nullable=False),
        sa.Column("guarantee_reference", sa.String(length=64), nullable=True),
        sa.Column("guarantee_expires", sa.Date(), nullable=True),
        sa.Column("out_checklist", sa.String(length=32), nullable=True),
        sa.Column("out_release_note", sa.String(length=32), nullable=True),
        sa.Column("overdue_since", UTCDateTime(), nullable=True),
        sa.CheckConstraint("guarantee_amount >= 0", name=op.f("ck_loans_guarantee_not_negative")),
        sa.ForeignKeyConstraint(
            ["showroom_id"], ["locations.id"], name=op.f("fk_loans_showroom_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_loans_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("number", name=op.f("uq_loans_number")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_showroom_id"), ["showroom_id"], unique=False)

    op.create_table(
        "loan_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_events_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_events")),
    )
    with op.batch_alter_table("loan_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_events_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "loan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("out_quantity", sa.Integer(), nullable=False),
        sa.Column("returned_quantity", sa.Integer(), nullable=False),
        sa.Column("written_off_quantity", sa.Integer(), nullable=False),
        sa.Column("unit_guarantee", Money(), nullable=False),
        sa.Column("duty_payable", Money(), nullable=False),
        sa.Column("tag_code", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "out_quantity >= 0 AND out_quantity <= quantity",
            name=op.f("ck_loan_items_out_within_requested"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_loan_items_quantity_positive")),
        sa.CheckConstraint(
            "returned_quantity >= 0 AND written_off_quantity >= 0 AND returned_quantity + written_off_quantity <= out_quantity",
            name=op.f("ck_loan_items_back_within_out"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_items_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_loan_items_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_loan_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_items")),
        sa.UniqueConstraint("loan_id", "lot_id", name=op.f("uq_loan_items_loan_id_lot_id")),
        sa.UniqueConstraint("tag_code", name=op.f("uq_loan_items_tag_code")),
    )
    op.create_table(
        "tag_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_item_id", sa.Integer(), nullable=False),
        sa.Column("showroom_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_item_id"], ["loan_items.id"], name=op.f("fk_tag_scans_loan_item_id_loan_items")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_tag_scans_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"], ["locations.id"], name=op.f("fk_tag_scans_showroom_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_scans")),
    )
    with op.batch_alter_table("tag_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tag_scans_showroom_product", ["showroom_id", "product_id"], unique=False
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listing_url", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("listing_url")

    with op.batch_alter_table("tag_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_scans_showroom_product")

    op.drop_table("tag_scans")
    op.drop_table("loan_items")
    with op.batch_alter_table("loan_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_events_loan_id"))

    op.drop_table("loan_events")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_showroom_id"))

    op.drop_table("loans")
    op.drop_table("notices")
