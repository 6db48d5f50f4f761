"""Waves, picking, packing and labels (/api/v1).

POST /waves                          {warehouse, order_ids?, max_orders?} -> the wave
GET  /waves/<number>                 the wave's figures
GET  /waves/<number>/pick-list       its tasks in walking order
POST /waves/<number>/picks           a pick scan (Idempotency-Key)
POST /waves/<number>/shorts          a short pick (Idempotency-Key)
POST /waves/<number>/labels          every packed parcel's label, one PDF
POST /box-types, GET /box-types
POST /parcels                        a packed parcel (Idempotency-Key)
GET  /parcels/<number>
POST /parcels/<number>/label         the 4 x 6 label as PDF

Printing a label is a POST: the first print marks the parcel and its order labelled;
printing again answers the same PDF and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from flask import Response, current_app
from pydantic import Field

from wms.services import packing, waves
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import PDF, JsonObject, doc
from wms.web.schemas import (
    MAX_ROW_ID,
    Barcode,
    Code,
    Grams,
    Input,
    LotNumber,
    Millimetres,
    Quantity,
    chars,
    parse_json,
)

Reply = tuple[dict[str, Any], int] | dict[str, Any]
OrderId = Annotated[int, Field(strict=True, gt=0, le=MAX_ROW_ID)]


class WaveIn(Input):
    warehouse: chars(16)
    order_ids: Annotated[list[OrderId], Field(min_length=1, max_length=20_000)] | None = None
    max_orders: Annotated[int, Field(strict=True, gt=0, le=100_000)] | None = None


class PickIn(Input):
    bin_barcode: Barcode
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    order_id: OrderId | None = None


class ShortIn(Input):
    bin_barcode: Barcode
    product_code: Code
    lot_number: LotNumber
    found_quantity: Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
    order_id: OrderId | None = None


class BoxTypeIn(Input):
    code: chars(16)
    name: chars(80)
    length_mm: Millimetres
    width_mm: Millimetres
    height_mm: Millimetres
    tare_g: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]


class ItemIn(Input):
    product_code: Code
    lot_number: LotNumber | None = None
    quantity: Quantity


class PackIn(Input):
    order_ref: chars(40)
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]
    gross_weight_g: Grams
    box_code: chars(16)


def _wave(number: str) -> dict[str, Any]:
    with database().reading() as s:
        return waves.wave_summary(s, waves.wave_by_number(s, number))


def _pdf(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _tolerance() -> Decimal:
    settings = current_app.extensions["wms.settings"]
    return settings.pack_weight_tolerance_pct  # type: ignore[no-any-return]


@api.post("/waves")
@doc(json=WaveIn, created=JsonObject)
@allow(STAFF, PLANNER)
def create_wave() -> Reply:
    data, who = parse_json(WaveIn), actor()
    number = write(
        lambda s: (
            waves.create_wave(
                s,
                warehouse_code=data.warehouse,
                actor=who,
                order_ids=data.order_ids,
                max_orders=data.max_orders,
            ).number
        )
    )
    return _wave(number), 201


@api.get("/waves/<number>")
@doc()
@allow(STAFF, PLANNER)
def get_wave(number: str) -> Reply:
    return _wave(number)


@api.get("/waves/<number>/pick-list")
@doc()
@allow(STAFF, PLANNER)
def pick_list(number: str) -> Reply:
    with database().reading() as s:
        wave = waves.wave_by_number(s, number)
        return {"wave": waves.wave_summary(s, wave), "tasks": waves.pick_list(s, number)}


@api.post("/waves/<number>/picks")
@doc(json=PickIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def confirm_pick(number: str) -> Reply:
    data = parse_json(PickIn)
    scan = waves.PickScan(
        wave_number=number, idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    result = write(lambda s: waves.confirm_pick(s, scan))
    return result, 200 if result["replayed"] else 201


@api.post("/waves/<number>/shorts")
@doc(json=ShortIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def report_short(number: str) -> Reply:
    data = parse_json(ShortIn)
    scan = waves.ShortPick(
        wave_number=number, idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    result = write(lambda s: waves.report_short(s, scan))
    return result, 200 if result["replayed"] else 201


@api.post("/waves/<number>/labels")
@doc(ok=PDF)
@allow(STAFF)
def wave_labels(number: str) -> Response:
    who = actor()
    return _pdf(write(lambda s: packing.label_wave(s, number, who)), f"{number}-labels")


@api.post("/box-types")
@doc(json=BoxTypeIn, created=JsonObject)
@allow()
def create_box_type() -> Reply:
    data = parse_json(BoxTypeIn)
    body = write(lambda s: packing.box_view(packing.create_box_type(s, **data.model_dump())))
    return body, 201


@api.get("/box-types")
@doc()
@allow(STAFF, PLANNER)
def box_types() -> Reply:
    with database().reading() as s:
        return {"box_types": [packing.box_view(b) for b in packing.box_types(s)]}


@api.post("/parcels")
@doc(json=PackIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def pack() -> Reply:
    data = parse_json(PackIn)
    request_ = packing.PackInput(
        order_ref=data.order_ref,
        items=tuple(packing.ScannedItem(**item.model_dump()) for item in data.items),
        gross_weight_g=data.gross_weight_g,
        box_code=data.box_code,
        idempotency_key=idempotency_key(),
        actor=actor(),
    )
    tolerance = _tolerance()
    result = write(lambda s: packing.pack(s, request_, tolerance_pct=tolerance))
    return result, 200 if result["replayed"] else 201


@api.get("/parcels/<number>")
@doc()
@allow(STAFF, PLANNER)
def get_parcel(number: str) -> Reply:
    with database().reading() as s:
        return packing.parcel_view(s, packing.parcel_by_number(s, number))


@api.post("/parcels/<number>/label")
@doc(ok=PDF)
@allow(STAFF)
def parcel_label(number: str) -> Response:
    who = actor()
    return _pdf(write(lambda s: packing.label_parcel(s, number, who)), number)
