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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wms.models import (
    BOOK_COLUMNS,
    AccountBookLine,
    Location,
    LocationKind,
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


# pg_advisory_xact_lock(namespace, key): the two-int form, apart from the scheduler's
# single-bigint advisory lock.
_TWIN_LOCK_NAMESPACE = 0x574D53  # "WMS"


def _queue_twins(session: Session, key: str) -> None:
    """Requests with one key queue up here until the earlier one's transaction ends, so
    a scanner's retry of a request still running finds its answer instead of being
    refused on the state it left.  PostgreSQL only: SQLite's writers are serialised
    from BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:key))"),
            {"namespace": _TWIN_LOCK_NAMESPACE, "key": key},
        )


def replayed_result(session: Session, key: str, fingerprint: str) -> dict[str, Any] | None:
    """The stored answer of an earlier operation with this key, or None if there is none."""
    key = check_key(key)
    _queue_twins(session, key)
    row = session.execute(
        select(StockOperation.request_hash, StockOperation.result).where(
            StockOperation.idempotency_key == key
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


def check_replay(session: Session, kind: str, request: Any) -> tuple[str, dict[str, Any] | None]:
    """The fingerprint of a scan-sized request (a dataclass with an ``idempotency_key``)
    and, when its key was used before, the answer given then."""
    fingerprint = request_hash({kind: asdict(request) | {"idempotency_key": None}})
    return fingerprint, replayed_result(session, request.idempotency_key, fingerprint)


def record_answer(
    session: Session,
    key: str,
    kind: str,
    fingerprint: str,
    actor: str,
    at: datetime,
    result: dict[str, Any],
) -> StockOperation:
    """Keep the answer of an operation that posted no stock (a load scan, a pack), so
    that a retry with the same key answers the same and does nothing twice."""
    operation = StockOperation(
        idempotency_key=check_key(key),
        kind=kind,
        request_hash=fingerprint,
        actor=actor,
        created_at=at,
        result=result,
    )
    session.add(operation)
    session.flush()
    return operation


def places(
    session: Session, location_ids: set[int], *, active_only: bool = True
) -> dict[int, Place]:
    rows = (
        session.connection()
        .execute(
            select(
                Location.id,
                Location.kind,
                Location.is_bonded,
                Location.is_sellable,
                Location.active,
            ).where(Location.id.in_(location_ids))
        )
        .all()
    )
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
    _check_places(lines, lots, where, reason)

    conn = session.connection()
    _apply_to_quants(session, conn, lines, lots, where)
    _insert_moves(conn, operation, lines, lots, reason, document_ref, actor, at, reverses_move_ids)
    _apply_to_book(conn, lines, lots, where, reversal=reason is MoveReason.REVERSAL)
    return operation


def _check_places(
    lines: Sequence[MoveLine],
    lots: dict[int, tuple[int, int | None]],
    where: dict[int, Place],
    reason: MoveReason,
) -> None:
    """The rules about places, checked once per (from, to) pair of the batch."""
    first: dict[tuple[int, int], int] = {}
    for i, line in enumerate(lines):
        first.setdefault((line.from_location_id, line.to_location_id), i)
    for (src_id, dst_id), i in first.items():
        for name, location_id in (("from_location_id", src_id), ("to_location_id", dst_id)):
            if location_id not in where:
                raise NotFound(
                    f"location {location_id} does not exist or is inactive",
                    field=f"lines[{i}].{name}",
                )
        src, dst = where[src_id], where[dst_id]
        _check_showroom_rule(src, dst, reason, i)
        if dst.in_book and not src.in_book:
            for j, line in enumerate(lines):
                pair = (line.from_location_id, line.to_location_id)
                if pair == (src_id, dst_id) and lots[line.lot_id][1] is None:
                    raise InvalidInput(
                        "this lot is not under an entry declaration, so it cannot enter "
                        "the bonded zone",
                        field=f"lines[{j}].lot_id",
                    )


def _check_showroom_rule(src: Place, dst: Place, reason: MoveReason, index: int) -> None:
    """Display-loan stock moves only with its loan: it reaches a showroom by a loan-out
    and leaves it by a loan return or a write-off, never by a release, a transfer or a
    reversal.  This is what keeps loaned goods from ever being sold or shipped."""
    if dst.is_showroom and not (
        reason is MoveReason.LOAN_OUT and src.in_book and src.kind is LocationKind.BIN
    ):
        raise InvalidInput(
            "stock reaches a showroom only on a display loan, from a bonded bin",
            field=f"lines[{index}].to_location_id",
        )
    if src.is_showroom and not (
        (reason is MoveReason.LOAN_RETURN and dst.in_book and not dst.is_showroom)
        or (reason is MoveReason.WRITE_OFF and dst.kind is LocationKind.SCRAP)
    ):
        raise InvalidInput(
            "stock on display loan leaves its showroom only by a loan return or a write-off",
            field=f"lines[{index}].from_location_id",
        )


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
    rows = (
        session.connection()
        .execute(select(Lot.id, Lot.product_id, Lot.entry_line_id).where(Lot.id.in_(lot_ids)))
        .all()
    )
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

    # Only what a physical place gives up needs checking.  Those rows are locked in
    # id order (SELECT ... FOR UPDATE) so that concurrent posters queue rather than
    # deadlock and the check holds until commit; SQLite is already serialised by
    # BEGIN IMMEDIATE.  Additions need no read: the upsert below adds atomically.
    decreasing = [
        key
        for key, delta in on_hand.items()
        if where[key[1]].kind.is_physical and (delta < 0 or reserved.get(key))
    ]
    if decreasing:
        stmt = select(
            Quant.lot_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity
        ).order_by(Quant.id)
        if conn.dialect.name == "postgresql":
            stmt = stmt.where(tuple_(Quant.lot_id, Quant.location_id).in_(decreasing))
            stmt = stmt.with_for_update()
        else:
            # Nothing to lock; two plain IN lists are much cheaper than row values.
            stmt = stmt.where(
                Quant.lot_id.in_({k[0] for k in decreasing}),
                Quant.location_id.in_({k[1] for k in decreasing}),
            )
        current = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(stmt)}
        for key in decreasing:
            qty, res = current.get(key, (0, 0))
            take_res = reserved.get(key, 0)
            new_qty, new_res = qty + on_hand[key], res + take_res
            if new_res < 0 or new_qty < new_res:
                _refuse_shortage(session, key, first_line.get(key, 0), qty, res, take_res)

    # Decreases go to rows known to exist (checked above); SQLite checks an upsert's
    # candidate row before resolving the conflict, so they cannot share the upsert.
    checked = set(decreasing)
    adjust = [
        (on_hand[key], reserved.get(key, 0), *key)
        for key in sorted(checked)
        if on_hand[key] or reserved.get(key)
    ]
    if adjust:
        _executemany(conn, "quant_adjust", adjust)
    add = [
        (lots[key[0]][0], *key, on_hand[key], 0, not where[key[1]].kind.is_physical)
        for key in sorted(on_hand.keys() - checked)  # a fixed order: fewer lock waits
        if on_hand[key]
    ]
    if add:
        _executemany(conn, "quant_upsert", add)


def _quant_adjust(_dialect_name: str) -> Any:
    table = Quant.__table__
    return (
        update(table)
        .where(table.c.lot_id == bindparam("l"), table.c.location_id == bindparam("loc"))
        .values(
            quantity=table.c.quantity + bindparam("dq"),
            reserved_quantity=table.c.reserved_quantity + bindparam("dr"),
        )
    )


def _quant_upsert(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT add: one statement creates or adjusts a quant."""
    table = Quant.__table__
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table).values(
        product_id=bindparam("p"),
        lot_id=bindparam("l"),
        location_id=bindparam("loc"),
        quantity=bindparam("dq"),
        reserved_quantity=bindparam("dr"),
        negative_allowed=bindparam("neg"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.lot_id, table.c.location_id],
        set_={
            "quantity": table.c.quantity + stmt.excluded.quantity,
        },
    )


