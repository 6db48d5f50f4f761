"""The inventory ledger: operations, append-only moves, quants and the customs account book."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from wms.models.base import Base
from wms.models.warehouse import enum_column

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class MoveReason(StrEnum):
    RECEIPT = "receipt"
    PUTAWAY = "putaway"
    TRANSFER = "transfer"
    REVERSAL = "reversal"
    RELEASE = "release"
    LOAN_OUT = "loan_out"
    LOAN_RETURN = "loan_return"
    WRITE_OFF = "write_off"
    COUNT = "count"


class StockOperation(Base):
    """One business operation that posted moves, keyed for idempotent retries."""

    __tablename__ = "stock_operations"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Hash of the request; the same key with a different request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    document_ref: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # What the operation answered the first time; a replay answers the same.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    reverses_operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_operations.id"), unique=True
    )


class Move(Base):
    """Append-only: never updated, never deleted.  A correction is a reversing move."""

    __tablename__ = "moves"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        Index("ix_moves_product_time", "product_id", "created_at"),
        # Most moves reverse nothing: a partial index keeps them out of it.
        Index(
            "uq_moves_reverses_move_id",
            "reverses_move_id",
            unique=True,
            sqlite_where=text("reverses_move_id IS NOT NULL"),
            postgresql_where=text("reverses_move_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("stock_operations.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    reason: Mapped[MoveReason] = mapped_column(enum_column(MoveReason, "move_reason"))
    document_ref: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    reverses_move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))


class Quant(Base):
    """On-hand and reserved per lot and location: a cache of the moves, same transaction."""

    __tablename__ = "quants"
    __table_args__ = (
        UniqueConstraint("lot_id", "location_id"),
        CheckConstraint("negative_allowed OR quantity >= 0", name="no_negative_on_hand"),
        CheckConstraint(
            "reserved_quantity >= 0 AND (reserved_quantity = 0 OR reserved_quantity <= quantity)",
            name="reserved_within_on_hand",
        ),
        Index("ix_quants_product_location", "product_id", "location_id"),
        Index("ix_quants_location", "location_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(default=0)
    reserved_quantity: Mapped[int] = mapped_column(default=0)
    # Virtual locations (supplier, customer, ...) run negative by design.
    negative_allowed: Mapped[bool]


class AccountBookLine(Base):
    """The customs e-account book, one row per entry-declaration line.

    Kept move by move in the same transaction as the ledger, and reconciled against
    it independently (``services.account_book.reconcile``).
    balance = received - released - written_off + adjusted; on_display_loan is part
    of the balance (loaned stock stays in the bonded account).
    """

    __tablename__ = "account_book_lines"

    entry_line_id: Mapped[int] = mapped_column(
        ForeignKey("entry_declaration_lines.id"), primary_key=True
    )
    received: Mapped[int] = mapped_column(default=0)
    released: Mapped[int] = mapped_column(default=0)
    on_display_loan: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    written_off: Mapped[int] = mapped_column(default=0)
    adjusted: Mapped[int] = mapped_column(default=0)

    @property
    def balance(self) -> int:
        return self.received - self.released - self.written_off + self.adjusted


BOOK_COLUMNS = ("received", "released", "on_display_loan", "returned", "written_off", "adjusted")
