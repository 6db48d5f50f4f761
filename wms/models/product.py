"""Products and lots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("net_weight_g > 0", name="net_weight_positive"),
        CheckConstraint("gross_weight_g >= net_weight_g", name="gross_not_below_net"),
        CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="dimensions_positive"
        ),
        CheckConstraint("declared_unit_value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    hs_code: Mapped[str] = mapped_column(String(13))
    origin_country: Mapped[str] = mapped_column(String(2))
    declared_unit_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    net_weight_g: Mapped[int]
    gross_weight_g: Mapped[int]
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    has_battery: Mapped[bool] = mapped_column(default=False)
    is_liquid: Mapped[bool] = mapped_column(default=False)
    # Key into the customs tax tables (e.g. "general", "cosmetics", "watches").
    tax_category: Mapped[str] = mapped_column(String(32))
    # The product's page in the online shop: where a display tag's QR code leads.
    listing_url: Mapped[str | None] = mapped_column(String(400))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Lot(Base):
    """A lot of one product, as it came in under one entry-declaration line.

    The same supplier lot number arriving under two declarations is two lots here:
    the customs account book follows stock per declaration line.
    """

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("product_id", "lot_number", "entry_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date | None]
    expiry_date: Mapped[date | None]
    entry_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("entry_declaration_lines.id"), index=True
    )
    created_at: Mapped[datetime]

    product: Mapped[Product] = relationship()
