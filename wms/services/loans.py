"""Display-only stock loans: bonded goods lent to a showroom, seen and touched but never
sold there, back by a due date, covered by a guarantee for the duty they would owe.

Every stock change goes through the ledger with the loan's own reasons (LOAN_OUT,
LOAN_RETURN, WRITE_OFF): the ledger refuses any other way in or out of a showroom, so
loaned stock can never be released, transferred or picked.  Loaned stock stays in the
bonded account (the book's "on display loan" column).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from customs.exchange import ExchangeRates, MissingRate
from customs.tax import UnknownTaxCategory, import_tax
from wms.models import (
    OPEN_STATUSES,
    EntryDeclaration,
    EntryDeclarationLine,
    ItemCondition,
    Loan,
    LoanEvent,
    LoanItem,
    LoanStatus,
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Notice,
    Quant,
    TagScan,
)
from wms.models.types import money_text
from wms.services import ledger, numbering
from wms.services.catalog import location_by_barcode, product_by_code, virtual_location
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import MoveLine, utcnow

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LoanItemInput:
    sku: str  # or GTIN
    lot_number: str
    quantity: int
    declaration_number: str | None = None  # when the lot number came in twice


@dataclass(frozen=True)
class LoanRequest:
    showroom_barcode: str
    due_date: date
    items: tuple[LoanItemInput, ...]
    requested_by: str


@dataclass(frozen=True)
class ScanOut:
    loan_number: str
    product_code: str
    lot_number: str
    quantity: int
    from_barcode: str
    idempotency_key: str
    actor: str


@dataclass(frozen=True)
class ScanReturn:
    loan_number: str
    product_code: str
    lot_number: str
    quantity: int
    condition: ItemCondition
    idempotency_key: str
    actor: str
    to_barcode: str | None = None  # where good items go back; none for write-offs
    note: str | None = None


# --- asking, approving, extending ------------------------------------------------------


def request_loan(
    session: Session,
    data: LoanRequest,
    *,
    at: datetime | None = None,
    rates: ExchangeRates | None = None,
) -> Loan:
    """Record a loan request with the guarantee it needs: the import taxes its goods
    would owe (China CBEC retail rules, valued at the entry declaration's unit value
    converted at the customs rate of the day)."""
    at = at or utcnow()
    showroom = location_by_barcode(session, data.showroom_barcode, field="showroom_barcode")
    if showroom.kind is not LocationKind.SHOWROOM:
        raise InvalidInput("goods are lent to a showroom location", field="showroom_barcode")
    if data.due_date <= at.date():
        raise InvalidInput("the due date must be in the future", field="due_date")
    if not data.items:
        raise InvalidInput("a loan lends at least one item", field="items")
    rates = rates or ExchangeRates.load()
    loan = Loan(
        number=numbering.daily_number(session, Loan.number, "LN", at),
        warehouse_id=showroom.warehouse_id,
        showroom_id=showroom.id,
        status=LoanStatus.REQUESTED,
        requested_by=data.requested_by,
        requested_at=at,
        due_date=data.due_date,
        guarantee_amount=Decimal(0),
    )
    session.add(loan)
    session.flush()
    seen: set[int] = set()
    total = Decimal(0)
    for i, item in enumerate(data.items):
        field = f"items[{i}]"
        if item.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"{field}.quantity")
        lot, line = _lot_to_lend(session, item, showroom.warehouse_id, field)
        if lot.id in seen:
            raise InvalidInput("this lot is already on the loan", field=f"{field}.lot_number")
        seen.add(lot.id)
        free = _free_in_bins(session, lot.id, showroom.warehouse_id)
        if free < item.quantity:
            raise InvalidInput(
                f"only {free} of lot {lot.lot_number} are free in bonded bins",
                field=f"{field}.quantity",
            )
        unit = _unit_guarantee(lot, line, at.date(), rates, field)
        total += unit * item.quantity
        session.add(
            LoanItem(
                loan_id=loan.id,
                product_id=lot.product_id,
                lot_id=lot.id,
                quantity=item.quantity,
                unit_guarantee=unit,
                tag_code=secrets.token_hex(5),
            )
        )
    loan.guarantee_amount = total.quantize(CENT)
    _event(
        session,
        loan,
        "requested",
        data.requested_by,
        at,
        items=[asdict(item) for item in data.items],
        guarantee_amount=money_text(loan.guarantee_amount),
    )
    session.flush()
    return loan


def _lot_to_lend(
    session: Session, item: LoanItemInput, warehouse_id: int, field: str
) -> tuple[Lot, EntryDeclarationLine]:
    product = product_by_code(session, item.sku, field=f"{field}.sku")
    stmt = (
        select(Lot, EntryDeclarationLine)
        .join(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
        .join(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
        .where(
            Lot.product_id == product.id,
            Lot.lot_number == item.lot_number,
            EntryDeclaration.warehouse_id == warehouse_id,
        )
    )
    if item.declaration_number:
        stmt = stmt.where(EntryDeclaration.number == item.declaration_number)
    found = session.execute(stmt).all()
    if not found:
        raise NotFound(
            f"no bonded lot {item.lot_number} of {product.sku} in this warehouse",
            field=f"{field}.lot_number",
        )
    if len(found) > 1:
        raise InvalidInput(
            f"lot {item.lot_number} came in under several declarations: say which",
            field=f"{field}.declaration_number",
        )
    return found[0][0], found[0][1]


def _free_in_bins(session: Session, lot_id: int, warehouse_id: int) -> int:
    free = session.scalar(
        select(func.sum(Quant.quantity - Quant.reserved_quantity))
        .join(Location, Location.id == Quant.location_id)
        .where(
            Quant.lot_id == lot_id,
            Location.warehouse_id == warehouse_id,
            Location.kind == LocationKind.BIN,
            Location.is_bonded.is_(True),
            Location.is_sellable.is_(True),
        )
    )
    return int(free or 0)


def _unit_guarantee(
    lot: Lot, line: EntryDeclarationLine, on: date, rates: ExchangeRates, field: str
) -> Decimal:
    try:
        value_cny = rates.to_cny(line.unit_value, line.currency, on)
        return import_tax(value_cny, lot.product.tax_category, on).total
    except MissingRate as exc:
        raise InvalidInput(str(exc), field=f"{field}.sku") from None
    except UnknownTaxCategory as exc:
        raise InvalidInput(str(exc), field=f"{field}.sku") from None


def loan_by_number(session: Session, number: str, *, lock: bool = False) -> Loan:
    stmt = select(Loan).where(Loan.number == number)
    if lock:  # scans of one loan queue up: item counters and status change together
        stmt = stmt.with_for_update()
    loan = session.scalar(stmt)
    if loan is None:
        raise NotFound(f"no loan {number}", field="loan_number")
    return loan


def approve_loan(
    session: Session,
    number: str,
    *,
    approved_by: str,
    guarantee_reference: str,
    guarantee_expires: date,
    at: datetime | None = None,
) -> Loan:
    at = at or utcnow()
    loan = loan_by_number(session, number, lock=True)
    if loan.status is not LoanStatus.REQUESTED:
        raise Conflict(f"loan {number} is {loan.status.value}, not requested", field="status")
    if approved_by == loan.requested_by:
        raise InvalidInput("a loan is approved by someone other than who asked", field="actor")
    if not guarantee_reference.strip():
        raise InvalidInput("the guarantee's reference is required", field="guarantee_reference")
    loan.status = LoanStatus.APPROVED
    loan.approved_by = approved_by
    loan.approved_at = at
    loan.guarantee_reference = guarantee_reference.strip()
    loan.guarantee_expires = guarantee_expires
    _event(
        session,
        loan,
        "approved",
        approved_by,
        at,
        guarantee_reference=guarantee_reference,
        guarantee_expires=guarantee_expires.isoformat(),
    )
    _check_guarantee_cover(session, loan, at)
    return loan


def extend_due_date(
    session: Session,
    number: str,
    *,
    new_due_date: date,
    reason: str,
    actor: str,
    at: datetime | None = None,
) -> Loan:
    """Give a loan more time: audited, and the guarantee must still cover it."""
    at = at or utcnow()
    loan = loan_by_number(session, number, lock=True)
    if loan.status not in OPEN_STATUSES | {LoanStatus.APPROVED, LoanStatus.REQUESTED}:
        raise Conflict(f"loan {number} is {loan.status.value}", field="status")
    if new_due_date <= loan.due_date:
        raise InvalidInput("an extension moves the due date later", field="new_due_date")
    if not reason.strip():
        raise InvalidInput("say why the loan is extended", field="reason")
    previous = loan.due_date
    loan.due_date = new_due_date
    if loan.overdue_since is not None and new_due_date >= at.date():
        loan.overdue_since = None
    _event(
        session,
        loan,
        "due_date_extended",
        actor,
        at,
        previous=previous.isoformat(),
        new=new_due_date.isoformat(),
        reason=reason.strip(),
    )
    _check_guarantee_cover(session, loan, at)
    return loan


def _check_guarantee_cover(session: Session, loan: Loan, at: datetime) -> None:
    if loan.guarantee_expires is not None and loan.guarantee_expires < loan.due_date:
        raise_notice(
            session,
            "guarantee_expires_early",
            loan.number,
            f"the guarantee {loan.guarantee_reference} of loan {loan.number} expires on "
            f"{loan.guarantee_expires}, before the loan is due back on {loan.due_date}",
            at,
        )


# --- scanning out and back -------------------------------------------------------------


def scan_out(session: Session, data: ScanOut, *, at: datetime | None = None) -> dict[str, Any]:
    """One scan at the showroom-bound vehicle: units of one lot leave a bonded bin."""
    fingerprint, replay = ledger.check_replay(session, "loan_out", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    loan = loan_by_number(session, data.loan_number, lock=True)
    if loan.status not in (LoanStatus.APPROVED, LoanStatus.OUT):
        raise Conflict(
            f"loan {loan.number} is {loan.status.value}: only an approved loan goes out",
            field="loan_number",
        )
    source = location_by_barcode(session, data.from_barcode, field="from_barcode")

    def fits(candidate: LoanItem) -> bool:
        here = session.scalar(
            select(Quant.quantity - Quant.reserved_quantity).where(
                Quant.lot_id == candidate.lot_id, Quant.location_id == source.id
            )
        )
        return candidate.out_quantity + data.quantity <= candidate.quantity and (here or 0) > 0

    item = _item(session, loan, data.product_code, data.lot_number, fits)
    if data.quantity <= 0:
        raise InvalidInput("quantity must be positive", field="quantity")
    if item.out_quantity + data.quantity > item.quantity:
        raise InvalidInput(
            f"the loan lends {item.quantity} of this lot and {item.out_quantity} are out",
            field="quantity",
        )
    if (
        source.kind is not LocationKind.BIN
        or not source.is_bonded
        or not source.is_sellable
        or source.warehouse_id != loan.warehouse_id
    ):
        raise InvalidInput(
            "loan goods leave from a bonded storage bin of the warehouse", field="from_barcode"
        )
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="loan_out",
        reason=MoveReason.LOAN_OUT,
        actor=data.actor,
        lines=[MoveLine(item.lot_id, data.quantity, source.id, loan.showroom_id)],
        document_ref=loan.number,
        at=at,
    )
    item.out_quantity += data.quantity
    if loan.out_at is None:
        loan.out_at = at
        loan.out_checklist = f"{loan.number}-CL-O"
        loan.out_release_note = f"{loan.number}-RN-O"
    if all(i.out_quantity == i.quantity for i in loan.items):
        loan.status = LoanStatus.OUT
    _event(
        session,
        loan,
        "item_out",
        data.actor,
        at,
        sku=item.product.sku,
        lot=item.lot.lot_number,
        quantity=data.quantity,
        from_bin=source.barcode,
        operation_id=operation.id,
    )
    operation.result = {
        "operation_id": operation.id,
        "loan_number": loan.number,
        "status": loan.status.value,
        "sku": item.product.sku,
        "lot_number": item.lot.lot_number,
        "quantity": data.quantity,
        "out_quantity": item.out_quantity,
        "requested_quantity": item.quantity,
    }
    return {**operation.result, "replayed": False}


def scan_return(
    session: Session, data: ScanReturn, *, at: datetime | None = None
) -> dict[str, Any]:
    """Units of one lot come back from the showroom: in good condition to a bonded bin,
    damaged or missing to scrap and loss, with the duty they now owe recorded."""
    fingerprint, replay = ledger.check_replay(session, "loan_return", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    loan = loan_by_number(session, data.loan_number, lock=True)
    item = _item(
        session,
        loan,
        data.product_code,
        data.lot_number,
        lambda candidate: candidate.on_display >= data.quantity,
    )
    if data.quantity <= 0:
        raise InvalidInput("quantity must be positive", field="quantity")
    if data.quantity > item.on_display:
        raise InvalidInput(f"only {item.on_display} of this lot are on display", field="quantity")
    condition = ItemCondition(data.condition)
    if condition is ItemCondition.GOOD:
        if not data.to_barcode:
            raise InvalidInput("say which bin good items go back to", field="to_barcode")
        target = location_by_barcode(session, data.to_barcode, field="to_barcode")
        if (
            target.kind not in (LocationKind.BIN, LocationKind.DOCK)
            or not target.is_bonded
            or target.warehouse_id != loan.warehouse_id
        ):
            raise InvalidInput(
                "returned goods go back to a bonded bin or dock of the warehouse",
                field="to_barcode",
            )
        reason = MoveReason.LOAN_RETURN
    else:
        target = virtual_location(session, loan.warehouse_id, LocationKind.SCRAP)
        reason = MoveReason.WRITE_OFF
    returns_so_far = session.scalar(
        select(func.count(LoanEvent.id)).where(
            LoanEvent.loan_id == loan.id, LoanEvent.kind.in_(("item_returned", "written_off"))
        )
    )
    sequence = (returns_so_far or 0) + 1
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="loan_return" if reason is MoveReason.LOAN_RETURN else "loan_write_off",
        reason=reason,
        actor=data.actor,
        lines=[MoveLine(item.lot_id, data.quantity, loan.showroom_id, target.id)],
        document_ref=loan.number,
        at=at,
    )
    duty = Decimal(0)
    if condition is ItemCondition.GOOD:
        item.returned_quantity += data.quantity
        kind = "item_returned"
    else:
        item.written_off_quantity += data.quantity
        duty = (item.unit_guarantee * data.quantity).quantize(CENT)
        item.duty_payable += duty
        kind = "written_off"
    loan.status = _status_after_return(loan)
    if loan.status not in OPEN_STATUSES:
        loan.closed_at = at
    checklist, release_note = f"{loan.number}-CL-R{sequence}", f"{loan.number}-RN-R{sequence}"
    _event(
        session,
        loan,
        kind,
        data.actor,
        at,
        sku=item.product.sku,
        lot=item.lot.lot_number,
        quantity=data.quantity,
        condition=condition.value,
        to=target.barcode,
        duty_payable=money_text(duty),
        note=data.note,
        checklist=checklist,
        release_note=release_note,
        sequence=sequence,
        operation_id=operation.id,
    )
    operation.result = {
        "operation_id": operation.id,
        "loan_number": loan.number,
        "status": loan.status.value,
        "sku": item.product.sku,
        "lot_number": item.lot.lot_number,
        "quantity": data.quantity,
        "condition": condition.value,
        "duty_payable": money_text(duty),
        "on_display": item.on_display,
        "checklist": checklist,
        "release_note": release_note,
        "return_sequence": sequence,
    }
    return {**operation.result, "replayed": False}


def _status_after_return(loan: Loan) -> LoanStatus:
    """Open while anything is on display; once everything that went out is back (units
    never scanned out were simply not lent), closed."""
    if any(i.on_display for i in loan.items):
        return LoanStatus.PARTLY_RETURNED
    if any(i.written_off_quantity for i in loan.items):
        return LoanStatus.CLOSED_WITH_WRITE_OFF
    return LoanStatus.RETURNED


def _item(
    session: Session,
    loan: Loan,
    product_code: str,
    lot_number: str,
    fits: Callable[[LoanItem], bool] = lambda _item: True,
) -> LoanItem:
    """The loan's item for a scanned product and lot.  The same lot number can be on a
    loan twice (it came in under two declarations): then the first item the scan fits
    is meant, e.g. one with units still to go out from the scanned bin."""
    product = product_by_code(session, product_code, field="product_code")
    matching = [
        item
        for item in loan.items
        if item.product_id == product.id and item.lot.lot_number == lot_number.strip()
    ]
    if not matching:
        raise NotFound(
            f"loan {loan.number} has no lot {lot_number} of {product.sku}", field="lot_number"
        )
    return next((item for item in matching if fits(item)), matching[0])


# --- due dates, notices, tags ----------------------------------------------------------


def mark_overdue(session: Session, *, now: datetime | None = None) -> list[str]:
    """Flag loans past their due date with goods still out, once each, with a notice
    for the planners.  Safe to run as often as one likes."""
    now = now or utcnow()
    late = session.scalars(
        select(Loan)
        .where(
            Loan.status.in_([*OPEN_STATUSES, LoanStatus.APPROVED]),
            Loan.due_date < now.date(),
            Loan.overdue_since.is_(None),
            Loan.out_at.is_not(None),
        )
        .order_by(Loan.number)
        .with_for_update()
    ).all()
    for loan in late:
        loan.overdue_since = now
        on_display = sum(i.on_display for i in loan.items)
        _event(
            session,
            loan,
            "overdue",
            "scheduler",
            now,
            due_date=loan.due_date.isoformat(),
            on_display=on_display,
        )
        raise_notice(
            session,
            "loan_overdue",
            loan.number,
            f"loan {loan.number} was due back on {loan.due_date}; {on_display} unit(s) "
            f"are still at {loan.showroom.name}",
            now,
        )
    return [loan.number for loan in late]


def raise_notice(session: Session, kind: str, subject: str, message: str, at: datetime) -> None:
    """One open notice per kind and subject: raising it again updates and re-opens it.
    The planners' notices of every kind (loans, the scheduler's jobs) go through here."""
    notice = session.scalar(select(Notice).where(Notice.kind == kind, Notice.subject == subject))
    if notice is None:
        session.add(Notice(kind=kind, subject=subject, message=message, created_at=at))
    else:
        notice.message, notice.created_at = message, at
        notice.acknowledged_at = notice.acknowledged_by = None
    session.flush()


def _event(
    session: Session, loan: Loan, kind: str, actor: str, at: datetime, **details: Any
) -> None:
    session.add(LoanEvent(loan_id=loan.id, kind=kind, actor=actor, at=at, details=details))


def record_tag_scan(session: Session, tag_code: str, *, at: datetime | None = None) -> str:
    """Count one scan of a display tag; answer where it leads (the product's listing)."""
    item = session.scalar(select(LoanItem).where(LoanItem.tag_code == tag_code))
    if item is None:
        raise NotFound("no display tag with this code", field="tag_code")
    if not item.product.listing_url:
        raise NotFound(f"{item.product.sku} has no online listing", field="tag_code")
    session.add(
        TagScan(
            loan_item_id=item.id,
            showroom_id=item.loan.showroom_id,
            product_id=item.product_id,
            scanned_at=at or utcnow(),
        )
    )
    return item.product.listing_url
