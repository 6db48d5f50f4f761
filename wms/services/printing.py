"""What to print: label data built from the warehouse's own records.

The renderers in labels/ turn these into PDF, ZPL or images; this module only decides
what a label says (and refuses what cannot be printed truthfully).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from labels.gs1 import Gs1Scan, parse_scan
from labels.model import BinLabel, LotLabel
from wms.models import Location, Lot, Product, Warehouse, Zone
from wms.services.catalog import gtin_forms, product_by_code, warehouse_by_code
from wms.services.errors import InvalidInput, NotFound

MAX_LABELS = 5000  # one print job; more is a mistake, not a wave


def bin_labels(
    session: Session,
    *,
    warehouse_code: str,
    zone_code: str | None = None,
    barcodes: list[str] | None = None,
) -> list[BinLabel]:
    """Labels for the storage places of a warehouse (physical places only), in code order."""
    warehouse = warehouse_by_code(session, warehouse_code, field="warehouse")
    stmt = (
        select(Location, Zone.code)
        .outerjoin(Zone, Zone.id == Location.zone_id)
        .where(Location.warehouse_id == warehouse.id, Location.active.is_(True))
        .order_by(Location.code)
    )
    if zone_code is not None:
        stmt = stmt.where(Zone.code == zone_code)
    if barcodes:
        stmt = stmt.where(Location.barcode.in_(barcodes))
    rows = [(loc, zone) for loc, zone in session.execute(stmt) if loc.is_physical]
    if barcodes:
        missing = sorted(set(barcodes) - {loc.barcode for loc, _zone in rows})
        if missing:
            raise NotFound(f"no physical location {', '.join(missing)} here", field="barcode")
    if not rows:
        raise NotFound("no locations match", field="zone" if zone_code else "warehouse")
    try:
        return [
            BinLabel(barcode=loc.barcode, code=loc.code, caption=_caption(warehouse, zone, loc))
            for loc, zone in rows
        ]
    except ValueError as exc:
        raise InvalidInput(str(exc), field="barcode") from None


def _caption(warehouse: Warehouse, zone: str | None, location: Location) -> str:
    parts = [warehouse.code]
    if zone:
        parts.append(f"zone {zone}")
    parts.append("bonded" if location.is_bonded else "duty-paid")
    return " · ".join(parts)


def lot_labels(
    session: Session, *, product_code: str, lot_number: str, copies: int = 1
) -> list[LotLabel]:
    """GS1-128 lot labels ((01) GTIN, (17) expiry, (10) lot) for a lot of a product."""
    if not 1 <= copies <= MAX_LABELS:
        raise InvalidInput(f"copies must be between 1 and {MAX_LABELS}", field="copies")
    product = product_by_code(session, product_code, field="sku")
    if not product.gtin:
        raise InvalidInput(
            f"{product.sku} has no GTIN, so it cannot carry a GS1 lot label", field="sku"
        )
    lots = session.scalars(
        select(Lot).where(Lot.product_id == product.id, Lot.lot_number == lot_number)
    ).all()
    if not lots:
        raise NotFound(f"{product.sku} has no lot {lot_number}", field="lot")
    expiries = {lot.expiry_date for lot in lots}
    if len(expiries) > 1:
        # The same lot number under two declarations with different expiries: the label
        # would have to choose, and a wrong expiry is worse than none.
        raise InvalidInput(
            f"lot {lot_number} has different expiry dates under different declarations",
            field="lot",
        )
    try:
        label = LotLabel(
            gtin=product.gtin,
            lot=lot_number,
            sku=product.sku,
            product_name=product.name,
            expiry=expiries.pop(),
        )
    except ValueError as exc:  # e.g. a lot number GS1-128 cannot carry
        raise InvalidInput(str(exc), field="lot") from None
    return [label] * copies


@dataclass(frozen=True)
class ScanReading:
    """What a scanned code means in this warehouse."""

    kind: str  # location | product | lot | sscc
    code: str
    sku: str | None = None
    lot_number: str | None = None
    expiry_date: date | None = None
    location: str | None = None
    sscc: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "sku": self.sku,
            "lot_number": self.lot_number,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "location": self.location,
            "sscc": self.sscc,
        }


def read_scan(session: Session, text: str) -> ScanReading:
    """One scan, whatever it is: a location barcode, a product SKU or GTIN, a GS1 lot
    label (SKU, lot and expiry at once) or an SSCC."""
    code = text.strip()
    if not code:
        raise InvalidInput("the scan is empty", field="scan")
    location = session.scalar(select(Location).where(Location.barcode == code))
    if location is not None:
        return ScanReading("location", code, location=location.barcode)
    product = session.scalar(select(Product).where(Product.sku == code))
    if product is not None:
        return ScanReading("product", code, sku=product.sku)
    try:
        gs1 = parse_scan(code)
    except ValueError as exc:
        raise NotFound(f"nothing here answers to this scan: {exc}", field="scan") from None
    return _reading_from_gs1(session, code, gs1)


def _reading_from_gs1(session: Session, code: str, gs1: Gs1Scan) -> ScanReading:
    if gs1.sscc and not gs1.gtin:
        return ScanReading("sscc", code, sscc=gs1.sscc)
    if gs1.gtin is None:
        raise NotFound("the scan carries no GTIN or SSCC", field="scan")
    product = session.scalar(select(Product).where(Product.gtin.in_(gtin_forms(gs1.gtin))))
    if product is None:
        raise NotFound(f"no product has GTIN {gs1.gtin}", field="scan")
    if gs1.lot is None:
        return ScanReading("product", code, sku=product.sku, expiry_date=gs1.expiry)
    return ScanReading("lot", code, sku=product.sku, lot_number=gs1.lot, expiry_date=gs1.expiry)
