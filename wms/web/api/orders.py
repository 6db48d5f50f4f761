"""Consumer orders: received from marketplaces (one, or a batch), listed, and moved
through their flow.  Every status change goes through a service; personal data only
ever leaves masked."""

from __future__ import annotations

from typing import Annotated, Any

from flask import request
from pydantic import Field

from wms.models import Flow, OrderStatus
from wms.services import allocation, cancellation, order_customs, order_import, order_queries
from wms.services import orders as order_service
from wms.services.errors import InvalidInput, NotFound
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import OrderOut, doc
from wms.web.schemas import MAX_ROW_ID, Code, Input, chars, parse_json, parse_query

Reply = tuple[dict[str, Any], int] | dict[str, Any]


class OrdersQuery(Input):
    status: OrderStatus | None = None
    flow: Flow | None = None
    channel: Code | None = None
    after_id: Annotated[int, Field(ge=0, le=MAX_ROW_ID)] = 0
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    limit: Annotated[int, Field(gt=0, le=500)] = 100


class BatchIn(Input):
    # Each order is checked on its own: one bad order is refused, the others go on.
    orders: Annotated[list[Any], Field(min_length=1, max_length=order_import.MAX_BATCH)]


class PlanIn(Input):
    courier_code: chars(32)
    tracking_number: chars(40)


class ClearIn(Input):
    note: chars(400) | None = None
    customs_number: chars(40) | None = None


class ReasonIn(Input):
    reason: chars(400)


def _order_body() -> order_import.OrderIn:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    return order_import.OrderIn.model_validate(body)


def _optional_body(model: type[ClearIn]) -> ClearIn:
    # An empty POST is fine where every field is optional.
    if not request.get_data():
        return model()
    return parse_json(model)


def _id(order_id: int) -> int:
    if order_id > MAX_ROW_ID:
        raise NotFound(f"order {order_id} does not exist", field="order_id")
    return order_id


def _view(order_id: int) -> dict[str, Any]:
    with database().reading() as s:
        return order_service.public_view(order_service.order_by_id(s, order_id))


@api.post("/orders")
@doc(json=order_import.OrderIn, ok=OrderOut, created=OrderOut)
@allow(PLANNER)
def receive_order() -> Reply:
    data = order_import.to_input(_order_body())
    received = order_import.receive_one(database(), data, actor=actor())
    return _view(received.order.id), 201 if received.created else 200


@api.post("/orders/batch")
@doc(json=BatchIn)
@allow(PLANNER)
def receive_batch() -> Reply:
    batch = parse_json(BatchIn)
    incoming = [order_import.validate(raw, (i,)) for i, raw in enumerate(batch.orders)]
    outcomes = order_import.receive_each(database(), incoming, actor=actor())
    results = [{"index": o.incoming.where[0], **o.as_dict()} for o in outcomes]
    return {
        "accepted": sum(1 for o in outcomes if o.status != "refused"),
        "refused": sum(1 for o in outcomes if o.status == "refused"),
        "results": results,
    }


@api.get("/orders")
@doc(query=OrdersQuery)
@allow(STAFF, PLANNER)
def list_orders() -> Reply:
    query = parse_query(OrdersQuery)
    with database().reading() as s:
        return order_queries.list_orders(s, order_queries.OrderFilter(**query.model_dump()))


@api.get("/orders/<int:order_id>")
@doc()
@allow(STAFF, PLANNER)
def get_order(order_id: int) -> Reply:
    with database().reading() as s:
        return order_queries.order_detail(s, _id(order_id))


@api.post("/orders/<int:order_id>/allocate")
@doc()
@allow(PLANNER)
def allocate(order_id: int) -> Reply:
    who = actor()
    outcome = write(lambda s: allocation.allocate(s, _id(order_id), actor=who))
    return {"allocation": outcome.as_dict(), "order": _view(order_id)}


@api.post("/orders/<int:order_id>/plan")
@doc(json=PlanIn, ok=OrderOut)
@allow(PLANNER)
def plan(order_id: int) -> Reply:
    data, who = parse_json(PlanIn), actor()

    def run(s: Any) -> None:
        order = order_service.order_by_id(s, _id(order_id), lock=True)
        order_service.plan(
            s,
            order,
            courier_code=data.courier_code,
            tracking_number=data.tracking_number,
            actor=who,
        )

    write(run)
    return _view(order_id)


@api.post("/orders/<int:order_id>/declare")
@doc(ok=OrderOut)
@allow(PLANNER)
def declare(order_id: int) -> Reply:
    who = actor()
    write(lambda s: order_customs.declare(s, _id(order_id), actor=who))
    return _view(order_id)


@api.post("/orders/<int:order_id>/clear")
@doc(json=ClearIn, body_required=False, ok=OrderOut)
@allow(PLANNER)
def clear(order_id: int) -> Reply:
    data, who = _optional_body(ClearIn), actor()
    write(
        lambda s: order_customs.clear(
            s, _id(order_id), actor=who, note=data.note, customs_number=data.customs_number
        )
    )
    return _view(order_id)


@api.post("/orders/<int:order_id>/reject")
@doc(json=ReasonIn, ok=OrderOut)
@allow(PLANNER)
def reject(order_id: int) -> Reply:
    data, who = parse_json(ReasonIn), actor()
    write(lambda s: order_customs.reject(s, _id(order_id), reason=data.reason, actor=who))
    return _view(order_id)


@api.post("/orders/<int:order_id>/hold")
@doc(json=ReasonIn, ok=OrderOut)
@allow(PLANNER)
def hold(order_id: int) -> Reply:
    data, who = parse_json(ReasonIn), actor()
    write(lambda s: order_customs.hold_for_customs(s, _id(order_id), reason=data.reason, actor=who))
    return _view(order_id)


@api.post("/orders/<int:order_id>/cancel")
@doc(json=ReasonIn, idempotent=True)
@allow(PLANNER)
def cancel(order_id: int) -> Reply:
    data, who, key = parse_json(ReasonIn), actor(), idempotency_key()
    result = write(
        lambda s: cancellation.cancel(
            s, _id(order_id), reason=data.reason, actor=who, idempotency_key=key
        )
    )
    return {**result, "order": _view(order_id)}


@api.post("/orders/<int:order_id>/hand-over")
@doc(ok=OrderOut)
@allow(STAFF)
def hand_over(order_id: int) -> Reply:
    who = actor()
    write(lambda s: order_customs.hand_over(s, _id(order_id), actor=who))
    return _view(order_id)
