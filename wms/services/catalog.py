"""Master data: warehouses with their zones and locations, and products."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from customs.hs import check_hs_code
from labels.gs1 import is_valid_gtin
from wms.models import Location, LocationKind, Product, Warehouse, Zone
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

BARCODE_LENGTH = Location.__table__.c.barcode.type.length

# The virtual counterparts every warehouse gets, so that every event balances.
VIRTUAL_LOCATIONS: tuple[tuple[LocationKind, str, bool], ...] = (
    (LocationKind.SUPPLIER, "Overseas supplier", False),
    (LocationKind.CUSTOMER, "Customers (released)", False),
    (LocationKind.SCRAP, "Scrap and loss", False),
    (LocationKind.COUNT_DIFF, "Count differences", False),
    (LocationKind.DOMESTIC, "Domestic duty-paid territory", False),
)


@dataclass(frozen=True)
class WarehouseInput:
    code: str
    name: str
    customs_area_code: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class LocationInput:
    warehouse_code: str
    code: str
    kind: LocationKind
    name: str | None = None
    barcode: str | None = None
    zone_code: str | None = None
    is_bonded: bool | None = None  # defaults to the zone's status
    is_sellable: bool | None = None  # defaults: bins yes, everything else no


@dataclass(frozen=True)
class ProductInput:
    sku: str
    name: str
    hs_code: str
    origin_country: str
    declared_unit_value: Decimal
    currency: str
    net_weight_g: int
    gross_weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    tax_category: str
    gtin: str | None = None
    has_battery: bool = False
    is_liquid: bool = False
    listing_url: str | None = None  # the online shop page display tags lead to


def create_warehouse(session: Session, data: WarehouseInput) -> Warehouse:
    if session.scalar(select(Warehouse.id).where(Warehouse.code == data.code)):
        raise Conflict(f"warehouse {data.code} already exists", field="code")
    warehouse = Warehouse(
        code=data.code,
        name=data.name,
        customs_area_code=data.customs_area_code,
        address=data.address,
        created_at=utcnow(),
    )
    session.add(warehouse)
    session.flush()
    for kind, name, bonded in VIRTUAL_LOCATIONS:
        code = f"V-{kind.value.upper()}"
        session.add(
            Location(
                warehouse_id=warehouse.id,
                code=code,
                barcode=f"{data.code}-{code}",
                name=name,
                kind=kind,
                is_bonded=bonded,
                is_sellable=False,
            )
        )
    session.flush()
    return warehouse


def warehouse_by_code(session: Session, code: str, *, field: str = "warehouse") -> Warehouse:
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        raise NotFound(f"no warehouse {code}", field=field)
    return warehouse


def create_zone(
    session: Session, warehouse_code: str, code: str, name: str, *, is_bonded: bool
) -> Zone:
    warehouse = warehouse_by_code(session, warehouse_code)
    if session.scalar(select(Zone.id).where(Zone.warehouse_id == warehouse.id, Zone.code == code)):
        raise Conflict(f"zone {code} already exists in {warehouse_code}", field="code")
    zone = Zone(warehouse_id=warehouse.id, code=code, name=name, is_bonded=is_bonded)
    session.add(zone)
    session.flush()
    return zone


def create_location(session: Session, data: LocationInput) -> Location:
    warehouse = warehouse_by_code(session, data.warehouse_code, field="warehouse_code")
    if not data.kind.is_physical:
        raise InvalidInput("virtual locations are created with their warehouse", field="kind")
    zone = None
    if data.zone_code is not None:
        zone = session.scalar(
            select(Zone).where(Zone.warehouse_id == warehouse.id, Zone.code == data.zone_code)
        )
        if zone is None:
            raise NotFound(f"no zone {data.zone_code} in {warehouse.code}", field="zone_code")
    is_bonded = data.is_bonded if data.is_bonded is not None else bool(zone and zone.is_bonded)
    if zone is not None and is_bonded != zone.is_bonded:
        raise InvalidInput("a location is bonded exactly when its zone is", field="is_bonded")
    default_sellable = data.kind is LocationKind.BIN
    is_sellable = default_sellable if data.is_sellable is None else data.is_sellable
    if is_sellable and data.kind is not LocationKind.BIN:
        raise InvalidInput("only storage bins hold sellable stock", field="is_sellable")
    barcode = data.barcode or f"{warehouse.code}-{data.code}"
    if len(barcode) > BARCODE_LENGTH:
        raise InvalidInput(
            f"the barcode {barcode} would be longer than {BARCODE_LENGTH} characters; "
            "give a shorter code or a barcode",
            field="barcode" if data.barcode else "code",
        )
    if session.scalar(select(Location.id).where(Location.barcode == barcode)):
        raise Conflict(f"barcode {barcode} is already in use", field="barcode")
    if session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse.id, Location.code == data.code)
    ):
        raise Conflict(f"location {data.code} already exists in {warehouse.code}", field="code")
    location = Location(
        warehouse_id=warehouse.id,
        zone_id=zone.id if zone else None,
        code=data.code,
        barcode=barcode,
        name=data.name or data.code,
        kind=data.kind,
        is_bonded=is_bonded,
        is_sellable=is_sellable,
    )
    session.add(location)
    session.flush()
    return location


def location_by_barcode(session: Session, barcode: str, *, field: str = "location") -> Location:
    location = session.scalar(select(Location).where(Location.barcode == barcode))
    if location is None or not location.active:
        raise NotFound(f"no active location with barcode {barcode}", field=field)
    return location


def virtual_location(session: Session, warehouse_id: int, kind: LocationKind) -> Location:
    location = session.scalar(
        select(Location).where(Location.warehouse_id == warehouse_id, Location.kind == kind)
    )
    if location is None:
        raise NotFound(f"warehouse {warehouse_id} has no {kind.value} location", field="kind")
    return location


def create_product(session: Session, data: ProductInput) -> Product:
    _check_product(data)
    if session.scalar(select(Product.id).where(Product.sku == data.sku)):
        raise Conflict(f"product {data.sku} already exists", field="sku")
    if data.gtin and session.scalar(
        select(Product.id).where(Product.gtin.in_(gtin_forms(data.gtin)))
    ):
        raise Conflict(f"GTIN {data.gtin} belongs to another product", field="gtin")
    product = Product(
        sku=data.sku,
        gtin=data.gtin,
        name=data.name,
        hs_code=data.hs_code,
        origin_country=data.origin_country.upper(),
        declared_unit_value=data.declared_unit_value,
        currency=data.currency.upper(),
        net_weight_g=data.net_weight_g,
        gross_weight_g=data.gross_weight_g,
        length_mm=data.length_mm,
        width_mm=data.width_mm,
        height_mm=data.height_mm,
        has_battery=data.has_battery,
        is_liquid=data.is_liquid,
        tax_category=data.tax_category,
        listing_url=data.listing_url,
        created_at=utcnow(),
    )
    session.add(product)
    session.flush()
    return product


def _check_product(data: ProductInput) -> None:
    if data.gtin is not None and not is_valid_gtin(data.gtin):
        raise InvalidInput(
            "GTIN must be 8, 12, 13 or 14 digits with a valid check digit", field="gtin"
        )
    problem = check_hs_code(data.hs_code)
    if problem:
        raise InvalidInput(problem, field="hs_code")
    if data.net_weight_g <= 0:
        raise InvalidInput("net weight must be positive", field="net_weight_g")
    if data.gross_weight_g < data.net_weight_g:
        raise InvalidInput("gross weight cannot be below net weight", field="gross_weight_g")
    for name in ("length_mm", "width_mm", "height_mm"):
        if getattr(data, name) <= 0:
            raise InvalidInput("dimensions must be positive", field=name)
    if data.declared_unit_value < 0:
        raise InvalidInput("declared value cannot be negative", field="declared_unit_value")
    if data.listing_url is not None and not data.listing_url.startswith(("https://", "http://")):
        raise InvalidInput("the listing is an http(s) address", field="listing_url")


def product_by_code(session: Session, code: str, *, field: str = "product") -> Product:
    """Find a product by what a scanner reads: its SKU or its GTIN (GTIN-13 or -14)."""
    code = code.strip()
    product = session.scalar(select(Product).where(Product.sku == code))
    if product is None and code.isdigit():
        product = session.scalar(select(Product).where(Product.gtin.in_(gtin_forms(code))))
    if product is None:
        raise NotFound(f"no product with SKU or GTIN {code}", field=field)
    return product


def gtin_forms(code: str) -> set[str]:
    """Every way the same GTIN can be written: GTIN-8, -12 and -13 are GTIN-14 with
    leading zeros, and scanners report whichever form the barcode carries."""
    if not code.isdigit() or len(code) > 14:
        return {code}
    full = code.zfill(14)
    return {full[-n:] for n in (8, 12, 13, 14) if full[: 14 - n].strip("0") == ""}
