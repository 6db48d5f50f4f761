"""Customs records: merchants and the brokers who act for them, API tokens, the
declarations (import inventory lists, export lists) with their statuses, and the
per-consignee annual quota ledger."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.warehouse import enum_column


class Merchant(Base):
    """The e-commerce company that owns orders (through its channels)."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Customs registration code of the e-commerce company (ebcCode).
    customs_code: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime]


class BrokerOrganisation(Base):
    """A customs brokerage; it sees the declarations of the merchants it acts for only."""

    __tablename__ = "broker_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    customs_code: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime]


class BrokerMandate(Base):
    __tablename__ = "broker_mandates"
    __table_args__ = (UniqueConstraint("broker_id", "merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broker_id: Mapped[int] = mapped_column(ForeignKey("broker_organisations.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for an integration or a broker; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("role IN ('staff', 'planner', 'broker', 'admin')", name="role"),
        CheckConstraint("(role = 'broker') = (broker_id IS NOT NULL)", name="broker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The broker the token acts for; none for an internal integration.
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("broker_organisations.id"))
    # What the token may do (people.Role): scanners are staff, integrations admin.
    role: Mapped[str] = mapped_column(String(16), default="admin")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    broker: Mapped[BrokerOrganisation | None] = relationship()


class DeclarationKind(StrEnum):
    IMPORT_LIST = "import_list"  # CEB621 import inventory list (1210, 9610)
    EXPORT_LIST = "export_list"  # export inventory list


class CustomsStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CLEARED = "cleared"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class CustomsDeclaration(Base):
    __tablename__ = "customs_declarations"
    __table_args__ = (
        # One live declaration per order: a rejected or cancelled one may be replaced.
        Index(
            "uq_customs_declarations_live_order",
            "order_id",
            unique=True,
            sqlite_where=text("status NOT IN ('rejected', 'cancelled')"),
            postgresql_where=text("status NOT IN ('rejected', 'cancelled')"),
        ),
        CheckConstraint(
            "vat >= 0 AND consumption_tax >= 0 AND tariff >= 0 AND tax_total >= 0",
            name="tax_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # our copNo
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[DeclarationKind] = mapped_column(enum_column(DeclarationKind, "declaration_kind"))
    status: Mapped[CustomsStatus] = mapped_column(enum_column(CustomsStatus, "customs_status"))
    # What customs answered: its inventory number, and why it rejected.
    customs_number: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(400))
    value_cny: Mapped[Decimal]
    vat: Mapped[Decimal]
    consumption_tax: Mapped[Decimal]
    tariff: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    # Taxed in full as general trade (single item over the per-transaction limit).
    full_tax: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))


class DeclarationEvent(Base):
    """Append-only trail of a declaration's statuses, with who set them and how."""

    __tablename__ = "customs_declaration_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("customs_declarations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))  # api | portal | system
    at: Mapped[datetime]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class QuotaEntry(Base):
    """The annual CBEC quota per consignee, as a ledger (customs.quota's entries): a debit
    when a list clears, credits for timely returns and withdrawn lists.  Keyed by a keyed
    hash of the ID number, so the ledger itself holds no personal data."""

    __tablename__ = "quota_entries"
    __table_args__ = (
        Index("ix_quota_entries_person_year", "person_key", "year"),
        UniqueConstraint("kind", "reference"),  # a list or a return counts once
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # debit | credit
    reference: Mapped[str] = mapped_column(String(40))  # the list, or the return
    debit_reference: Mapped[str | None] = mapped_column(String(40))  # what a credit undoes
    amount: Mapped[Decimal]  # CNY
    on: Mapped[date]
    declaration_id: Mapped[int] = mapped_column(ForeignKey("customs_declarations.id"))
    at: Mapped[datetime]
