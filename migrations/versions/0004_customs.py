"""Customs records: merchants (channels get one), broker organisations and their
mandates, API tokens, customs declarations with their events, the quota ledger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:06:19.272696
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models.types import Money, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broker_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("customs_code", sa.String(length=18), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_broker_organisations_code")),
    )
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("customs_code", sa.String(length=18), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
        sa.UniqueConstraint("code", name=op.f("uq_merchants_code")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("broker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["broker_organisations.id"],
            name=op.f("fk_api_tokens_broker_id_broker_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "broker_mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broker_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["broker_organisations.id"],
            name=op.f("fk_broker_mandates_broker_id_broker_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_broker_mandates_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_mandates")),
        sa.UniqueConstraint(
            "broker_id", "merchant_id", name=op.f("uq_broker_mandates_broker_id_merchant_id")
        ),
    )
    with op.batch_alter_table("broker_mandates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_mandates_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "customs_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "import_list",
                "export_list",
                name="declaration_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "cleared",
                "rejected",
                "cancelled",
                name="customs_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("customs_number", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("value_cny", Money(), nullable=False),
        sa.Column("vat", Money(), nullable=False),
        sa.Column("consumption_tax", Money(), nullable=False),
        sa.Column("tariff", Money(), nullable=False),
        sa.Column("tax_total", Money(), nullable=False),
        sa.Column("full_tax", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "vat >= 0 AND consumption_tax >= 0 AND tariff >= 0 AND tax_total >= 0",
            name=op.f("ck_customs_declarations_tax_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_customs_declarations_merchant_id_merchants"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_customs_declarations_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_declarations")),
        sa.UniqueConstraint("guid", name=op.f("uq_customs_declarations_guid")),
        sa.UniqueConstraint("number", name=op.f("uq_customs_declarations_number")),
    )
    with op.batch_alter_table("customs_declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customs_declarations_merchant_id"), ["merchant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customs_declarations_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "uq_customs_declarations_live_order",
            ["order_id"],
            unique=True,
            sqlite_where=sa.text("status NOT IN ('rejected', 'cancelled')"),
            postgresql_where=sa.text("status NOT IN ('rejected', 'cancelled')"),
        )

    op.create_table(
        "customs_declaration_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["customs_declarations.id"],
            name=op.f("fk_customs_declaration_events_declaration_id_customs_declarations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_declaration_events")),
    )
    with op.batch_alter_table("customs_declaration_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customs_declaration_events_declaration_id"),
            ["declaration_id"],
            unique=False,
        )

    op.create_table(
        "quota_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("debit_reference", sa.String(length=40), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_quota_entries_amount_positive")),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["customs_declarations.id"],
            name=op.f("fk_quota_entries_declaration_id_customs_declarations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_entries")),
        sa.UniqueConstraint("kind", "reference", name=op.f("uq_quota_entries_kind_reference")),
    )
    with op.batch_alter_table("quota_entries", schema=None) as batch_op:
        batch_op.create_index("ix_quota_entries_person_year", ["person_key", "year"], unique=False)

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merchant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_channels_merchant_id_merchants"), "merchants", ["merchant_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_channels_merchant_id_merchants"), type_="foreignkey"
        )
        batch_op.drop_column("merchant_id")

    with op.batch_alter_table("quota_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_quota_entries_person_year")

    op.drop_table("quota_entries")
    with op.batch_alter_table("customs_declaration_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customs_declaration_events_declaration_id"))

    op.drop_table("customs_declaration_events")
    with op.batch_alter_table("customs_declarations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customs_declarations_live_order",
            sqlite_where=sa.text("status NOT IN ('rejected', 'cancelled')"),
            postgresql_where=sa.text("status NOT IN ('rejected', 'cancelled')"),
        )
        batch_op.drop_index(batch_op.f("ix_customs_declarations_order_id"))
        batch_op.drop_index(batch_op.f("ix_customs_declarations_merchant_id"))

    op.drop_table("customs_declarations")
    with op.batch_alter_table("broker_mandates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_mandates_merchant_id"))

    op.drop_table("broker_mandates")
    op.drop_table("api_tokens")
    op.drop_table("merchants")
    op.drop_table("broker_organisations")