def _move_insert(_dialect_name: str) -> Any:
    table = Move.__table__
    return insert(table).values(
        operation_id=bindparam("op"),
        product_id=bindparam("p"),
        lot_id=bindparam("l"),
        quantity=bindparam("q"),
        from_location_id=bindparam("src"),
        to_location_id=bindparam("dst"),
        reason=bindparam("reason"),
        document_ref=bindparam("doc"),
        actor=bindparam("actor"),
        created_at=bindparam("at"),
        reverses_move_id=bindparam("rev"),
    )


def _book_update(_dialect_name: str) -> Any:
    table = AccountBookLine.__table__
    return (
        update(table)
        .where(table.c.entry_line_id == bindparam("line"))
        .values({c: table.c[c] + bindparam(c) for c in BOOK_COLUMNS})
    )


_STATEMENTS = {
    "quant_adjust": _quant_adjust,
    "quant_upsert": _quant_upsert,
    "move_insert": _move_insert,
    "book_update": _book_update,
}
_PARAM_ORDER = {
    "quant_adjust": ("dq", "dr", "l", "loc"),
    "quant_upsert": ("p", "l", "loc", "dq", "dr", "neg"),
    "move_insert": ("op", "p", "l", "q", "src", "dst", "reason", "doc", "actor", "at", "rev"),
    "book_update": (*BOOK_COLUMNS, "line"),
}
_compiled: dict[tuple[str, str], tuple[str, tuple[int, ...] | None, bool]] = {}


