"""The customs e-account book per entry-declaration line, and its reconciliation.

The book is kept move by move as the ledger posts (``ledger._apply_to_book``).
``reconcile`` checks it three independent ways: the stored book against the book
rebuilt from every move, the book's balances against the stock actually on hand in
bonded places, and every quant against the sum of its moves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.models import (
    BOOK_COLUMNS,
    AccountBookLine,
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
from wms.services.book_rules import book_delta
from wms.services.ledger import places


@dataclass(frozen=True)
class BookRow:
    declaration_number: str
    line_no: int
    sku: str
    declared: int
    received: int
    released: int
    on_display_loan: int
    returned: int
    written_off: int
    adjusted: int
    balance: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mismatch:
    check: str  # book_vs_ledger | book_vs_stock | quant_vs_moves
    subject: str
    field: str
    expected: int
    actual: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def account_book(session: Session, declaration_number: str | None = None) -> list[BookRow]:
    stmt = (
        select(EntryDeclaration.number, EntryDeclarationLine, Product.sku, AccountBookLine)
        .join(EntryDeclarationLine, EntryDeclarationLine.declaration_id == EntryDeclaration.id)
        .join(Product, Product.id == EntryDeclarationLine.product_id)
        .join(AccountBookLine, AccountBookLine.entry_line_id == EntryDeclarationLine.id)
        .order_by(EntryDeclaration.number, EntryDeclarationLine.line_no)
    )
    if declaration_number is not None:
        stmt = stmt.where(EntryDeclaration.number == declaration_number)
    return [
        BookRow(
            number,
            line.line_no,
            sku,
            line.declared_quantity,
            *(getattr(book, c) for c in BOOK_COLUMNS),
            book.balance,
        )
        for number, line, sku, book in session.execute(stmt)
    ]


def rebuilt_book(session: Session) -> dict[int, dict[str, int]]:
    """The book as the ledger says it should be, per entry line."""
    grouped = session.execute(
        select(
            Lot.entry_line_id,
            Move.from_location_id,
            Move.to_location_id,
            Move.reason,
            func.sum(Move.quantity),
        )
        .join(Lot, Lot.id == Move.lot_id)
        .where(Lot.entry_line_id.is_not(None))
        .group_by(Lot.entry_line_id, Move.from_location_id, Move.to_location_id, Move.reason)
    ).all()
    # Places deactivated since still count for their history.
    where = places(session, {r[1] for r in grouped} | {r[2] for r in grouped}, active_only=False)
    book: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BOOK_COLUMNS, 0))
    for entry_line_id, src, dst, reason, quantity in grouped:
        delta = book_delta(
            where[src], where[dst], int(quantity), reversal=reason is MoveReason.REVERSAL
        )
        for column, n in delta.items():
            book[entry_line_id][column] += n
    return book


def reconcile(session: Session, *, replay_ledger: bool = True) -> list[Mismatch]:
    """Every disagreement between the book, the ledger and the stock; empty when healthy.

    ``replay_ledger=False`` skips the two checks that read every move (seconds on a
    ledger of millions) and keeps the book-against-stock check, which reads only quants.
    """
    mismatches: list[Mismatch] = []
    stored = {row.entry_line_id: row for row in session.scalars(select(AccountBookLine))}
    labels = _line_labels(session)
    if replay_ledger:
        mismatches.extend(_book_vs_ledger(session, stored, labels))
    mismatches.extend(_book_vs_stock(session, stored, labels))
    if replay_ledger:
        mismatches.extend(_quants_vs_moves(session))
    return mismatches


def _book_vs_ledger(
    session: Session, stored: dict[int, AccountBookLine], labels: dict[int, str]
) -> list[Mismatch]:
    mismatches: list[Mismatch] = []
    rebuilt = rebuilt_book(session)
    for line_id in stored.keys() | rebuilt.keys():
        row = stored.get(line_id)
        expected = rebuilt.get(line_id, dict.fromkeys(BOOK_COLUMNS, 0))
        for column in BOOK_COLUMNS:
            actual = getattr(row, column) if row else 0
            if actual != expected[column]:
                mismatches.append(
                    Mismatch(
                        "book_vs_ledger",
                        labels.get(line_id, str(line_id)),
                        column,
                        expected[column],
                        actual,
                    )
                )

    return mismatches


def _book_vs_stock(
    session: Session, stored: dict[int, AccountBookLine], labels: dict[int, str]
) -> list[Mismatch]:
    mismatches: list[Mismatch] = []
    balance_here, on_loan_here = _bonded_stock_by_line(session)
    for line_id, row in stored.items():
        label = labels.get(line_id, str(line_id))
        if row.balance != balance_here.get(line_id, 0):
            mismatches.append(
                Mismatch(
                    "book_vs_stock", label, "balance", balance_here.get(line_id, 0), row.balance
                )
            )
        if row.on_display_loan != on_loan_here.get(line_id, 0):
            mismatches.append(
                Mismatch(
                    "book_vs_stock",
                    label,
                    "on_display_loan",
                    on_loan_here.get(line_id, 0),
                    row.on_display_loan,
                )
            )

    return mismatches


def _line_labels(session: Session) -> dict[int, str]:
    rows = session.execute(
        select(EntryDeclarationLine.id, EntryDeclaration.number, EntryDeclarationLine.line_no).join(
            EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id
        )
    )
    return {line_id: f"{number}/{line_no}" for line_id, number, line_no in rows}


def _bonded_stock_by_line(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    rows = session.execute(
        select(Lot.entry_line_id, Location.kind, func.sum(Quant.quantity))
        .join(Lot, Lot.id == Quant.lot_id)
        .join(Location, Location.id == Quant.location_id)
        .where(
            Lot.entry_line_id.is_not(None),
            Location.is_bonded.is_(True),
            Quant.negative_allowed.is_(False),
        )
        .group_by(Lot.entry_line_id, Location.kind)
    )
    balance: dict[int, int] = defaultdict(int)
    on_loan: dict[int, int] = defaultdict(int)
    for line_id, kind, quantity in rows:
        balance[line_id] += int(quantity)
        if kind is LocationKind.SHOWROOM:
            on_loan[line_id] += int(quantity)
    return balance, on_loan


def _quants_vs_moves(session: Session) -> list[Mismatch]:
    inbound = select(
        Move.lot_id, Move.to_location_id.label("location_id"), Move.quantity.label("q")
    )
    outbound = select(
        Move.lot_id, Move.from_location_id.label("location_id"), (-Move.quantity).label("q")
    )
    both = inbound.union_all(outbound).subquery()
    from_moves = {
        (lot_id, location_id): int(q)
        for lot_id, location_id, q in session.execute(
            select(both.c.lot_id, both.c.location_id, func.sum(both.c.q)).group_by(
                both.c.lot_id, both.c.location_id
            )
        )
    }
    from_quants = {
        (lot_id, location_id): quantity
        for lot_id, location_id, quantity in session.execute(
            select(Quant.lot_id, Quant.location_id, Quant.quantity)
        )
    }
    return [
        Mismatch(
            "quant_vs_moves",
            f"lot {key[0]} at location {key[1]}",
            "quantity",
            from_moves.get(key, 0),
            from_quants.get(key, 0),
        )
        for key in sorted(from_moves.keys() | from_quants.keys())
        if from_moves.get(key, 0) != from_quants.get(key, 0)
    ]
