"""Stock (now and as of an instant), the move ledger, reversals and the account book."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import aliased

from wms.models import Location, Lot, Move, Product, StockOperation
from wms.services import account_book, catalog, ledger, stock
from wms.services.errors import NotFound
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import (
    AccountBookOut,
    AccountBookQuery,
    JsonObject,
    MoveList,
    OperationOut,
    ReconciliationOut,
    StockOut,
    doc,
)
from wms.web.schemas import MAX_ID, MovesQuery, StockQuery, parse_query

Reply = tuple[dict[str, Any], int] | dict[str, Any]


@api.get("/stock")
@doc(query=StockQuery, ok=StockOut)
@allow(STAFF, PLANNER)
def get_stock() -> Reply:
    query = parse_query(StockQuery)
    with database().reading() as s:
        where = stock.StockFilter(
            product_id=catalog.product_by_code(s, query.sku, field="sku").id if query.sku else None,
            location_id=(
                catalog.location_by_barcode(s, query.location, field="location").id
                if query.location
                else None
            ),
            bonded=query.bonded,
            sellable=query.sellable,
            include_virtual=query.include_virtual,
            lot_number=query.lot,
        )
        rows = stock.on_hand(s, where, query.as_of)
        return {
            "as_of": query.as_of.isoformat() if query.as_of else None,
            "total": sum(r.quantity for r in rows),
            "rows": [r.as_dict() for r in rows],
        }


@api.get("/moves")
@doc(query=MovesQuery, ok=MoveList)
@allow(STAFF, PLANNER)
def list_moves() -> Reply:
    query = parse_query(MovesQuery)
    src, dst = aliased(Location), aliased(Location)
    stmt = (
        select(Move, Product.sku, Lot.lot_number, src.barcode, dst.barcode)
        .join(Product, Product.id == Move.product_id)
        .join(Lot, Lot.id == Move.lot_id)
        .join(src, src.id == Move.from_location_id)
        .join(dst, dst.id == Move.to_location_id)
        .where(Move.id > query.after_id)
        .order_by(Move.id)
        .limit(query.limit)
    )
    with database().reading() as s:
        if query.sku:
            stmt = stmt.where(
                Move.product_id == catalog.product_by_code(s, query.sku, field="sku").id
            )
        if query.location:
            loc = catalog.location_by_barcode(s, query.location, field="location")
            stmt = stmt.where((Move.from_location_id == loc.id) | (Move.to_location_id == loc.id))
        if query.operation_id:
            stmt = stmt.where(Move.operation_id == query.operation_id)
        moves = [
            {
                "id": m.id,
                "operation_id": m.operation_id,
                "sku": sku,
                "lot_number": lot_number,
                "quantity": m.quantity,
                "from": src_code,
                "to": dst_code,
                "reason": m.reason.value,
                "document_ref": m.document_ref,
                "actor": m.actor,
                "created_at": m.created_at.isoformat(),
                "reverses_move_id": m.reverses_move_id,
            }
            for m, sku, lot_number, src_code, dst_code in s.execute(stmt)
        ]
        return {"moves": moves, "next_after_id": moves[-1]["id"] if moves else None}


@api.get("/operations/<int:operation_id>")
@doc(ok=OperationOut)
@allow(STAFF, PLANNER)
def get_operation(operation_id: int) -> Reply:
    with database().reading() as s:
        op = s.get(StockOperation, operation_id) if operation_id <= MAX_ID else None
        if op is None:
            raise NotFound(f"operation {operation_id} does not exist", field="operation_id")
        return {
            "id": op.id,
            "kind": op.kind,
            "document_ref": op.document_ref,
            "actor": op.actor,
            "created_at": op.created_at.isoformat(),
            "reverses_operation_id": op.reverses_operation_id,
            "result": op.result,
        }


@api.post("/operations/<int:operation_id>/reversal")
@doc(created=JsonObject, idempotent=True)
@allow()
def reverse(operation_id: int) -> Reply:
    key, who = idempotency_key(), actor()
    if operation_id > MAX_ID:
        raise NotFound(f"operation {operation_id} does not exist", field="operation_id")
    result = write(
        lambda s: ledger.reverse_operation(
            s, operation_id=operation_id, idempotency_key=key, actor=who
        )
    )
    return result, 200 if result["replayed"] else 201


@api.get("/account-book")
@doc(query=AccountBookQuery, ok=AccountBookOut)
@allow(PLANNER)
def get_account_book() -> Reply:
    with database().reading() as s:
        rows = account_book.account_book(s, request.args.get("declaration") or None)
        return {"lines": [r.as_dict() for r in rows]}


@api.get("/account-book/reconciliation")
@doc(ok=ReconciliationOut)
@allow(PLANNER)
def get_reconciliation() -> Reply:
    with database().reading() as s:
        mismatches = account_book.reconcile(s)
        return {"reconciled": not mismatches, "mismatches": [m.as_dict() for m in mismatches]}
