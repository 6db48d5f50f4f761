"""Inbound into the bonded zone: entry declarations, receiving by scan, putaway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import (
    AccountBookLine,
    DeclarationStatus,
    DiscrepancyKind,
    EntryDeclaration,
    EntryDeclarationLine,
    LocationKind,
    Lot,
    MoveReason,
    Quant,
    ReceiptDiscrepancy,
)
from wms.models.types import money_text
from wms.services import ledger
from wms.services.catalog import (
    location_by_barcode,
    product_by_code,
    virtual_location,
    warehouse_by_code,
)
from wms.services.errors import Conflict, InvalidInput, NotFound, OverReceipt
from wms.services.ledger import MoveLine, utcnow


@dataclass(frozen=True)
class DeclarationLineInput:
    line_no: int
    sku: str
    declared_quantity: int
    unit_value: Decimal
    currency: str
    origin_country: str


@dataclass(frozen=True)
class DeclarationInput:
    number: str
    warehouse_code: str
    importer: str
    arrival_date: date
    lines: tuple[DeclarationLineInput, ...]


@dataclass(frozen=True)
class ReceiveInput:
    """One scan-sized receiving step against a declaration."""

    declaration_number: str
    product_code: str  # SKU or GTIN, as scanned
    lot_number: str
    quantity: int
    dock_barcode: str
    idempotency_key: str
    actor: str
    expiry_date: date | None = None
    production_date: date | None = None
    line_no: int | None = None  # needed only when the product is on several lines
    accept_over: bool = False  # receive beyond the declared quantity, knowingly


@dataclass(frozen=True)
class PutawayInput:
    product_code: str
    lot_number: str
    quantity: int
    from_barcode: str
    to_barcode: str
    idempotency_key: str
    actor: str
    # Needed only when the same lot number came in under two declarations and both
    # are at the source.
    declaration_number: str | None = None


def create_declaration(session: Session, data: DeclarationInput) -> EntryDeclaration:
    if session.scalar(select(EntryDeclaration.id).where(EntryDeclaration.number == data.number)):
        raise Conflict(f"entry declaration {data.number} already exists", field="number")
    warehouse = warehouse_by_code(session, data.warehouse_code, field="warehouse_code")
    if not data.lines:
        raise InvalidInput("a declaration needs at least one line", field="lines")
    seen: set[int] = set()
    declaration = EntryDeclaration(
        number=data.number,
        warehouse_id=warehouse.id,
        importer=data.importer,
        arrival_date=data.arrival_date,
        status=DeclarationStatus.OPEN,
        created_at=utcnow(),
    )
    session.add(declaration)
    session.flush()
    for i, line in enumerate(data.lines):
        if line.line_no in seen:
            raise InvalidInput(
                f"line number {line.line_no} is repeated", field=f"lines[{i}].line_no"
            )
        seen.add(line.line_no)
        if line.declared_quantity <= 0:
            raise InvalidInput(
                "declared quantity must be positive", field=f"lines[{i}].declared_quantity"
            )
        product = product_by_code(session, line.sku, field=f"lines[{i}].sku")
        row = EntryDeclarationLine(
            declaration_id=declaration.id,
            line_no=line.line_no,
            product_id=product.id,
            declared_quantity=line.declared_quantity,
            unit_value=line.unit_value,
            currency=line.currency.upper(),
            origin_country=line.origin_country.upper(),
        )
        session.add(row)
        session.flush()
        session.add(AccountBookLine(entry_line_id=row.id))
    session.flush()
    return declaration


def declaration_by_number(session: Session, number: str) -> EntryDeclaration:
    declaration = session.scalar(select(EntryDeclaration).where(EntryDeclaration.number == number))
    if declaration is None:
        raise NotFound(f"no entry declaration {number}", field="declaration_number")
    return declaration


def received_by_line(
    session: Session, line_ids: list[int], *, lock: bool = False
) -> dict[int, int]:
    """Net quantity received per declaration line, from the account book (kept with the
    ledger in the same transaction, and reconciled against it independently).
    ``lock`` holds the rows until commit, so two receipts cannot both pass the
    over-receipt check."""
    stmt = select(AccountBookLine.entry_line_id, AccountBookLine.received).where(
        AccountBookLine.entry_line_id.in_(line_ids)
    )
    if lock:
        stmt = stmt.with_for_update()
    totals = dict.fromkeys(line_ids, 0)
    totals.update(session.execute(stmt).tuples().all())
    return totals


def receive(session: Session, data: ReceiveInput, *, at: datetime | None = None) -> dict[str, Any]:
    """Receive one scanned quantity of one lot onto the dock, against its declaration line."""
    fingerprint, replay = ledger.check_replay(session, "receive", data)
    if replay is not None:
        return replay
    if data.quantity <= 0:
        raise InvalidInput("quantity must be positive", field="quantity")
    lot_number = data.lot_number.strip()
    if not lot_number:
        raise InvalidInput("a lot number is required", field="lot_number")
    if data.expiry_date and data.production_date and data.expiry_date <= data.production_date:
        raise InvalidInput("expiry must come after production", field="expiry_date")

    declaration = declaration_by_number(session, data.declaration_number)
    if declaration.status is not DeclarationStatus.OPEN:
        raise Conflict(
            f"declaration {declaration.number} is closed for receiving", field="declaration_number"
        )
    product = product_by_code(session, data.product_code, field="product_code")
    line = _line_for(session, declaration, product.id, data.line_no)
    dock = location_by_barcode(session, data.dock_barcode, field="dock_barcode")
    if dock.kind is not LocationKind.DOCK or not dock.is_bonded:
        raise InvalidInput("goods are received onto a bonded dock", field="dock_barcode")
    if dock.warehouse_id != declaration.warehouse_id:
        raise InvalidInput("this dock is in another warehouse", field="dock_barcode")

    received_before = received_by_line(session, [line.id], lock=True)[line.id]
    received_after = received_before + data.quantity
    if received_after > line.declared_quantity and not data.accept_over:
        raise OverReceipt(
            f"line {line.line_no} declares {line.declared_quantity}, {received_before} already "
            f"received: {data.quantity} more would be over by "
            f"{received_after - line.declared_quantity}; confirm with accept_over",
            field="quantity",
            declared=line.declared_quantity,
            received=received_before,
        )
    lot = lot_for(
        session,
        product.id,
        lot_number,
        line.id,
        expiry_date=data.expiry_date,
        production_date=data.production_date,
        at=at,
    )
    supplier = virtual_location(session, declaration.warehouse_id, LocationKind.SUPPLIER)
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="receive",
        reason=MoveReason.RECEIPT,
        actor=data.actor,
        lines=[MoveLine(lot.id, data.quantity, supplier.id, dock.id)],
        document_ref=declaration.number,
        at=at,
    )
    operation.result = {
        "operation_id": operation.id,
        "declaration_number": declaration.number,
        "line_no": line.line_no,
        "sku": product.sku,
        "lot_id": lot.id,
        "lot_number": lot.lot_number,
        "quantity": data.quantity,
        "declared_quantity": line.declared_quantity,
        "received_quantity": received_after,
        "outstanding_quantity": max(line.declared_quantity - received_after, 0),
        "over_quantity": max(received_after - line.declared_quantity, 0),
        "location": dock.barcode,
    }
    return {**operation.result, "replayed": False}


def _line_for(
    session: Session, declaration: EntryDeclaration, product_id: int, line_no: int | None
) -> EntryDeclarationLine:
    # Only this product's lines: a declaration may have hundreds, and every carton asks.
    lines = list(
        session.scalars(
            select(EntryDeclarationLine)
            .where(
                EntryDeclarationLine.declaration_id == declaration.id,
                EntryDeclarationLine.product_id == product_id,
            )
            .order_by(EntryDeclarationLine.line_no)
        )
    )
    if line_no is not None:
        lines = [ln for ln in lines if ln.line_no == line_no]
        if not lines:
            raise NotFound(
                f"declaration {declaration.number} has no line {line_no} for this product",
                field="line_no",
            )
    if not lines:
        raise NotFound(
            f"this product is not declared on {declaration.number}", field="product_code"
        )
    if len(lines) > 1:
        numbers = ", ".join(str(ln.line_no) for ln in lines)
        raise InvalidInput(f"this product is on lines {numbers}: say which line", field="line_no")
    return lines[0]


def lot_for(
    session: Session,
    product_id: int,
    lot_number: str,
    entry_line_id: int | None,
    *,
    expiry_date: date | None,
    production_date: date | None,
    at: datetime | None,
) -> Lot:
    """The lot a receipt goes to, created on its first receipt: one per product, lot
    number and entry-declaration line (none for duty-paid goods).  A receipt naming
    another expiry than the lot's is refused.

    The unique key treats a missing declaration line as distinct, so for duty-paid lots
    this lookup is what keeps one lot per product and lot number."""
    line_match = (
        Lot.entry_line_id.is_(None) if entry_line_id is None else Lot.entry_line_id == entry_line_id
    )
    lot = session.scalar(
        select(Lot)
        .where(Lot.product_id == product_id, Lot.lot_number == lot_number, line_match)
        .order_by(Lot.id)
        .limit(1)
    )
    if lot is None:
        lot = Lot(
            product_id=product_id,
            lot_number=lot_number,
            expiry_date=expiry_date,
            production_date=production_date,
            entry_line_id=entry_line_id,
            created_at=at or utcnow(),
        )
        session.add(lot)
        session.flush()
        return lot
    if expiry_date is not None and lot.expiry_date not in (None, expiry_date):
        raise InvalidInput(
            f"lot {lot_number} was received with expiry {lot.expiry_date}, not {expiry_date}",
            field="expiry_date",
        )
    if lot.expiry_date is None and expiry_date is not None:
        lot.expiry_date = expiry_date
    return lot


def close_declaration(
    session: Session, number: str, *, actor: str, at: datetime | None = None
) -> list[ReceiptDiscrepancy]:
    """Finish receiving: every short or over line is recorded as a discrepancy."""
    declaration = declaration_by_number(session, number)
    if declaration.status is DeclarationStatus.CLOSED:
        raise Conflict(f"declaration {number} is already closed", field="declaration_number")
    at = at or utcnow()
    received = received_by_line(session, [ln.id for ln in declaration.lines])
    discrepancies = []
    for line in declaration.lines:
        diff = received[line.id] - line.declared_quantity
        if diff:
            discrepancies.append(
                ReceiptDiscrepancy(
                    entry_line_id=line.id,
                    kind=DiscrepancyKind.OVER if diff > 0 else DiscrepancyKind.SHORT,
                    quantity=abs(diff),
                    recorded_at=at,
                    recorded_by=actor,
                )
            )
    session.add_all(discrepancies)
    declaration.status = DeclarationStatus.CLOSED
    declaration.closed_at = at
    declaration.closed_by = actor
    session.flush()
    return discrepancies


def declaration_summary(session: Session, number: str) -> dict[str, Any]:
    declaration = declaration_by_number(session, number)
    received = received_by_line(session, [ln.id for ln in declaration.lines])
    recorded = {
        d.entry_line_id: d
        for d in session.scalars(
            select(ReceiptDiscrepancy).where(
                ReceiptDiscrepancy.entry_line_id.in_([ln.id for ln in declaration.lines])
            )
        )
    }
    lines = []
    for line in declaration.lines:
        got = received[line.id]
        status = _line_status(got, line.declared_quantity, declaration.status)
        disc = recorded.get(line.id)
        lines.append(
            {
                "line_no": line.line_no,
                "sku": line.product.sku,
                "declared_quantity": line.declared_quantity,
                "received_quantity": got,
                "difference": got - line.declared_quantity,
                "status": status,
                "unit_value": money_text(line.unit_value),
                "currency": line.currency,
                "origin_country": line.origin_country,
                "discrepancy": (
                    {"kind": disc.kind.value, "quantity": disc.quantity} if disc else None
                ),
            }
        )
    return {
        "number": declaration.number,
        "importer": declaration.importer,
        "arrival_date": declaration.arrival_date.isoformat(),
        "status": declaration.status.value,
        "closed_at": declaration.closed_at.isoformat() if declaration.closed_at else None,
        "lines": lines,
    }


def _line_status(received: int, declared: int, status: DeclarationStatus) -> str:
    if received == declared:
        return "complete"
    if received > declared:
        return "over"
    if status is DeclarationStatus.CLOSED:
        return "short"
    return "partial" if received else "pending"


def putaway(session: Session, data: PutawayInput, *, at: datetime | None = None) -> dict[str, Any]:
    """Move received stock from the dock to a storage bin scanned by its barcode."""
    return _relocate(session, data, kind="putaway", reason=MoveReason.PUTAWAY, at=at)


def transfer(session: Session, data: PutawayInput, *, at: datetime | None = None) -> dict[str, Any]:
    """Move stock between two physical places of the same account (bin to bin, bin to dock)."""
    return _relocate(session, data, kind="transfer", reason=MoveReason.TRANSFER, at=at)


def _relocate(
    session: Session, data: PutawayInput, *, kind: str, reason: MoveReason, at: datetime | None
) -> dict[str, Any]:
    fingerprint, replay = ledger.check_replay(session, kind, data)
    if replay is not None:
        return replay
    if data.quantity <= 0:
        raise InvalidInput("quantity must be positive", field="quantity")
    source = location_by_barcode(session, data.from_barcode, field="from_barcode")
    target = location_by_barcode(session, data.to_barcode, field="to_barcode")
    if source.id == target.id:
        raise InvalidInput("source and destination are the same place", field="to_barcode")
    if not source.kind.is_physical or source.kind is LocationKind.SHOWROOM:
        raise InvalidInput("stock is relocated from a bin or dock", field="from_barcode")
    allowed = {LocationKind.BIN} if kind == "putaway" else {LocationKind.BIN, LocationKind.DOCK}
    if target.kind not in allowed:
        raise InvalidInput(
            f"a {kind} goes to a {' or '.join(sorted(k.value for k in allowed))}",
            field="to_barcode",
        )
    if source.is_bonded != target.is_bonded:
        raise InvalidInput(
            f"moving stock in or out of the bonded account is a customs release, not a {kind}",
            field="to_barcode",
        )
    if source.warehouse_id != target.warehouse_id:
        raise InvalidInput("the two places are in different warehouses", field="to_barcode")
    product = product_by_code(session, data.product_code, field="product_code")
    lot = _lot_at(session, product.id, data.lot_number, source.id, data.declaration_number)
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind=kind,
        reason=reason,
        actor=data.actor,
        lines=[MoveLine(lot.id, data.quantity, source.id, target.id)],
        at=at,
    )
    operation.result = {
        "operation_id": operation.id,
        "sku": product.sku,
        "lot_id": lot.id,
        "lot_number": lot.lot_number,
        "quantity": data.quantity,
        "from": source.barcode,
        "to": target.barcode,
    }
    return {**operation.result, "replayed": False}


def _lot_at(
    session: Session,
    product_id: int,
    lot_number: str,
    location_id: int,
    declaration_number: str | None,
) -> Lot:
    """The lot with this number at the location.  Lot numbers can repeat across
    declarations: if two such lots have stock here, the caller must say which.  A lot
    that was here and is used up is still found, so the poster can say "only 0
    available"."""
    stmt = (
        select(Lot, Quant.quantity, EntryDeclaration.number)
        .join(Quant, Quant.lot_id == Lot.id)
        .outerjoin(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
        .outerjoin(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
        .where(
            Lot.product_id == product_id,
            Lot.lot_number == lot_number.strip(),
            Quant.location_id == location_id,
        )
        .order_by((Quant.quantity > 0).desc(), Lot.id)
    )
    if declaration_number is not None:
        stmt = stmt.where(EntryDeclaration.number == declaration_number)
    found = session.execute(stmt).all()
    if not found:
        raise NotFound(f"lot {lot_number} of this product was never here", field="lot_number")
    with_stock = [number for _lot, quantity, number in found if quantity > 0]
    if len(with_stock) > 1:
        raise InvalidInput(
            f"lot {lot_number} is here under declarations {', '.join(map(str, with_stock))}: "
            "say which",
            field="declaration_number",
        )
    return found[0][0]
