"""Display-only stock loans to showrooms, their audit trail, dashboard notices and the
scans of display-tag QR codes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.product import Lot, Product
from wms.models.warehouse import Location, enum_column


class LoanStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    OUT = "out"  # every item is on display
    PARTLY_RETURNED = "partly_returned"
    RETURNED = "returned"  # everything came back in good condition
    CLOSED_WITH_WRITE_OFF = "written_off"  # closed; some units were written off
    CANCELLED = "cancelled"  # withdrawn before anything left


OPEN_STATUSES = frozenset({LoanStatus.OUT, LoanStatus.PARTLY_RETURNED})


class ItemCondition(StrEnum):
    GOOD = "good"
    DAMAGED = "damaged"
    MISSING = "missing"


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (CheckConstraint("guarantee_amount >= 0", name="guarantee_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    showroom_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[LoanStatus] = mapped_column(enum_column(LoanStatus, "loan_status"))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    out_at: Mapped[datetime | None]  # the first item left the zone
    due_date: Mapped[date]
    closed_at: Mapped[datetime | None]
    # Import taxes the goods would owe, in CNY: what the guarantee must cover.
    guarantee_amount: Mapped[Decimal]
    guarantee_reference: Mapped[str | None] = mapped_column(String(64))
    guarantee_expires: Mapped[date | None]
    # Customs references: the bonded display checklist and the gate release note.
    out_checklist: Mapped[str | None] = mapped_column(String(32))
    out_release_note: Mapped[str | None] = mapped_column(String(32))
    overdue_since: Mapped[datetime | None]

    showroom: Mapped[Location] = relationship()
    items: Mapped[list[LoanItem]] = relationship(back_populates="loan", order_by="LoanItem.id")


class LoanItem(Base):
    __tablename__ = "loan_items"
    __table_args__ = (
        UniqueConstraint("loan_id", "lot_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "out_quantity >= 0 AND out_quantity <= quantity", name="out_within_requested"
        ),
        CheckConstraint(
            "returned_quantity >= 0 AND written_off_quantity >= 0 "
            "AND returned_quantity + written_off_quantity <= out_quantity",
            name="back_within_out",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int]
    out_quantity: Mapped[int] = mapped_column(default=0)
    returned_quantity: Mapped[int] = mapped_column(default=0)
    written_off_quantity: Mapped[int] = mapped_column(default=0)
    unit_guarantee: Mapped[Decimal]  # CNY per unit
    duty_payable: Mapped[Decimal] = mapped_column(default=Decimal(0))  # on write-offs, CNY
    # The display tag's QR code points at /t/<tag_code>: scans are counted per showroom.
    tag_code: Mapped[str] = mapped_column(String(16), unique=True)

    loan: Mapped[Loan] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
    lot: Mapped[Lot] = relationship()

    @property
    def on_display(self) -> int:
        return self.out_quantity - self.returned_quantity - self.written_off_quantity


class LoanEvent(Base):
    """Append-only audit trail of a loan: who did what, when, with which documents."""

    __tablename__ = "loan_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class Notice(Base):
    """Something the planner dashboard must show until someone acknowledges it."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))


class TagScan(Base):
    """One scan of a display tag's QR code (append-only; counted per showroom and product)."""

    __tablename__ = "tag_scans"
    __table_args__ = (Index("ix_tag_scans_showroom_product", "showroom_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_item_id: Mapped[int] = mapped_column(ForeignKey("loan_items.id"))
    showroom_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    scanned_at: Mapped[datetime]
