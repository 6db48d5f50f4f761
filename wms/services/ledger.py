"""Posting moves: the one way stock changes.

``post`` writes one operation and its moves, keeps the quants and the account book
in step in the same transaction, and refuses anything that would take a physical
location below zero or below what is reserved there.  It is set-based (a handful of
statements per batch, whatever its size) so that posting stays fast.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wms.models import (
    BOOK_COLUMNS,
    AccountBookLine,
    Location,
    Lot,
    Move,
    MoveReason,
    Product,
    Quant,
    StockOperation,
)
from wms.services.book_rules import Place, book_delta
from wms.services.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    NotFound,
)

MAX_KEY_LENGTH = 128


@dataclass(frozen=True, slots=True)
class MoveLine:
    lot_id: int
    quantity: int
    from_location_id: int
    to_location_id: int
    # Take reserved units (a pick against a reservation) rather than free ones.
    from_reserved: bool = False


def utcnow() -> datetime:
    return datetime.now(UTC)


def request_hash(payload: Any) -> str:
    """A stable fingerprint of a request, to tell a retry from a reused key."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise InvalidInput("an idempotency key is required", field="idempotency_key")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"the idempotency key is longer than {MAX_KEY_LENGTH} characters",
            field="idempotency_key",
        )
    return key


def replayed_result(session: Session, key: str, fingerprint: str) -> dict[str, Any] | None:
    """The stored answer of an earlier operation with this key, or None if there is none."""
    row = session.execute(
        select(StockOperation.request_hash, StockOperation.result).where(
            StockOperation.idempotency_key == check_key(key)
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "this idempotency key was already used for a different request",
            field="idempotency_key",
        )
    return {**row.result, "replayed": True}


def places(
    session: Session, location_ids: set[int], *, active_only: bool = True
) -> dict[int, Place]:
    rows = session.execute(
        select(
            Location.id, Location.kind, Location.is_bonded, Location.is_sellable, Location.active
        ).where(Location.id.in_(location_ids))
    ).all()
    return {
        r.id: Place(r.id, r.kind, r.is_bonded, r.is_sellable)
        for r in rows
        if r.active or not active_only
    }


def post(
    session: Session,
    *,
    idempotency_key: str,
    fingerprint: str,
    kind: str,
    reason: MoveReason,
    actor: str,
    lines: Sequence[MoveLine],
    document_ref: str | None = None,
    at: datetime | None = None,
    reverses_move_ids: Sequence[int] | None = None,
    reverses_operation_id: int | None = None,
) -> StockOperation:
    """Post ``lines`` as one operation.  The caller stores ``result`` on what is returned."""
    at = at or utcnow()
    _check_lines(lines)
    operation = StockOperation(
        idempotency_key=check_key(idempotency_key),
        kind=kind,
        request_hash=fingerprint,
        document_ref=document_ref,
        actor=actor,
        created_at=at,
        result={},
        reverses_operation_id=reverses_operation_id,
    )
    session.add(operation)
    session.flush()  # a concurrent twin with the same key fails here, before any stock moves

    lots = _lots(session, {line.lot_id for line in lines})
    where = places(
        session, {line.from_location_id for line in lines} | {line.to_location_id for line in lines}
    )
    for i, line in enumerate(lines):
        for name in ("from_location_id", "to_location_id"):
            if getattr(line, name) not in where:
                raise NotFound(
                    f"location {getattr(line, name)} does not exist or is inactive",
                    field=f"lines[{i}].{name}",
                )
        src, dst = where[line.from_location_id], where[line.to_location_id]
        if dst.in_book and not src.in_book and lots[line.lot_id][1] is None:
            raise InvalidInput(
                "this lot is not under an entry declaration, so it cannot enter the bonded zone",
                field=f"lines[{i}].lot_id",
            )

    conn = session.connection()
    _apply_to_quants(session, conn, lines, lots, where)
    _insert_moves(conn, operation, lines, lots, reason, document_ref, actor, at, reverses_move_ids)
    _apply_to_book(conn, lines, lots, where, reversal=reason is MoveReason.REVERSAL)
    return operation


def _check_lines(lines: Sequence[MoveLine]) -> None:
    if not lines:
        raise InvalidInput("an operation needs at least one move", field="lines")
    for i, line in enumerate(lines):
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool):
            raise InvalidInput("quantity must be a whole number", field=f"lines[{i}].quantity")
        if line.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"lines[{i}].quantity")
        if line.from_location_id == line.to_location_id:
            raise InvalidInput(
                "a move needs two different locations", field=f"lines[{i}].to_location_id"
            )


