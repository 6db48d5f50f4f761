"""Display-only stock loans: request, approve, scan out, scan back, extend; showroom
views, notices, display tags and the customs paperwork."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import Response, request
from pydantic import Field

from customs.display_documents import render_display_documents
from labels.pdf import render_pdf
from wms.models import ItemCondition
from wms.services import loan_queries, loans
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import PDF, JsonObject, doc
from wms.web.schemas import Barcode, Code, Input, LotNumber, Quantity, chars, parse_json

Reply = tuple[dict[str, Any], int] | dict[str, Any]


class LoanItemIn(Input):
    sku: Code
    lot_number: LotNumber
    quantity: Quantity
    declaration_number: chars(32) | None = None


class LoanIn(Input):
    showroom_barcode: Barcode
    due_date: date
    items: Annotated[list[LoanItemIn], Field(min_length=1, max_length=200)]


class ApprovalIn(Input):
    guarantee_reference: chars(64)
    guarantee_expires: date


class ExtensionIn(Input):
    new_due_date: date
    reason: chars(400)


class ScanOutIn(Input):
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    from_barcode: Barcode


class ScanReturnIn(Input):
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    condition: ItemCondition
    to_barcode: Barcode | None = None
    note: chars(400) | None = None


def _summary(number: str) -> dict[str, Any]:
    with database().reading() as s:
        return loan_queries.loan_summary(loans.loan_by_number(s, number))


@api.post("/loans")
@doc(json=LoanIn, created=JsonObject)
@allow(PLANNER)
def request_loan() -> Reply:
    data = parse_json(LoanIn)
    who = actor()
    request_ = loans.LoanRequest(
        showroom_barcode=data.showroom_barcode,
        due_date=data.due_date,
        items=tuple(loans.LoanItemInput(**item.model_dump()) for item in data.items),
        requested_by=who,
    )
    number = write(lambda s: loans.request_loan(s, request_).number)
    return _summary(number), 201


@api.get("/loans/<number>")
@doc()
@allow(STAFF, PLANNER)
def get_loan(number: str) -> Reply:
    with database().reading() as s:
        loan = loans.loan_by_number(s, number)
        return {**loan_queries.loan_summary(loan), "events": loan_queries.loan_events(s, loan)}


@api.post("/loans/<number>/approval")
@doc(json=ApprovalIn)
@allow(PLANNER)
def approve_loan(number: str) -> Reply:
    data, who = parse_json(ApprovalIn), actor()
    write(
        lambda s: loans.approve_loan(
            s,
            number,
            approved_by=who,
            guarantee_reference=data.guarantee_reference,
            guarantee_expires=data.guarantee_expires,
        )
    )
    return _summary(number)


@api.post("/loans/<number>/extension")
@doc(json=ExtensionIn)
@allow(PLANNER)
def extend_loan(number: str) -> Reply:
    data, who = parse_json(ExtensionIn), actor()
    write(
        lambda s: loans.extend_due_date(
            s, number, new_due_date=data.new_due_date, reason=data.reason, actor=who
        )
    )
    return _summary(number)


@api.post("/loans/<number>/out")
@doc(json=ScanOutIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def scan_out(number: str) -> Reply:
    data = parse_json(ScanOutIn)
    scan = loans.ScanOut(
        loan_number=number, idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    result = write(lambda s: loans.scan_out(s, scan))
    return result, 200 if result["replayed"] else 201


@api.post("/loans/<number>/returns")
@doc(json=ScanReturnIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def scan_return(number: str) -> Reply:
    data = parse_json(ScanReturnIn)
    scan = loans.ScanReturn(
        loan_number=number, idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    result = write(lambda s: loans.scan_return(s, scan))
    return result, 200 if result["replayed"] else 201


@api.get("/loans/<number>/documents/<which>.pdf")
@doc(ok=PDF)
@allow(STAFF, PLANNER)
def loan_documents(number: str, which: str) -> Response:
    with database().reading() as s:
        pdf = render_display_documents(loan_queries.movement(s, number, which))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{number}-{which}.pdf"'
    return response


@api.get("/loans/<number>/tags.pdf")
@doc(ok=PDF)
@allow(STAFF, PLANNER)
def loan_tags(number: str) -> Response:
    with database().reading() as s:
        tags = loan_queries.display_tags(s, number, request.host_url)
    response = Response(render_pdf(tags), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{number}-tags.pdf"'
    response.headers["X-Label-Count"] = str(len(tags))
    return response


@api.get("/showrooms/<barcode>")
@doc()
@allow(STAFF, PLANNER)
def showroom(barcode: str) -> Reply:
    with database().reading() as s:
        return loan_queries.showroom_view(s, barcode)


@api.get("/notices")
@doc()
@allow(PLANNER)
def notices() -> Reply:
    with database().reading() as s:
        return {"notices": loan_queries.open_notices(s)}


@api.get("/showrooms/traffic")
@doc()
@allow(PLANNER)
def traffic() -> Reply:
    with database().reading() as s:
        return {"traffic": loan_queries.tag_traffic(s)}
