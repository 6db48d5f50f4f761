"""Outbound: sales channels, consumer orders, reservations, waves, box types, parcels,
release batches, consumer returns and the order audit trail; bins get a pick sequence.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:28:12.930629
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models.types import Money, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "box_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("tare_g", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0",
            name=op.f("ck_box_types_dimensions_positive"),
        ),
        sa.CheckConstraint("tare_g >= 0", name=op.f("ck_box_types_tare_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_types")),
        sa.UniqueConstraint("code", name=op.f("uq_box_types_code")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("min_shelf_life_days", sa.Integer(), nullable=False),
        sa.Column("platform_code", sa.String(length=18), nullable=True),
        sa.Column("ecommerce_code", sa.String(length=18), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "min_shelf_life_days >= 0", name=op.f("ck_channels_shelf_life_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("code", name=op.f("uq_channels_code")),
    )
    op.create_table(
        "release_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                "gated_out",
                name="release_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("vehicle_plate", sa.String(length=16), nullable=False),
        sa.Column("seal_number", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("gated_out_at", UTCDateTime(), nullable=True),
        sa.Column("gated_out_by", sa.String(length=64), nullable=True),
        sa.Column(
            "operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["stock_operations.id"],
            name=op.f("fk_release_batches_operation_id_stock_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_release_batches_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_release_batches_number")),
    )
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_waves_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waves")),
        sa.UniqueConstraint("number", name=op.f("uq_waves_number")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "flow",
            sa.Enum(
                "bonded_import",
                "direct_mail",
                "export",
                "domestic",
                name="order_flow",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "on_hold",
                "allocated",
                "planned",
                "declared",
                "cleared",
                "rejected",
                "picked",
                "packed",
                "labelled",
                "loaded",
                "released",
                "handed_over",
                "cancelled",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "resume_status",
            sa.Enum(
                "received",
                "on_hold",
                "allocated",
                "planned",
                "declared",
                "cleared",
                "rejected",
                "picked",
                "packed",
                "labelled",
                "loaded",
                "released",
                "handed_over",
                "cancelled",
                name="order_resume_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("hold_reason", sa.JSON(), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("consignee_name", sa.String(length=100), nullable=False),
        sa.Column("consignee_id_type", sa.String(length=16), nullable=True),
        sa.Column("consignee_id_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("consignee_id_masked", sa.String(length=32), nullable=True),
        sa.Column("consignee_phone_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("consignee_phone_masked", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("province", sa.String(length=60), nullable=True),
        sa.Column("city", sa.String(length=60), nullable=True),
        sa.Column("district", sa.String(length=60), nullable=True),
        sa.Column("address", sa.String(length=240), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("freight", Money(), nullable=False),
        sa.Column("insurance", Money(), nullable=False),
        sa.Column("payment_number", sa.String(length=60), nullable=True),
        sa.Column("payer_name", sa.String(length=100), nullable=True),
        sa.Column("payer_id_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("payer_id_masked", sa.String(length=32), nullable=True),
        sa.Column("paid_amount", Money(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("courier_code", sa.String(length=32), nullable=True),
        sa.Column("tracking_number", sa.String(length=40), nullable=True),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("declaration_ref", sa.String(length=40), nullable=True),
        sa.Column("customs_note", sa.String(length=400), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "freight >= 0 AND insurance >= 0", name=op.f("ck_orders_charges_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_orders_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_orders_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_orders_wave_id_waves")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "channel_id", "order_number", name=op.f("uq_orders_channel_id_order_number")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_status_flow", ["status", "flow"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_tracking_number"), ["tracking_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "consumer_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "received",
                "restocked",
                "refused",
                name="return_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("inspected_at", UTCDateTime(), nullable=True),
        sa.Column("refused_reason", sa.String(length=400), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_consumer_returns_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_consumer_returns_number")),
    )
    with op.batch_alter_table("consumer_returns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consumer_returns_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", Money(), nullable=False),
        sa.Column("discount", Money(), nullable=False),
        sa.Column("picked_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "picked_quantity >= 0 AND picked_quantity <= quantity",
            name=op.f("ck_order_lines_picked_within_ordered"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND discount >= 0", name=op.f("ck_order_lines_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_lines_order_id_line_no")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False)

    op.create_table(
        "parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("box_type_id", sa.Integer(), nullable=True),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("gross_weight_g", sa.Integer(), nullable=False),
        sa.Column("expected_weight_g", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "packed",
                "labelled",
                "loaded",
                "released",
                "handed_over",
                "void",
                name="parcel_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("courier_code", sa.String(length=32), nullable=True),
        sa.Column("tracking_number", sa.String(length=40), nullable=True),
        sa.Column("release_batch_id", sa.Integer(), nullable=True),
        sa.Column("master_carton", sa.String(length=40), nullable=True),
        sa.Column("packed_by", sa.String(length=64), nullable=False),
        sa.Column("packed_at", UTCDateTime(), nullable=False),
        sa.Column("labelled_at", UTCDateTime(), nullable=True),
        sa.Column("loaded_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("gross_weight_g > 0", name=op.f("ck_parcels_weight_positive")),
        sa.CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0",
            name=op.f("ck_parcels_dimensions_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["box_type_id"], ["box_types.id"], name=op.f("fk_parcels_box_type_id_box_types")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_parcels_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["release_batch_id"],
            ["release_batches.id"],
            name=op.f("fk_parcels_release_batch_id_release_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcels")),
        sa.UniqueConstraint("number", name=op.f("uq_parcels_number")),
    )
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcels_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parcels_release_batch_id"), ["release_batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parcels_tracking_number"), ["tracking_number"], unique=False
        )

    op.create_table(
        "consumer_return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("restocked_quantity", sa.Integer(), nullable=False),
        sa.Column("scrapped_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_consumer_return_lines_quantity_positive")),
        sa.CheckConstraint(
            "restocked_quantity >= 0 AND scrapped_quantity >= 0 AND restocked_quantity + scrapped_quantity <= quantity",
            name=op.f("ck_consumer_return_lines_inspected_within_returned"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_consumer_return_lines_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_consumer_return_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["consumer_returns.id"],
            name=op.f("fk_consumer_return_lines_return_id_consumer_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_return_lines")),
    )
    op.create_table(
        "parcel_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_parcel_items_quantity_positive")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_parcel_items_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_parcel_items_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcels.id"], name=op.f("fk_parcel_items_parcel_id_parcels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_items")),
        sa.UniqueConstraint(
            "parcel_id",
            "order_line_id",
            "lot_id",
            name=op.f("uq_parcel_items_parcel_id_order_line_id_lot_id"),
        ),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("picked_quantity", sa.Integer(), nullable=False),
        sa.Column("short_quantity", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("pick_sequence", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "picked_quantity >= 0 AND short_quantity >= 0 AND picked_quantity + short_quantity <= quantity",
            name=op.f("ck_reservations_picked_within_reserved"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_reservations_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_reservations_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_reservations_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_reservations_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_reservations_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reservations_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reservations_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index("ix_reservations_wave", ["wave_id", "pick_sequence"], unique=False)

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pick_sequence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("pick_sequence")

    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_wave")
        batch_op.drop_index(batch_op.f("ix_reservations_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_reservations_order_id"))

    op.drop_table("reservations")
    op.drop_table("parcel_items")
    op.drop_table("consumer_return_lines")
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcels_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_parcels_release_batch_id"))
        batch_op.drop_index(batch_op.f("ix_parcels_order_id"))

    op.drop_table("parcels")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_order_id"))

    op.drop_table("order_events")
    with op.batch_alter_table("consumer_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumer_returns_order_id"))

    op.drop_table("consumer_returns")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_wave_id"))
        batch_op.drop_index(batch_op.f("ix_orders_tracking_number"))
        batch_op.drop_index("ix_orders_status_flow")

    op.drop_table("orders")
    op.drop_table("waves")
    op.drop_table("release_batches")
    op.drop_table("channels")
    op.drop_table("box_types")
