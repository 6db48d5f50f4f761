"""A small standard warehouse for tests, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from wms.db import Database
from wms.models import LocationKind
from wms.services import catalog, inbound

WAREHOUSE = "SHA1"
DOCK = "SHA1-DOCK"
BINS = ("SHA1-A-01", "SHA1-A-02", "SHA1-B-01")
QUARANTINE = "SHA1-Q-01"
DOMESTIC_BIN = "SHA1-D-01"
SHOWROOM = "SHA1-SHOW-1"

_keys = count(1)


def key(prefix: str = "k") -> str:
    """A fresh idempotency key."""
    return f"{prefix}-{next(_keys)}"


@dataclass(frozen=True)
class Product:
    sku: str
    gtin: str


MILK = Product("MILK-900", "9421902960017")
SERUM = Product("SERUM-30", "3614272049529")


def product_input(sku: str, gtin: str | None, name: str = "Test product") -> catalog.ProductInput:
    return catalog.ProductInput(
        sku=sku,
        name=name,
        hs_code="0402210000",
        origin_country="NZ",
        declared_unit_value=Decimal("25.50"),
        currency="USD",
        net_weight_g=900,
        gross_weight_g=1020,
        length_mm=200,
        width_mm=120,
        height_mm=120,
        tax_category="general",
        gtin=gtin,
    )


def build_warehouse(db: Database) -> None:
    """Warehouse SHA1: bonded zone A/B with a dock, a quarantine bin, a duty-paid bin,
    a showroom, two products."""
    with db.transaction() as s:
        catalog.create_warehouse(
            s, catalog.WarehouseInput(WAREHOUSE, "Shanghai bonded DC", customs_area_code="2216")
        )
        catalog.create_zone(s, WAREHOUSE, "A", "Ambient", is_bonded=True)
        catalog.create_zone(s, WAREHOUSE, "B", "High value cage", is_bonded=True)
        catalog.create_zone(s, WAREHOUSE, "Q", "Quarantine", is_bonded=True)
        catalog.create_zone(s, WAREHOUSE, "D", "Domestic duty-paid", is_bonded=False)
        catalog.create_zone(s, WAREHOUSE, "S", "Showroom", is_bonded=True)
        loc = catalog.LocationInput
        catalog.create_location(s, loc(WAREHOUSE, "DOCK", LocationKind.DOCK, zone_code="A"))
        for barcode in BINS:
            code = barcode.removeprefix("SHA1-")
            catalog.create_location(s, loc(WAREHOUSE, code, LocationKind.BIN, zone_code=code[0]))
        catalog.create_location(
            s, loc(WAREHOUSE, "Q-01", LocationKind.BIN, zone_code="Q", is_sellable=False)
        )
        catalog.create_location(s, loc(WAREHOUSE, "D-01", LocationKind.BIN, zone_code="D"))
        catalog.create_location(s, loc(WAREHOUSE, "SHOW-1", LocationKind.SHOWROOM, zone_code="S"))
        catalog.create_product(s, product_input(MILK.sku, MILK.gtin, "Infant formula 900 g"))
        catalog.create_product(s, product_input(SERUM.sku, SERUM.gtin, "Face serum 30 ml"))


def declare(db: Database, number: str, *lines: tuple[str, int]) -> None:
    """An entry declaration with (sku, quantity) lines numbered from 1."""
    with db.transaction() as s:
        inbound.create_declaration(
            s,
            inbound.DeclarationInput(
                number=number,
                warehouse_code=WAREHOUSE,
                importer="Tmall Global Importer Ltd",
                arrival_date=date(2026, 11, 20),
                lines=tuple(
                    inbound.DeclarationLineInput(i, sku, qty, Decimal("25.50"), "USD", "NZ")
                    for i, (sku, qty) in enumerate(lines, start=1)
                ),
            ),
        )


def receive(
    db: Database, number: str, sku: str, lot: str, quantity: int, **extra: object
) -> dict[str, object]:
    with db.transaction() as s:
        return inbound.receive(
            s,
            inbound.ReceiveInput(
                declaration_number=number,
                product_code=sku,
                lot_number=lot,
                quantity=quantity,
                dock_barcode=DOCK,
                idempotency_key=str(extra.pop("idempotency_key", key("receive"))),
                actor="tester",
                expiry_date=extra.pop("expiry_date", date(2028, 6, 30)),  # type: ignore[arg-type]
                **extra,  # type: ignore[arg-type]
            ),
        )


def putaway(
    db: Database, sku: str, lot: str, quantity: int, to: str = BINS[0], source: str = DOCK
) -> dict[str, object]:
    with db.transaction() as s:
        return inbound.putaway(
            s, inbound.PutawayInput(sku, lot, quantity, source, to, key("putaway"), "tester")
        )
