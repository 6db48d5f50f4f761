"""Core ledger: warehouses, locations, products, lots, entry declarations, moves, quants,
and the customs account book.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:06:34.209885
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models import append_only
from wms.models.types import Money, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hs_code", sa.String(length=13), nullable=False),
        sa.Column("origin_country", sa.String(length=2), nullable=False),
        sa.Column("declared_unit_value", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_weight_g", sa.Integer(), nullable=False),
        sa.Column("gross_weight_g", sa.Integer(), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("has_battery", sa.Boolean(), nullable=False),
        sa.Column("is_liquid", sa.Boolean(), nullable=False),
        sa.Column("tax_category", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("declared_unit_value >= 0", name=op.f("ck_products_value_not_negative")),
        sa.CheckConstraint(
            "gross_weight_g >= net_weight_g", name=op.f("ck_products_gross_not_below_net")
        ),
        sa.CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0",
            name=op.f("ck_products_dimensions_positive"),
        ),
        sa.CheckConstraint("net_weight_g > 0", name=op.f("ck_products_net_weight_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_table(
        "stock_operations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("document_ref", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column(
            "reverses_operation_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["reverses_operation_id"],
            ["stock_operations.id"],
            name=op.f("fk_stock_operations_reverses_operation_id_stock_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_operations")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stock_operations_idempotency_key")),
        sa.UniqueConstraint(
            "reverses_operation_id", name=op.f("uq_stock_operations_reverses_operation_id")
        ),
    )
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("customs_area_code", sa.String(length=8), nullable=True),
        sa.Column("address", sa.String(length=240), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
    )
    op.create_table(
        "entry_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("importer", sa.String(length=200), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="declaration_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_entry_declarations_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_declarations")),
        sa.UniqueConstraint("number", name=op.f("uq_entry_declarations_number")),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_bonded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_zones_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("warehouse_id", "code", name=op.f("uq_zones_warehouse_id_code")),
    )
    op.create_table(
        "entry_declaration_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("declared_quantity", sa.Integer(), nullable=False),
        sa.Column("unit_value", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("origin_country", sa.String(length=2), nullable=False),
        sa.CheckConstraint(
            "declared_quantity > 0",
            name=op.f("ck_entry_declaration_lines_declared_quantity_positive"),
        ),
        sa.CheckConstraint("line_no > 0", name=op.f("ck_entry_declaration_lines_line_no_positive")),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["entry_declarations.id"],
            name=op.f("fk_entry_declaration_lines_declaration_id_entry_declarations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_entry_declaration_lines_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_declaration_lines")),
        sa.UniqueConstraint(
            "declaration_id",
            "line_no",
            name=op.f("uq_entry_declaration_lines_declaration_id_line_no"),
        ),
    )
    with op.batch_alter_table("entry_declaration_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entry_declaration_lines_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("barcode", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "bin",
                "dock",
                "showroom",
                "supplier",
                "customer",
                "scrap",
                "count_diff",
                "domestic",
                name="location_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("is_bonded", sa.Boolean(), nullable=False),
        sa.Column("is_sellable", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "is_sellable = false OR kind IN ('bin', 'dock')",
            name=op.f("ck_locations_sellable_only_in_bins"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_locations_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_locations_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("barcode", name=op.f("uq_locations_barcode")),
        sa.UniqueConstraint("warehouse_id", "code", name=op.f("uq_locations_warehouse_id_code")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_locations_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "account_book_lines",
        sa.Column("entry_line_id", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("on_display_loan", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("written_off", sa.Integer(), nullable=False),
        sa.Column("adjusted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_line_id"],
            ["entry_declaration_lines.id"],
            name=op.f("fk_account_book_lines_entry_line_id_entry_declaration_lines"),
        ),
        sa.PrimaryKeyConstraint("entry_line_id", name=op.f("pk_account_book_lines")),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("entry_line_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_line_id"],
            ["entry_declaration_lines.id"],
            name=op.f("fk_lots_entry_line_id_entry_declaration_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_lots_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint(
            "product_id",
            "lot_number",
            "entry_line_id",
            name=op.f("uq_lots_product_id_lot_number_entry_line_id"),
        ),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_entry_line_id"), ["entry_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_product_id"), ["product_id"], unique=False)

    op.create_table(
        "receipt_discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_line_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "short",
                "over",
                name="discrepancy_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_receipt_discrepancies_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["entry_line_id"],
            ["entry_declaration_lines.id"],
            name=op.f("fk_receipt_discrepancies_entry_line_id_entry_declaration_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_discrepancies")),
        sa.UniqueConstraint("entry_line_id", name=op.f("uq_receipt_discrepancies_entry_line_id")),
    )
    op.create_table(
        "moves",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "receipt",
                "putaway",
                "transfer",
                "reversal",
                "release",
                "loan_out",
                "loan_return",
                "write_off",
                "count",
                name="move_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("document_ref", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column(
            "reverses_move_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_moves_distinct_locations")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_moves_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_moves_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_moves_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["stock_operations.id"],
            name=op.f("fk_moves_operation_id_stock_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_moves_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_move_id"], ["moves.id"], name=op.f("fk_moves_reverses_move_id_moves")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_moves_to_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moves")),
    )
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moves_from_location_id"), ["from_location_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_moves_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index("ix_moves_product_time", ["product_id", "created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_moves_to_location_id"), ["to_location_id"], unique=False
        )
        batch_op.create_index(
            "uq_moves_reverses_move_id",
            ["reverses_move_id"],
            unique=True,
            sqlite_where=sa.text("reverses_move_id IS NOT NULL"),
            postgresql_where=sa.text("reverses_move_id IS NOT NULL"),
        )

    op.create_table(
        "quants",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved_quantity", sa.Integer(), nullable=False),
        sa.Column("negative_allowed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "negative_allowed OR quantity >= 0", name=op.f("ck_quants_no_negative_on_hand")
        ),
        sa.CheckConstraint(
            "reserved_quantity >= 0 AND (reserved_quantity = 0 OR reserved_quantity <= quantity)",
            name=op.f("ck_quants_reserved_within_on_hand"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_quants_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_quants_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_quants_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quants")),
        sa.UniqueConstraint("lot_id", "location_id", name=op.f("uq_quants_lot_id_location_id")),
    )
    with op.batch_alter_table("quants", schema=None) as batch_op:
        batch_op.create_index("ix_quants_location", ["location_id"], unique=False)
        batch_op.create_index(
            "ix_quants_product_location", ["product_id", "location_id"], unique=False
        )
    dialect = op.get_bind().dialect.name
    for statement in append_only.create_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in append_only.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("quants", schema=None) as batch_op:
        batch_op.drop_index("ix_quants_product_location")
        batch_op.drop_index("ix_quants_location")

    op.drop_table("quants")
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_moves_reverses_move_id",
            sqlite_where=sa.text("reverses_move_id IS NOT NULL"),
            postgresql_where=sa.text("reverses_move_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_moves_to_location_id"))
        batch_op.drop_index("ix_moves_product_time")
        batch_op.drop_index(batch_op.f("ix_moves_operation_id"))
        batch_op.drop_index(batch_op.f("ix_moves_from_location_id"))

    op.drop_table("moves")
    op.drop_table("receipt_discrepancies")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_product_id"))
        batch_op.drop_index(batch_op.f("ix_lots_entry_line_id"))

    op.drop_table("lots")
    op.drop_table("account_book_lines")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_warehouse_id"))

    op.drop_table("locations")
    with op.batch_alter_table("entry_declaration_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_declaration_lines_product_id"))

    op.drop_table("entry_declaration_lines")
    op.drop_table("zones")
    op.drop_table("entry_declarations")
    op.drop_table("warehouses")
    op.drop_table("stock_operations")
    op.drop_table("products")
