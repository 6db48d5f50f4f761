"""Outbound: sales channels, consumer orders and their lines, stock reservations, waves,
parcels, release batches (gate passes), consumer returns and the order audit trail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.product import Lot, Product
from wms.models.warehouse import enum_column


class Flow(StrEnum):
    BONDED_IMPORT = "bonded_import"  # customs mode 1210: bonded stock, declared per order
    DIRECT_MAIL = "direct_mail"  # mode 9610: parcels arrive packed from abroad
    EXPORT = "export"  # domestic goods to consumers abroad
    DOMESTIC = "domestic"  # duty-paid stock, no consignee-ID declaration


class OrderStatus(StrEnum):
    RECEIVED = "received"
    ON_HOLD = "on_hold"  # short of stock or held by customs; resume_status says where to
    ALLOCATED = "allocated"
    PLANNED = "planned"  # courier and tracking number assigned
    DECLARED = "declared"
    CLEARED = "cleared"
    REJECTED = "rejected"
    PICKED = "picked"
    PACKED = "packed"
    LABELLED = "labelled"
    LOADED = "loaded"
    RELEASED = "released"  # gate out
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class Channel(Base):
    """A marketplace or shop that sends orders, with the rules it sells under."""

    __tablename__ = "channels"
    __table_args__ = (CheckConstraint("min_shelf_life_days >= 0", name="shelf_life_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # A lot expiring sooner than this many days after allocation is not sold here.
    min_shelf_life_days: Mapped[int] = mapped_column(default=0)
    # Customs registration codes of the platform and the e-commerce company.
    platform_code: Mapped[str | None] = mapped_column(String(18))
    ecommerce_code: Mapped[str | None] = mapped_column(String(18))
    # The merchant selling through this channel: whose declarations a broker sees.
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    created_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "order_number"),
        CheckConstraint("freight >= 0 AND insurance >= 0", name="charges_not_negative"),
        Index("ix_orders_status_flow", "status", "flow"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    order_number: Mapped[str] = mapped_column(String(40))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    flow: Mapped[Flow] = mapped_column(enum_column(Flow, "order_flow"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "order_status"))
    # Where an order on hold goes back to, and why it is held (missing quantities etc.).
    resume_status: Mapped[OrderStatus | None] = mapped_column(
        enum_column(OrderStatus, "order_resume_status")
    )
    hold_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Fingerprint of the order as received: a re-import of the same order is a no-op,
    # a different order under the same number is refused.
    request_hash: Mapped[str] = mapped_column(String(64))

    consignee_name: Mapped[str] = mapped_column(String(100))
    consignee_id_type: Mapped[str | None] = mapped_column(String(16))
    # Personal data is stored encrypted (services.protect); *_masked is what screens show.
    consignee_id_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    consignee_id_masked: Mapped[str | None] = mapped_column(String(32))
    consignee_phone_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    consignee_phone_masked: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    province: Mapped[str | None] = mapped_column(String(60))
    city: Mapped[str | None] = mapped_column(String(60))
    district: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(240))
    postcode: Mapped[str | None] = mapped_column(String(16))

    currency: Mapped[str] = mapped_column(String(3))
    freight: Mapped[Decimal] = mapped_column(default=Decimal(0))
    insurance: Mapped[Decimal] = mapped_column(default=Decimal(0))

    payment_number: Mapped[str | None] = mapped_column(String(60))
    payer_name: Mapped[str | None] = mapped_column(String(100))
    payer_id_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    payer_id_masked: Mapped[str | None] = mapped_column(String(32))
    paid_amount: Mapped[Decimal | None]
    paid_at: Mapped[datetime | None]

    courier_code: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(40), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"), index=True)
    # Customs reference of the import inventory list once declared, and its outcome.
    declaration_ref: Mapped[str | None] = mapped_column(String(40))
    customs_note: Mapped[str | None] = mapped_column(String(400))

    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]

    channel: Mapped[Channel] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND discount >= 0", name="price_not_negative"),
        CheckConstraint(
            "picked_quantity >= 0 AND picked_quantity <= quantity", name="picked_within_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    discount: Mapped[Decimal] = mapped_column(default=Decimal(0))  # on the whole line
    picked_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class Reservation(Base):
    """Units of one lot in one bin held for one order line (mirrored in the quant's
    reserved quantity).  Once in a wave it is also the pick task."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "picked_quantity >= 0 AND short_quantity >= 0 "
            "AND picked_quantity + short_quantity <= quantity",
            name="picked_within_reserved",
        ),
        Index("ix_reservations_wave", "wave_id", "pick_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    picked_quantity: Mapped[int] = mapped_column(default=0)
    short_quantity: Mapped[int] = mapped_column(default=0)
    # False once picked in full, reported short, or freed by a cancellation.
    open: Mapped[bool] = mapped_column(default=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    pick_sequence: Mapped[int | None]
    created_at: Mapped[datetime]

    lot: Mapped[Lot] = relationship()

    @property
    def to_pick(self) -> int:
        return self.quantity - self.picked_quantity - self.short_quantity


class Wave(Base):
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(16))  # open -> done
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class BoxType(Base):
    """A carton size the packers use: its outer size and its own weight."""

    __tablename__ = "box_types"
    __table_args__ = (
        CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="dimensions_positive"
        ),
        CheckConstraint("tare_g >= 0", name="tare_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    tare_g: Mapped[int]


class ParcelStatus(StrEnum):
    PACKED = "packed"
    LABELLED = "labelled"
    LOADED = "loaded"
    RELEASED = "released"
    HANDED_OVER = "handed_over"
    VOID = "void"  # its order was cancelled before release


class Parcel(Base):
    __tablename__ = "parcels"
    __table_args__ = (
        CheckConstraint("gross_weight_g > 0", name="weight_positive"),
        CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="dimensions_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    box_type_id: Mapped[int | None] = mapped_column(ForeignKey("box_types.id"))
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    gross_weight_g: Mapped[int]  # as weighed
    expected_weight_g: Mapped[int]
    status: Mapped[ParcelStatus] = mapped_column(enum_column(ParcelStatus, "parcel_status"))
    courier_code: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(40), index=True)
    release_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_batches.id"), index=True
    )
    master_carton: Mapped[str | None] = mapped_column(String(40))
    packed_by: Mapped[str] = mapped_column(String(64))
    packed_at: Mapped[datetime]
    labelled_at: Mapped[datetime | None]
    loaded_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()
    items: Mapped[list[ParcelItem]] = relationship(back_populates="parcel")


class ParcelItem(Base):
    __tablename__ = "parcel_items"
    __table_args__ = (
        UniqueConstraint("parcel_id", "order_line_id", "lot_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    # None for a direct-mail parcel, which carries no stock of ours.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int]

    parcel: Mapped[Parcel] = relationship(back_populates="items")


class ReleaseStatus(StrEnum):
    OPEN = "open"  # loading
    CLOSED = "closed"  # sealed, waiting for the gate
    GATED_OUT = "gated_out"


class ReleaseBatch(Base):
    """A release note (gate pass): one vehicle and its seal, many cleared parcels."""

    __tablename__ = "release_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[ReleaseStatus] = mapped_column(enum_column(ReleaseStatus, "release_status"))
    vehicle_plate: Mapped[str] = mapped_column(String(16))
    seal_number: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    gated_out_at: Mapped[datetime | None]
    gated_out_by: Mapped[str | None] = mapped_column(String(64))
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("stock_operations.id"))

    parcels: Mapped[list[Parcel]] = relationship(order_by="Parcel.id")


class ReturnStatus(StrEnum):
    APPLIED = "applied"
    RECEIVED = "received"  # back in the zone, waiting for inspection
    RESTOCKED = "restocked"  # inspected and put away (sellable) or scrapped
    REFUSED = "refused"


class ConsumerReturn(Base):
    __tablename__ = "consumer_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(enum_column(ReturnStatus, "return_status"))
    applied_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    inspected_at: Mapped[datetime | None]
    refused_reason: Mapped[str | None] = mapped_column(String(400))
    actor: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[ConsumerReturnLine]] = relationship(back_populates="consumer_return")


class ConsumerReturnLine(Base):
    __tablename__ = "consumer_return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "restocked_quantity >= 0 AND scrapped_quantity >= 0 "
            "AND restocked_quantity + scrapped_quantity <= quantity",
            name="inspected_within_returned",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("consumer_returns.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int]
    restocked_quantity: Mapped[int] = mapped_column(default=0)
    scrapped_quantity: Mapped[int] = mapped_column(default=0)

    consumer_return: Mapped[ConsumerReturn] = relationship(back_populates="lines")


class OrderEvent(Base):
    """Append-only audit trail: every transition of an order, with who and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
