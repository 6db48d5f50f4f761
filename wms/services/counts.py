"""Counting a bin: what a counter found, per product and lot, against the stock on hand.

A count posts only the differences, as one operation of ``count`` moves between the bin
and its warehouse's count-difference place (the same moves a short pick makes), so the
ledger, the quants and the customs account book (``adjusted``) stay in step: a bonded
surplus raises the declaration line's balance, a bonded loss lowers it.

Rules:
- only storage bins are counted (docks hold goods in flight, showrooms belong to loans);
- a line names a product (SKU or GTIN, as scanned), a lot number and the quantity found
  (zero allowed); the same lot twice is refused;
- lots the request does not mention are left alone, unless it says the count is
  ``complete``: then everything else in the bin was counted as zero;
- units reserved for orders are not silently counted away: a count below what is
  reserved in the bin is refused, naming the line (pick or report the short pick first);
- a lot found where the ledger has none must be a lot the warehouse knows: under a
  declaration of this warehouse for a bonded bin, duty-paid for a duty-paid bin;
- a count that matches the stock posts nothing but keeps its answer, so a retry with
  the same idempotency key answers the same; the same key with another count is refused;
- a count taken on a handheld may reach the server late (patchy Wi-Fi): when it says
  which was the bin's last move as the count began (``since_move_id``, from
  ``bin_snapshot``), it is refused if the bin has moved since, rather than booking a
  pick or a putaway made meanwhile as a difference.

``bin_snapshot`` is what a counter's device reads when the bin is scanned: the bin's last
move and, unless the count is blind, what the ledger expects in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.models import (
    EntryDeclaration,
    EntryDeclarationLine,
    Location,
    LocationKind,
    Lot,
    Move,
    MoveReason,
    Product,
    Quant,
)
from wms.services import ledger
from wms.services.catalog import location_by_barcode, product_by_code, virtual_location
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import MoveLine, utcnow

MAX_LINES = 500
MAX_QUANTITY = 10_000_000


@dataclass(frozen=True)
class CountLine:
    product_code: str  # SKU or GTIN, as scanned
    lot_number: str
    quantity: int  # what was found; zero allowed
    # Needed only when the same lot number came in under two declarations.
    declaration_number: str | None = None


@dataclass(frozen=True)
class CountInput:
    location_barcode: str
    lines: tuple[CountLine, ...]
    idempotency_key: str
    actor: str
    # Everything in the bin is listed: what is not mentioned was counted as zero.
    complete: bool = False
    # The bin's last move when the count began: refused if the bin has moved since.
    since_move_id: int | None = None


class _LotRow(NamedTuple):
    id: int
    entry_line_id: int | None
    declaration: str | None
    warehouse_id: int | None


class _Here(NamedTuple):
    lot_id: int
    quantity: int
    reserved: int
    sku: str
    lot_number: str
    declaration: str | None


def count_bin(session: Session, data: CountInput, *, at: datetime | None = None) -> dict[str, Any]:
    """Post the differences between what was counted in a bin and what the ledger says."""
    fingerprint, replay = ledger.check_replay(session, "count", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    _check_lines(data)
    bin_ = countable_bin(session, data.location_barcode)
    here = _stock_here(session, bin_.id)
    if data.since_move_id is not None:
        _check_unmoved(session, bin_, data.since_move_id)

    counted: dict[int, tuple[int, int]] = {}  # lot id -> (request line index, quantity)
    answers: list[dict[str, Any]] = []
    for i, line in enumerate(data.lines):
        product = product_by_code(session, line.product_code, field=f"lines[{i}].sku")
        lot = _lot_for(session, product, line, bin_, here, i)
        if lot.id in counted:
            first = counted[lot.id][0]
            raise InvalidInput(
                f"{product.sku} lot {line.lot_number.strip()} is already counted on line "
                f"{first + 1}: give one line per product and lot",
                field=f"lines[{i}].lot",
            )
        counted[lot.id] = (i, line.quantity)
        stock = here.get(lot.id)
        expected, reserved = (stock.quantity, stock.reserved) if stock else (0, 0)
        if line.quantity < reserved:
            raise Conflict(
                f"{product.sku} lot {line.lot_number.strip()}: {line.quantity} counted in "
                f"{bin_.barcode}, but {reserved} are reserved there for orders; pick them or "
                "report the short pick on the wave first, then count again",
                field=f"lines[{i}].quantity",
                sku=product.sku,
                lot=line.lot_number.strip(),
                location=bin_.barcode,
                reserved=reserved,
                counted=line.quantity,
            )
        answers.append(
            {
                "sku": product.sku,
                "lot_number": line.lot_number.strip(),
                "lot_id": lot.id,
                "declaration_number": lot.declaration,
                "expected": expected,
                "counted": line.quantity,
                "difference": line.quantity - expected,
                "line": i + 1,  # the request line, counted from 1
            }
        )

    if data.complete:
        for stock in sorted(here.values(), key=lambda h: (h.sku, h.lot_number, h.lot_id)):
            if stock.lot_id in counted or stock.quantity == 0:
                continue
            if stock.reserved:
                raise Conflict(
                    f"{stock.sku} lot {stock.lot_number} is not on the count, so a complete "
                    f"count would make it zero, but {stock.reserved} are reserved in "
                    f"{bin_.barcode} for orders; count it, or pick or report the short first",
                    field="complete",
                    sku=stock.sku,
                    lot=stock.lot_number,
                    location=bin_.barcode,
                    reserved=stock.reserved,
                )
            answers.append(
                {
                    "sku": stock.sku,
                    "lot_number": stock.lot_number,
                    "lot_id": stock.lot_id,
                    "declaration_number": stock.declaration,
                    "expected": stock.quantity,
                    "counted": 0,
                    "difference": -stock.quantity,
                    "line": None,  # not on the count: counted as zero
                }
            )

    moves = _moves(session, bin_, answers)
    result: dict[str, Any] = {
        "location": bin_.barcode,
        "complete": data.complete,
        "lines": answers,
        "differences": [a for a in answers if a["difference"]],
        "units_found": sum(a["difference"] for a in answers if a["difference"] > 0),
        "units_lost": -sum(a["difference"] for a in answers if a["difference"] < 0),
    }
    if moves:
        operation = ledger.post(
            session,
            idempotency_key=data.idempotency_key,
            fingerprint=fingerprint,
            kind="count",
            reason=MoveReason.COUNT,
            actor=data.actor,
            lines=moves,
            document_ref=bin_.barcode,
            at=at,
        )
    else:  # the bin matches: nothing to post, but the answer is kept for retries
        operation = ledger.record_answer(
            session, data.idempotency_key, "count", fingerprint, data.actor, at, {}
        )
    operation.result = {"operation_id": operation.id, "moves": len(moves), **result}
    return {**operation.result, "replayed": False}


def countable_bin(session: Session, barcode: str) -> Location:
    bin_ = location_by_barcode(session, barcode.strip(), field="location")
    if bin_.kind is not LocationKind.BIN:
        raise InvalidInput(
            f"{bin_.barcode} is a {bin_.kind.value}: only storage bins are counted",
            field="location",
        )
    return bin_


def last_move_id(session: Session, location_id: int) -> int:
    """The newest move into or out of a place (0 when nothing ever moved there)."""
    newest = [
        session.scalar(select(func.max(Move.id)).where(column == location_id))
        for column in (Move.from_location_id, Move.to_location_id)
    ]
    return max((n for n in newest if n is not None), default=0)


def bin_snapshot(session: Session, barcode: str, *, blind: bool) -> dict[str, Any]:
    """What a counter's device reads as the count of a bin begins: the bin, its last move
    (sent back with the count as ``since_move_id``) and, for a count that is not blind,
    what the ledger expects in it."""
    bin_ = countable_bin(session, barcode)
    snapshot: dict[str, Any] = {
        "location": bin_.barcode,
        "is_bonded": bin_.is_bonded,
        "is_sellable": bin_.is_sellable,
        "since_move_id": last_move_id(session, bin_.id),
        "blind": blind,
    }
    if not blind:
        rows = session.execute(
            select(
                Product.sku,
                Product.name,
                Lot.lot_number,
                Lot.expiry_date,
                EntryDeclaration.number,
                Quant.quantity,
                Quant.reserved_quantity,
            )
            .join(Lot, Lot.id == Quant.lot_id)
            .join(Product, Product.id == Quant.product_id)
            .outerjoin(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
            .outerjoin(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
            .where(Quant.location_id == bin_.id, Quant.quantity != 0)
            .order_by(Product.sku, Lot.expiry_date, Lot.lot_number, Lot.id)
        ).all()
        snapshot["expected"] = [
            {
                "sku": sku,
                "product_name": name,
                "lot_number": lot_number,
                "expiry_date": expiry.isoformat() if expiry else None,
                "declaration_number": declaration,
                "quantity": quantity,
                "reserved": reserved,
            }
            for sku, name, lot_number, expiry, declaration, quantity, reserved in rows
        ]
    return snapshot


def _check_unmoved(session: Session, bin_: Location, since_move_id: int) -> None:
    if isinstance(since_move_id, bool) or not isinstance(since_move_id, int) or since_move_id < 0:
        raise InvalidInput("a move id is a whole number from 0", field="since_move_id")
    newest = last_move_id(session, bin_.id)
    if newest > since_move_id:
        raise Conflict(
            f"stock moved in or out of {bin_.barcode} after this count began; count the bin again",
            field="since_move_id",
            location=bin_.barcode,
            since_move_id=since_move_id,
            last_move_id=newest,
        )


def _check_lines(data: CountInput) -> None:
    if not data.lines and not data.complete:
        raise InvalidInput(
            "nothing was counted: list what is in the bin, or say the count is complete to "
            "record the bin as empty",
            field="lines",
        )
    if len(data.lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines per count", field="lines")
    for i, line in enumerate(data.lines):
        if not line.product_code.strip():
            raise InvalidInput("a SKU or GTIN is required", field=f"lines[{i}].sku")
        if not line.lot_number.strip():
            raise InvalidInput("a lot number is required", field=f"lines[{i}].lot")
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise InvalidInput("quantity must be a whole number", field=f"lines[{i}].quantity")
        if quantity < 0:
            raise InvalidInput(
                "quantity cannot be negative: enter what is there, zero if nothing",
                field=f"lines[{i}].quantity",
            )
        if quantity > MAX_QUANTITY:
            raise InvalidInput(
                f"quantity cannot exceed {MAX_QUANTITY}", field=f"lines[{i}].quantity"
            )


def _stock_here(session: Session, location_id: int) -> dict[int, _Here]:
    """What the ledger holds in the bin, per lot.  On PostgreSQL the rows are locked
    (in id order, as the ledger locks) so that the differences are taken against stock
    nobody changes before this count commits; SQLite writers are serialised anyway."""
    stmt = (
        select(
            Quant.id,
            Quant.lot_id,
            Quant.quantity,
            Quant.reserved_quantity,
        )
        .where(
            Quant.location_id == location_id,
            or_(Quant.quantity != 0, Quant.reserved_quantity != 0),
        )
        .order_by(Quant.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    rows = session.execute(stmt).all()
    if not rows:
        return {}
    names = {
        r.id: (r.sku, r.lot_number, r.number)
        for r in session.execute(
            select(Lot.id, Product.sku, Lot.lot_number, EntryDeclaration.number)
            .join(Product, Product.id == Lot.product_id)
            .outerjoin(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
            .outerjoin(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
            .where(Lot.id.in_([r.lot_id for r in rows]))
        )
    }
    return {
        r.lot_id: _Here(r.lot_id, r.quantity, r.reserved_quantity, *names[r.lot_id]) for r in rows
    }


def _lot_for(
    session: Session,
    product: Product,
    line: CountLine,
    bin_: Location,
    here: dict[int, _Here],
    index: int,
) -> _LotRow:
    """The lot a count line means.  A lot number can repeat across declarations: the one
    with stock in the bin is meant; otherwise the one that may be in this bin (bonded:
    declared into this warehouse; duty-paid: not declared).  When that leaves more than
    one, the line must name the declaration."""
    lot_number = line.lot_number.strip()
    stmt = (
        select(Lot.id, Lot.entry_line_id, EntryDeclaration.number, EntryDeclaration.warehouse_id)
        .outerjoin(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
        .outerjoin(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
        .where(Lot.product_id == product.id, Lot.lot_number == lot_number)
        .order_by(Lot.id)
    )
    candidates = [_LotRow(*row) for row in session.execute(stmt)]
    if not candidates:
        raise NotFound(
            f"{product.sku} has no lot {lot_number}: a count finds known lots only",
            field=f"lines[{index}].lot",
        )
    if line.declaration_number is not None:
        wanted = line.declaration_number.strip()
        candidates = [c for c in candidates if c.declaration == wanted]
        if not candidates:
            raise NotFound(
                f"{product.sku} lot {lot_number} did not come in under declaration {wanted}",
                field=f"lines[{index}].declaration",
            )
    in_bin = [c for c in candidates if c.id in here]
    if len(in_bin) == 1:
        return in_bin[0]
    if in_bin:
        raise _say_which(product, lot_number, in_bin, bin_, index)
    if bin_.is_bonded:
        fitting = [c for c in candidates if c.warehouse_id == bin_.warehouse_id]
        why = "did not come in under an entry declaration of this warehouse"
    else:
        fitting = [c for c in candidates if c.entry_line_id is None]
        why = "is bonded stock, never released as duty-paid goods"
    if not fitting:
        raise InvalidInput(
            f"{product.sku} lot {lot_number} {why}, so it cannot be counted into {bin_.barcode}",
            field=f"lines[{index}].lot",
        )
    if len(fitting) > 1:
        raise _say_which(product, lot_number, fitting, bin_, index)
    return fitting[0]


def _say_which(
    product: Product, lot_number: str, lots: list[_LotRow], bin_: Location, index: int
) -> InvalidInput:
    numbers = ", ".join(sorted(str(c.declaration) for c in lots))
    return InvalidInput(
        f"{product.sku} lot {lot_number} may be in {bin_.barcode} under declarations "
        f"{numbers}: say which",
        field=f"lines[{index}].declaration",
    )


def _moves(session: Session, bin_: Location, answers: list[dict[str, Any]]) -> list[MoveLine]:
    changed = [a for a in answers if a["difference"]]
    if not changed:
        return []
    count_diff = virtual_location(session, bin_.warehouse_id, LocationKind.COUNT_DIFF)
    return [
        MoveLine(a["lot_id"], a["difference"], count_diff.id, bin_.id)
        if a["difference"] > 0
        else MoveLine(a["lot_id"], -a["difference"], bin_.id, count_diff.id)
        for a in changed
    ]
