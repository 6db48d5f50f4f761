"""Stock queries: on hand now (from the quants) and as of any past instant (from the moves)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from wms.models import PHYSICAL_KINDS, Location, Lot, Move, Product, Quant


@dataclass(frozen=True)
class StockFilter:
    product_id: int | None = None
    lot_id: int | None = None
    lot_number: str | None = None
    location_id: int | None = None
    bonded: bool | None = None
    sellable: bool | None = None
    # Virtual locations (supplier, customer, ...) hold no stock; include them to see
    # their running balances (what has come in from or gone out to them).
    include_virtual: bool = False


@dataclass(frozen=True)
class StockRow:
    sku: str
    lot_number: str
    expiry_date: date | None
    location: str
    is_bonded: bool
    is_sellable: bool
    quantity: int
    reserved: int | None  # unknown for past instants: reservations are not ledger events
    product_id: int
    lot_id: int
    location_id: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expiry_date"] = self.expiry_date.isoformat() if self.expiry_date else None
        return data


def on_hand(session: Session, where: StockFilter, as_of: datetime | None = None) -> list[StockRow]:
    if as_of is not None and where.lot_id is not None and where.product_id is None:
        # Moves are indexed by (product, time): let the lot's product narrow the scan.
        where = replace(where, product_id=session.get_one(Lot, where.lot_id).product_id)
    balances = _now(where) if as_of is None else _as_of(where, as_of)
    sub = balances.subquery()
    stmt = (
        select(
            Product.sku,
            Lot.lot_number,
            Lot.expiry_date,
            Location.barcode,
            Location.is_bonded,
            Location.is_sellable,
            sub.c.quantity,
            sub.c.reserved,
            sub.c.product_id,
            sub.c.lot_id,
            sub.c.location_id,
        )
        .join(Product, Product.id == sub.c.product_id)
        .join(Lot, Lot.id == sub.c.lot_id)
        .join(Location, Location.id == sub.c.location_id)
        .where(sub.c.quantity != 0)
        .order_by(Product.sku, Lot.expiry_date, Lot.lot_number, Location.barcode)
    )
    stmt = _location_filter(stmt, where)
    return [StockRow(*row) for row in session.execute(stmt)]


def total_on_hand(session: Session, where: StockFilter, as_of: datetime | None = None) -> int:
    return sum(row.quantity for row in on_hand(session, where, as_of))


def _now(where: StockFilter) -> Select[Any]:
    stmt = select(
        Quant.product_id,
        Quant.lot_id,
        Quant.location_id,
        Quant.quantity.label("quantity"),
        Quant.reserved_quantity.label("reserved"),
    )
    if where.product_id is not None:
        stmt = stmt.where(Quant.product_id == where.product_id)
    if where.lot_id is not None:
        stmt = stmt.where(Quant.lot_id == where.lot_id)
    if where.location_id is not None:
        stmt = stmt.where(Quant.location_id == where.location_id)
    if not where.include_virtual:
        stmt = stmt.where(Quant.negative_allowed.is_(False))
    return stmt


def _as_of(where: StockFilter, as_of: datetime) -> Select[Any]:
    """Replays moves up to ``as_of`` (inclusive): each move counts in at its destination
    and out at its source.  Indexed by (product, time), and by location."""

    def side(location: Any, sign: int) -> Select[Any]:
        stmt = select(
            Move.product_id,
            Move.lot_id,
            location.label("location_id"),
            (Move.quantity * sign).label("quantity"),
        ).where(Move.created_at <= as_of)
        if where.product_id is not None:
            stmt = stmt.where(Move.product_id == where.product_id)
        if where.lot_id is not None:
            stmt = stmt.where(Move.lot_id == where.lot_id)
        if where.location_id is not None:
            stmt = stmt.where(location == where.location_id)
        return stmt

    moves = union_all(side(Move.to_location_id, 1), side(Move.from_location_id, -1)).subquery()
    return select(
        moves.c.product_id,
        moves.c.lot_id,
        moves.c.location_id,
        func.sum(moves.c.quantity).label("quantity"),
        literal_column("NULL").label("reserved"),
    ).group_by(moves.c.product_id, moves.c.lot_id, moves.c.location_id)


def _location_filter(stmt: Select[Any], where: StockFilter) -> Select[Any]:
    if not where.include_virtual:
        stmt = stmt.where(Location.kind.in_(PHYSICAL_KINDS))
    if where.bonded is not None:
        stmt = stmt.where(Location.is_bonded.is_(where.bonded))
    if where.sellable is not None:
        stmt = stmt.where(Location.is_sellable.is_(where.sellable))
    if where.lot_number is not None:
        stmt = stmt.where(Lot.lot_number == where.lot_number)
    return stmt