def _lots(session: Session, lot_ids: set[int]) -> dict[int, tuple[int, int | None]]:
    rows = session.execute(
        select(Lot.id, Lot.product_id, Lot.entry_line_id).where(Lot.id.in_(lot_ids))
    ).all()
    found = {r.id: (r.product_id, r.entry_line_id) for r in rows}
    for lot_id in lot_ids - found.keys():
        raise NotFound(f"lot {lot_id} does not exist", field="lot_id")
    return found


def _apply_to_quants(
    session: Session,
    conn: Connection,
    lines: Sequence[MoveLine],
    lots: dict[int, tuple[int, int | None]],
    where: dict[int, Place],
) -> None:
    on_hand: dict[tuple[int, int], int] = defaultdict(int)
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    first_line: dict[tuple[int, int], int] = {}
    for i, line in enumerate(lines):
        src = (line.lot_id, line.from_location_id)
        on_hand[src] -= line.quantity
        on_hand[(line.lot_id, line.to_location_id)] += line.quantity
        if line.from_reserved:
            reserved[src] -= line.quantity
        first_line.setdefault(src, i)

    # Lock every existing row we touch, in id order, so concurrent posters queue
    # instead of deadlocking; SQLite is already serialised by BEGIN IMMEDIATE.
    stmt = (
        select(Quant.id, Quant.lot_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity)
        .where(tuple_(Quant.lot_id, Quant.location_id).in_(list(on_hand)))
        .order_by(Quant.id)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    existing = {(r.lot_id, r.location_id): r for r in session.execute(stmt)}

    for key, delta in on_hand.items():
        if not where[key[1]].kind.is_physical:
            continue
        row = existing.get(key)
        qty, res = (row.quantity, row.reserved_quantity) if row else (0, 0)
        new_qty, new_res = qty + delta, res + reserved.get(key, 0)
        if new_res < 0 or new_qty < new_res:
            _refuse_shortage(session, key, first_line.get(key, 0), qty, res, reserved.get(key, 0))

    table = Quant.__table__
    updates = [
        {"b_id": existing[key].id, "b_dq": delta, "b_dr": reserved.get(key, 0)}
        for key, delta in on_hand.items()
        if key in existing and (delta or reserved.get(key, 0))
    ]
    if updates:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                quantity=table.c.quantity + bindparam("b_dq"),
                reserved_quantity=table.c.reserved_quantity + bindparam("b_dr"),
            ),
            updates,
        )
    inserts = [
        {
            "product_id": lots[lot_id][0],
            "lot_id": lot_id,
            "location_id": location_id,
            "quantity": delta,
            "reserved_quantity": 0,
            "negative_allowed": not where[location_id].kind.is_physical,
        }
        for (lot_id, location_id), delta in on_hand.items()
        if (lot_id, location_id) not in existing
    ]
    if inserts:
        conn.execute(_quant_upsert(conn), inserts)


def _quant_upsert(conn: Connection) -> Any:
    """INSERT ... ON CONFLICT add: a row created by a concurrent poster is added to."""
    table = Quant.__table__
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.lot_id, table.c.location_id],
        set_={"quantity": table.c.quantity + stmt.excluded.quantity},
    )


def _refuse_shortage(
    session: Session, key: tuple[int, int], line_index: int, qty: int, res: int, take_res: int
) -> None:
    lot_id, location_id = key
    sku, lot_number, location = session.execute(
        select(Product.sku, Lot.lot_number, Location.code)
        .join(Lot, Lot.product_id == Product.id)
        .join(Location, Location.id == location_id)
        .where(Lot.id == lot_id)
    ).one()
    available = res if take_res else qty - res
    what = "reserved" if take_res else "available"
    raise InsufficientStock(
        f"only {available} of {sku} lot {lot_number} {what} at {location}",
        field=f"lines[{line_index}].quantity",
        sku=sku,
        lot=lot_number,
        location=location,
        available=available,
    )


