"""Release batches (gate passes) and consumer returns."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from wms.services import releases, returns
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import JsonObject, ReleaseBatchOut, doc
from wms.web.schemas import MAX_ROW_ID, Barcode, Code, Input, LotNumber, chars, parse_json

Reply = tuple[dict[str, Any], int] | dict[str, Any]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]


class BatchIn(Input):
    warehouse: chars(16)
    vehicle_plate: chars(16)
    seal_number: chars(32) | None = None


class ParcelScanIn(Input):
    parcel_code: chars(40)


class SealIn(Input):
    seal_number: chars(32)


class ReturnItemIn(Input):
    product_code: Code
    quantity: Annotated[int, Field(strict=True, gt=0, le=100_000)]


class ReturnIn(Input):
    order_id: Annotated[int, Field(strict=True, gt=0, le=MAX_ROW_ID)]
    items: Annotated[list[ReturnItemIn], Field(min_length=1, max_length=200)]
    applied_at: AwareDatetime | None = None


class ReturnReceiptIn(Input):
    dock_barcode: Barcode


class InspectedItemIn(Input):
    product_code: Code
    lot_number: LotNumber
    good: Count
    scrap: Count
    bin_barcode: Barcode | None = None


class InspectionIn(Input):
    items: Annotated[list[InspectedItemIn], Field(min_length=1, max_length=200)]


def _batch(number: str) -> dict[str, Any]:
    with database().reading() as s:
        return releases.batch_view(s, releases.batch_by_number(s, number))


@api.post("/release-batches")
@doc(json=BatchIn, created=ReleaseBatchOut)
@allow(STAFF, PLANNER)
def create_batch() -> Reply:
    data, who = parse_json(BatchIn), actor()
    number = write(
        lambda s: (
            releases.create_batch(
                s,
                warehouse_code=data.warehouse,
                vehicle_plate=data.vehicle_plate,
                seal_number=data.seal_number,
                actor=who,
            ).number
        )
    )
    return _batch(number), 201


@api.get("/release-batches/<number>")
@doc(ok=ReleaseBatchOut)
@allow(STAFF, PLANNER)
def get_batch(number: str) -> Reply:
    return _batch(number)


@api.post("/release-batches/<number>/parcels")
@doc(json=ParcelScanIn, idempotent=True)
@allow(STAFF)
def load_parcel(number: str) -> Reply:
    data = parse_json(ParcelScanIn)
    scan = releases.LoadScan(number, data.parcel_code, idempotency_key(), actor())
    return write(lambda s: releases.load_parcel(s, scan))


@api.delete("/release-batches/<number>/parcels/<parcel_code>")
@doc()
@allow(STAFF)
def unload_parcel(number: str, parcel_code: str) -> Reply:
    who = actor()
    return write(lambda s: releases.unload_parcel(s, number, parcel_code, actor=who))


@api.post("/release-batches/<number>/close")
@doc(json=SealIn, ok=ReleaseBatchOut)
@allow(STAFF)
def close_batch(number: str) -> Reply:
    data, who = parse_json(SealIn), actor()
    write(lambda s: releases.close_batch(s, number, seal_number=data.seal_number, actor=who))
    return _batch(number)


@api.post("/release-batches/<number>/reopen")
@doc(ok=ReleaseBatchOut)
@allow(STAFF)
def reopen_batch(number: str) -> Reply:
    who = actor()
    write(lambda s: releases.reopen_batch(s, number, actor=who))
    return _batch(number)


@api.post("/release-batches/<number>/gate-out")
@doc(idempotent=True)
@allow(STAFF)
def gate_out(number: str) -> Reply:
    request_ = releases.GateOut(number, idempotency_key(), actor())
    return write(lambda s: releases.gate_out(s, request_))


@api.post("/release-batches/<number>/hand-over")
@doc()
@allow(STAFF)
def hand_over_batch(number: str) -> Reply:
    who = actor()
    return write(lambda s: releases.hand_over(s, number, actor=who))


@api.post("/returns")
@doc(json=ReturnIn, created=JsonObject)
@allow(PLANNER)
def apply_for_return() -> Reply:
    data, who = parse_json(ReturnIn), actor()
    application = returns.ReturnApplication(
        order_id=data.order_id,
        items=tuple(returns.ReturnItem(i.product_code, i.quantity) for i in data.items),
        actor=who,
        applied_at=data.applied_at,
    )
    number = write(lambda s: returns.apply_for_return(s, application).number)
    return _return(number), 201


@api.get("/returns/<number>")
@doc()
@allow(STAFF, PLANNER)
def get_return(number: str) -> Reply:
    return _return(number)


@api.post("/returns/<number>/receipt")
@doc(json=ReturnReceiptIn, idempotent=True)
@allow(STAFF)
def receive_return(number: str) -> Reply:
    data = parse_json(ReturnReceiptIn)
    receipt = returns.ReturnReceipt(number, data.dock_barcode, idempotency_key(), actor())
    return write(lambda s: returns.receive_return(s, receipt))


@api.post("/returns/<number>/inspection")
@doc(json=InspectionIn, idempotent=True)
@allow(STAFF)
def inspect_return(number: str) -> Reply:
    data = parse_json(InspectionIn)
    inspection = returns.ReturnInspection(
        number,
        tuple(returns.InspectedItem(**item.model_dump()) for item in data.items),
        idempotency_key(),
        actor(),
    )
    return write(lambda s: returns.inspect_return(s, inspection))


def _return(number: str) -> dict[str, Any]:
    with database().reading() as s:
        return returns.return_view(returns.return_by_number(s, number))
