"""Warehouses, zones and locations: physical bins and the virtual counterparts of every move."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base


class LocationKind(StrEnum):
    BIN = "bin"  # physical storage bin
    DOCK = "dock"  # physical receiving / staging area
    SHOWROOM = "showroom"  # physical, outside the warehouse: display loans
    SUPPLIER = "supplier"  # virtual: overseas supplier, where bonded inbound comes from
    CUSTOMER = "customer"  # virtual: released to the consumer
    SCRAP = "scrap"  # virtual: scrap and loss write-offs
    COUNT_DIFF = "count_diff"  # virtual: inventory count differences
    DOMESTIC = "domestic"  # virtual: duty-paid domestic territory

    @property
    def is_physical(self) -> bool:
        return self in PHYSICAL_KINDS


PHYSICAL_KINDS = frozenset({LocationKind.BIN, LocationKind.DOCK, LocationKind.SHOWROOM})


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """Enums stored as their lower-case values in a VARCHAR with a CHECK constraint."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Customs area code of the supervised zone the warehouse sits in (e.g. 2216).
    customs_area_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(240))
    created_at: Mapped[datetime]

    zones: Mapped[list[Zone]] = relationship(back_populates="warehouse")


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    is_bonded: Mapped[bool]

    warehouse: Mapped[Warehouse] = relationship(back_populates="zones")


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "code"),
        # Only physical places hold sellable stock, and a showroom never does:
        # the database itself keeps display-loan stock out of allocation.
        CheckConstraint(
            "is_sellable = false OR kind IN ('bin', 'dock')", name="sellable_only_in_bins"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    code: Mapped[str] = mapped_column(String(32))
    barcode: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[LocationKind] = mapped_column(enum_column(LocationKind, "location_kind"))
    is_bonded: Mapped[bool]
    is_sellable: Mapped[bool]
    active: Mapped[bool] = mapped_column(default=True)
    # Walking order of bins on a pick path; pick lists are sorted by it (then by code).
    pick_sequence: Mapped[int | None]

    zone: Mapped[Zone | None] = relationship()

    @property
    def is_physical(self) -> bool:
        return self.kind.is_physical

    @property
    def in_bonded_account(self) -> bool:
        """Stock here counts in the customs account book."""
        return self.is_bonded and self.is_physical
