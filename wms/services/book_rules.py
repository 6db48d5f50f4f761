"""How a move between two locations changes the customs account book.

Pure rules over location facts; the ledger applies them as it posts, and
reconciliation applies them again to the whole ledger to check the book.
"""

from __future__ import annotations

from dataclasses import dataclass

from wms.models.warehouse import LocationKind


@dataclass(frozen=True, slots=True)
class Place:
    """The facts about a location that the book rules need."""

    id: int
    kind: LocationKind
    is_bonded: bool
    is_sellable: bool

    @property
    def in_book(self) -> bool:
        return self.is_bonded and self.kind.is_physical

    @property
    def is_showroom(self) -> bool:
        return self.kind is LocationKind.SHOWROOM


BookDelta = dict[str, int]


def book_delta(src: Place, dst: Place, quantity: int, *, reversal: bool = False) -> BookDelta:
    """Column changes for ``quantity`` units moving from ``src`` to ``dst``.

    A reversal undoes exactly what the move it reverses did, so it is booked as the
    negation of the forward move (a reversed loan return does not count as a return).
    """
    if reversal:
        return {col: -n for col, n in _forward(dst, src, quantity).items()}
    return _forward(src, dst, quantity)


def _forward(src: Place, dst: Place, q: int) -> BookDelta:
    if src.in_book and dst.in_book:
        if dst.is_showroom and not src.is_showroom:
            return {"on_display_loan": q}
        if src.is_showroom and not dst.is_showroom:
            return {"on_display_loan": -q, "returned": q}
        return {}
    if dst.in_book:  # into the bonded account
        into: BookDelta = {"on_display_loan": q} if dst.is_showroom else {}
        if src.kind is LocationKind.CUSTOMER:
            into["released"] = -q  # a consumer return back into the zone
        elif src.kind is LocationKind.SCRAP:
            into["written_off"] = -q
        elif src.kind is LocationKind.COUNT_DIFF:
            into["adjusted"] = q
        else:
            into["received"] = q
        return into
    if src.in_book:  # out of the bonded account
        delta: BookDelta = {"on_display_loan": -q} if src.is_showroom else {}
        if dst.kind is LocationKind.SUPPLIER:
            delta["received"] = -q  # returned to the overseas supplier
        elif dst.kind is LocationKind.SCRAP:
            delta["written_off"] = q
        elif dst.kind is LocationKind.COUNT_DIFF:
            delta["adjusted"] = -q
        else:
            delta["released"] = q
        return delta
    return {}