def _insert_moves(
    conn: Connection,
    operation: StockOperation,
    lines: Sequence[MoveLine],
    lots: dict[int, tuple[int, int | None]],
    reason: MoveReason,
    document_ref: str | None,
    actor: str,
    at: datetime,
    reverses_move_ids: Sequence[int] | None,
) -> None:
    reverses = list(reverses_move_ids) if reverses_move_ids else [None] * len(lines)
    if len(reverses) != len(lines):
        raise ValueError("one reversed move id per line")
    conn.execute(
        insert(Move.__table__),
        [
            {
                "operation_id": operation.id,
                "product_id": lots[line.lot_id][0],
                "lot_id": line.lot_id,
                "quantity": line.quantity,
                "from_location_id": line.from_location_id,
                "to_location_id": line.to_location_id,
                "reason": reason,
                "document_ref": document_ref,
                "actor": actor,
                "created_at": at,
                "reverses_move_id": reversed_id,
            }
            for line, reversed_id in zip(lines, reverses, strict=True)
        ],
    )


def _apply_to_book(
    conn: Connection,
    lines: Sequence[MoveLine],
    lots: dict[int, tuple[int, int | None]],
    where: dict[int, Place],
    *,
    reversal: bool,
) -> None:
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BOOK_COLUMNS, 0))
    for line in lines:
        entry_line_id = lots[line.lot_id][1]
        if entry_line_id is None:
            continue
        delta = book_delta(
            where[line.from_location_id],
            where[line.to_location_id],
            line.quantity,
            reversal=reversal,
        )
        for column, n in delta.items():
            totals[entry_line_id][column] += n
    rows = [
        {"b_id": line_id, **{f"b_{c}": v[c] for c in BOOK_COLUMNS}}
        for line_id, v in totals.items()
        if any(v.values())
    ]
    if not rows:
        return
    table = AccountBookLine.__table__
    result = conn.execute(
        update(table)
        .where(table.c.entry_line_id == bindparam("b_id"))
        .values({c: table.c[c] + bindparam(f"b_{c}") for c in BOOK_COLUMNS}),
        rows,
    )
    if result.rowcount != len(rows):
        raise RuntimeError("an entry-declaration line has no account-book row")


def reverse_operation(
    session: Session,
    *,
    operation_id: int,
    idempotency_key: str,
    actor: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Post the exact opposite of an earlier operation: the only way to correct the ledger."""
    fingerprint = request_hash({"reverse": operation_id})
    replay = replayed_result(session, idempotency_key, fingerprint)
    if replay is not None:
        return replay
    original = session.get(StockOperation, operation_id)
    if original is None:
        raise NotFound(f"operation {operation_id} does not exist", field="operation_id")
    if original.reverses_operation_id is not None:
        raise InvalidInput(
            "a reversal cannot itself be reversed; post the operation again",
            field="operation_id",
        )
    already = session.scalar(
        select(StockOperation.id).where(StockOperation.reverses_operation_id == operation_id)
    )
    if already is not None:
        raise InvalidInput(
            f"operation {operation_id} was already reversed by operation {already}",
            field="operation_id",
        )
    moves = session.scalars(
        select(Move).where(Move.operation_id == operation_id).order_by(Move.id)
    ).all()
    operation = post(
        session,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        kind="reversal",
        reason=MoveReason.REVERSAL,
        actor=actor,
        lines=[MoveLine(m.lot_id, m.quantity, m.to_location_id, m.from_location_id) for m in moves],
        document_ref=original.document_ref,
        at=at,
        reverses_move_ids=[m.id for m in moves],
        reverses_operation_id=operation_id,
    )
    operation.result = {
        "operation_id": operation.id,
        "reverses_operation_id": operation_id,
        "moves": len(moves),
    }
    return {**operation.result, "replayed": False}
