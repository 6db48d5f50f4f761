"""Domestic duty-paid stock (the "import direct purchase" model): goods whose duties are
already paid, held in non-bonded bins and shipped without a consignee-ID declaration.

They enter from the warehouse's DOMESTIC virtual location with a receipt move, under a
lot that belongs to no entry declaration, so the customs account book never sees them.
Bonded stock enters only by an entry declaration (services.inbound).  Domestic and
export orders are then allocated from these bins (services.allocation picks non-bonded
bins for them) and picked and packed like any other order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from wms.models import LocationKind, Lot, MoveReason, StockOperation
from wms.services import inbound, ledger
from wms.services.catalog import location_by_barcode, product_by_code, virtual_location
from wms.services.errors import InvalidInput
from wms.services.ledger import MoveLine, utcnow

REFERENCE_LENGTH = StockOperation.__table__.c.document_ref.type.length
LOT_LENGTH = Lot.__table__.c.lot_number.type.length


@dataclass(frozen=True)
class DutyPaidReceipt:
    """One scan-sized receipt of duty-paid goods straight into a domestic bin."""

    product_code: str  # SKU or GTIN, as scanned
    lot_number: str
    quantity: int
    bin_barcode: str
    reference: str  # the duty-paid import declaration or purchase it came under
    idempotency_key: str
    actor: str
    expiry_date: date | None = None
    production_date: date | None = None


def receive_duty_paid(
    session: Session, data: DutyPaidReceipt, *, at: datetime | None = None
) -> dict[str, Any]:
    fingerprint, replay = ledger.check_replay(session, "duty_paid_receipt", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    if isinstance(data.quantity, bool) or not isinstance(data.quantity, int):
        raise InvalidInput("quantity must be a whole number", field="quantity")
    if data.quantity <= 0:
        raise InvalidInput("quantity must be positive", field="quantity")
    lot_number = data.lot_number.strip()
    if not lot_number or len(lot_number) > LOT_LENGTH:
        raise InvalidInput(f"a lot number of 1 to {LOT_LENGTH} characters", field="lot_number")
    reference = data.reference.strip()
    if not reference or len(reference) > REFERENCE_LENGTH:
        raise InvalidInput(
            f"the duty-paid import or purchase reference (1 to {REFERENCE_LENGTH} characters)",
            field="reference",
        )
    if data.expiry_date and data.production_date and data.expiry_date <= data.production_date:
        raise InvalidInput("expiry must come after production", field="expiry_date")
    target = location_by_barcode(session, data.bin_barcode, field="bin_barcode")
    if target.is_bonded:
        raise InvalidInput(
            "this is a bonded bin: bonded stock enters only under an entry declaration",
            field="bin_barcode",
        )
    if target.kind is not LocationKind.BIN or not target.is_sellable:
        raise InvalidInput("duty-paid goods are received into a sellable bin", field="bin_barcode")
    product = product_by_code(session, data.product_code, field="product_code")
    lot = inbound.lot_for(
        session,
        product.id,
        lot_number,
        None,
        expiry_date=data.expiry_date,
        production_date=data.production_date,
        at=at,
    )
    source = virtual_location(session, target.warehouse_id, LocationKind.DOMESTIC)
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="duty_paid_receipt",
        reason=MoveReason.RECEIPT,
        actor=data.actor,
        lines=[MoveLine(lot.id, data.quantity, source.id, target.id)],
        document_ref=reference,
        at=at,
    )
    operation.result = {
        "operation_id": operation.id,
        "reference": reference,
        "sku": product.sku,
        "lot_id": lot.id,
        "lot_number": lot.lot_number,
        "expiry_date": lot.expiry_date.isoformat() if lot.expiry_date else None,
        "quantity": data.quantity,
        "location": target.barcode,
    }
    return {**operation.result, "replayed": False}
    if data.expiry_date is not None and lot.expiry_date not in (None, data.expiry_date):
        raise InvalidInput(
            f"lot {lot_number} was received with expiry {lot.expiry_date}, not {data.expiry_date}",
            field="expiry_date",
        )
    if lot.expiry_date is None and data.expiry_date is not None:
        lot.expiry_date = data.expiry_date
    return lot
