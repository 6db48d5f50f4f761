"""Entry declarations into the bonded zone, their lines, and receipt discrepancies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.product import Product
from wms.models.warehouse import enum_column


class DeclarationStatus(StrEnum):
    OPEN = "open"  # declared, goods being received
    CLOSED = "closed"  # receiving finished; discrepancies recorded


class DiscrepancyKind(StrEnum):
    SHORT = "short"
    OVER = "over"


class EntryDeclaration(Base):
    __tablename__ = "entry_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    importer: Mapped[str] = mapped_column(String(200))
    arrival_date: Mapped[date]
    status: Mapped[DeclarationStatus] = mapped_column(
        enum_column(DeclarationStatus, "declaration_status")
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[EntryDeclarationLine]] = relationship(
        back_populates="declaration", order_by="EntryDeclarationLine.line_no"
    )


class EntryDeclarationLine(Base):
    __tablename__ = "entry_declaration_lines"
    __table_args__ = (
        UniqueConstraint("declaration_id", "line_no"),
        CheckConstraint("declared_quantity > 0", name="declared_quantity_positive"),
        CheckConstraint("line_no > 0", name="line_no_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("entry_declarations.id"))
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    declared_quantity: Mapped[int]
    unit_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    origin_country: Mapped[str] = mapped_column(String(2))

    declaration: Mapped[EntryDeclaration] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class ReceiptDiscrepancy(Base):
    """Short or over receipt against a declaration line, recorded when receiving closes."""

    __tablename__ = "receipt_discrepancies"
    __table_args__ = (
        UniqueConstraint("entry_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_line_id: Mapped[int] = mapped_column(ForeignKey("entry_declaration_lines.id"))
    kind: Mapped[DiscrepancyKind] = mapped_column(enum_column(DiscrepancyKind, "discrepancy_kind"))
    quantity: Mapped[int]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(64))
