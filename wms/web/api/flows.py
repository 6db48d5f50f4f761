"""The other flows beside bonded import: direct mail (9610) parcels, duty-paid domestic
receipts and export master cartons."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import Response
from pydantic import Field
from sqlalchemy.orm import Session

from wms.models import Flow
from wms.services import direct_mail, domestic, export, order_import
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, idempotency_key, write
from wms.web.openapi import PDF, JsonObject, doc
from wms.web.schemas import (
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
CubicMillimetres = Annotated[int, Field(strict=True, gt=0, le=10**12)]


class DirectMailParcelIn(order_import.OrderIn):
    """The parcel as scanned (its foreign waybill, weight and size) with its order, in
    the shape every order takes (services.order_import: the rules are written once)."""

    flow: Literal[Flow.DIRECT_MAIL] = Flow.DIRECT_MAIL
    inbound_waybill: chars(40)
    gross_weight_g: Grams
    length_mm: Millimetres
    width_mm: Millimetres
    height_mm: Millimetres

    def arrival(self) -> direct_mail.DirectMailArrival:
        return direct_mail.DirectMailArrival(
            order=order_import.to_input(self),
            inbound_waybill=self.inbound_waybill,
            gross_weight_g=self.gross_weight_g,
            length_mm=self.length_mm,
            width_mm=self.width_mm,
            height_mm=self.height_mm,
        )


class SortIn(Input):
    courier_code: chars(32)
    tracking_number: chars(40)


class DutyPaidReceiptIn(Input):
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    bin_barcode: Barcode
    reference: chars(64)
    expiry_date: date | None = None
    production_date: date | None = None


class ConsolidationIn(Input):
    warehouse: chars(16)
    max_weight_g: Grams
    max_volume_mm3: CubicMillimetres | None = None


@api.post("/direct-mail/parcels")
@doc(json=DirectMailParcelIn, ok=JsonObject, created=JsonObject)
@allow(STAFF)
def register_parcel() -> Reply:
    data, who = parse_json(DirectMailParcelIn), actor()
    arrival = data.arrival()

    def run(s: Session) -> tuple[dict[str, Any], bool]:
        done = direct_mail.register_parcel(s, arrival, actor=who)
        return direct_mail.parcel_view(done.parcel), done.created

    view, created = write(run)
    return view, 201 if created else 200


@api.post("/direct-mail/parcels/<number>/sort")
@doc(json=SortIn)
@allow(STAFF)
def sort_parcel(number: str) -> Reply:
    data, who = parse_json(SortIn), actor()
    return write(
        lambda s: direct_mail.parcel_view(
            direct_mail.sort_to_courier(
                s,
                number,
                courier_code=data.courier_code,
                tracking_number=data.tracking_number,
                actor=who,
            )
        )
    )


@api.post("/direct-mail/parcels/<number>/relabel")
@doc(ok=PDF)
@allow(STAFF)
def relabel_parcel(number: str) -> Response:
    who = actor()
    pdf = write(lambda s: direct_mail.relabel(s, number, actor=who))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{number}-label.pdf"'
    return response


@api.post("/stock/duty-paid-receipts")
@doc(json=DutyPaidReceiptIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def receive_duty_paid() -> Reply:
    data = parse_json(DutyPaidReceiptIn)
    receipt = domestic.DutyPaidReceipt(
        idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    result = write(lambda s: domestic.receive_duty_paid(s, receipt))
    return result, 200 if result["replayed"] else 201


@api.post("/export/consolidations")
@doc(json=ConsolidationIn, created=JsonObject, idempotent=True)
@allow(STAFF, PLANNER)
def consolidate_export() -> Reply:
    data = parse_json(ConsolidationIn)
    request_ = export.ConsolidationRequest(
        warehouse_code=data.warehouse,
        limits=export.CartonLimits(data.max_weight_g, data.max_volume_mm3),
        idempotency_key=idempotency_key(),
        actor=actor(),
    )
    result = write(lambda s: export.consolidate_export(s, request_))
    return result, 200 if result["replayed"] else 201