def _executemany(conn: Connection, name: str, rows: list[tuple[Any, ...]]) -> int:
    """executemany of a hot statement, compiled once per dialect.

    These three statements carry every move; going straight to the driver with
    ready-made tuples skips SQLAlchemy's per-row parameter processing, which was
    most of the posting time.  Values must already be what the driver takes.
    """
    dialect = conn.dialect
    cached = _compiled.get((dialect.name, name))
    if cached is None:
        compiled = _STATEMENTS[name](dialect.name).compile(dialect=dialect)
        order = _PARAM_ORDER[name]
        positions = compiled.positiontup
        # None: the tuples are already in the driver's order, or the driver takes dicts.
        index = (
            None
            if positions is None or tuple(positions) == order
            else tuple(order.index(p) for p in positions)
        )
        cached = (compiled.string, index, positions is None)
        _compiled[(dialect.name, name)] = cached
    sql, index, named = cached
    params: list[Any] = rows
    if named:
        order = _PARAM_ORDER[name]
        params = [dict(zip(order, row, strict=True)) for row in rows]
    elif index is not None:
        params = [tuple(row[i] for i in index) for row in rows]
    return conn.exec_driver_sql(sql, params).rowcount


def _refuse_shortage(
    session: Session, key: tuple[int, int], line_index: int, qty: int, res: int, take_res: int
) -> None:
    lot_id, location_id = key
    sku, lot_number = session.execute(
        select(Product.sku, Lot.lot_number)
        .join(Lot, Lot.product_id == Product.id)
        .where(Lot.id == lot_id)
    ).one()
    location = session.scalar(select(Location.barcode).where(Location.id == location_id))
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
    # Bound once for the whole batch, through the column's own type (UTC, SQLite text).
    created_at = Move.__table__.c.created_at.type
    stamp = created_at.dialect_impl(conn.dialect).bind_processor(conn.dialect)(at)
    _executemany(
        conn,
        "move_insert",
        [
            (
                operation.id,
                lots[line.lot_id][0],
                line.lot_id,
                line.quantity,
                line.from_location_id,
                line.to_location_id,
                reason.value,
                document_ref,
                actor,
                stamp,
                reversed_id,
            )
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
    moved: dict[tuple[int, int, int], int] = defaultdict(int)
    for line in lines:
        entry_line_id = lots[line.lot_id][1]
        if entry_line_id is not None:
            moved[(entry_line_id, line.from_location_id, line.to_location_id)] += line.quantity
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BOOK_COLUMNS, 0))
    per_unit: dict[tuple[int, int], dict[str, int]] = {}
    for (entry_line_id, src, dst), quantity in moved.items():
        if (src, dst) not in per_unit:
            per_unit[(src, dst)] = book_delta(where[src], where[dst], 1, reversal=reversal)
        for column, n in per_unit[(src, dst)].items():
            totals[entry_line_id][column] += n * quantity
    rows = [
        (*(v[c] for c in BOOK_COLUMNS), line_id)
        for line_id, v in sorted(totals.items())
        if any(v.values())
    ]
    if rows and _executemany(conn, "book_update", rows) != len(rows):
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
