"""The customs API: declarations (import and export lists) and their documents, for
integrations and customs brokers, authorised by bearer tokens.

Routes live under /api/v1/customs/declarations because /api/v1/declarations is taken by
the entry declarations of inbound.  A broker's token sees the declarations of the
merchants it holds a mandate for; anything else answers 404 exactly as a number that
does not exist.  A token without a broker (an internal integration) sees everything,
and alone gets the warehouse's own papers (release note, export documents).

Personal data on a list PDF: masked by default; ``?personal_data=1`` prints the buyer's
ID and phone in full for whoever may see the declaration at all (the broker of that
merchant files the list and needs the full ID; internal integrations).

Release note: POST /release-batches/<n>/release-note answers the PDF or the XML with the
gate weight check in the X-Gate-* headers (X-Gate-Weight-Check: passed | failed |
not-weighed), or with ``format: "json"`` the note's figures and the check as JSON.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from flask import Response
from pydantic import Field, field_validator

from customs import release_note
from wms.models import CustomsStatus, DeclarationKind
from wms.services import customs_documents as documents
from wms.services import declarations
from wms.services import orders as order_service
from wms.services.brokers import Principal
from wms.services.errors import InvalidInput, NotFound
from wms.web.access import BROKER, PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.auth import require_principal
from wms.web.context import database, write
from wms.web.openapi import CSV, PDF, ZIP, doc
from wms.web.schemas import MAX_ROW_ID, Input, chars, parse_json, parse_query

Reply = tuple[dict[str, Any], int] | dict[str, Any]
Grams = Annotated[int, Field(strict=True, ge=0, le=200_000_000)]
MONTH = re.compile(r"(\d{4})-(\d{2})")
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


class DeclarationsQuery(Input):
    status: CustomsStatus | None = None
    kind: DeclarationKind | None = None
    order_number: chars(40) | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    after_id: Annotated[int, Field(ge=0, le=MAX_ROW_ID)] = 0
    limit: Annotated[int, Field(gt=0, le=500)] = 100


class StatusIn(Input):
    status: Literal["cleared", "rejected"]
    reason: chars(400) | None = None
    customs_number: chars(40) | None = None


class PersonalDataQuery(Input):
    personal_data: Literal["0", "1"] = "0"


class ReleaseNoteIn(Input):
    vehicle_weight_g: Grams
    container_weight_g: Grams = 0
    measured_weight_g: Grams | None = None
    container_number: chars(40) | None = None
    format: Literal["pdf", "xml", "json"] = "pdf"


class MonthQuery(Input):
    month: str

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        match = MONTH.fullmatch(value)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise ValueError("a month as YYYY-MM, e.g. 2026-11")
        return value

    @property
    def year_month(self) -> tuple[int, int]:
        year, month = self.month.split("-")
        return int(year), int(month)


class EuLowValueQuery(MonthQuery):
    format: Literal["csv", "json"] = "csv"


class SummaryQuery(MonthQuery):
    hs_digits: Literal["4", "6", "10"] = "6"


def _file(body: bytes | str, mimetype: str, name: str, **headers: str) -> Response:
    response = Response(body, mimetype=mimetype)
    safe = UNSAFE_IN_FILENAME.sub("_", name)  # order numbers come from marketplaces
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers.update(headers)
    return response


def _visible(s: Any, principal: Principal, number: str) -> str:
    return documents.visible_declaration(s, principal, number).number


# --- declarations ---------------------------------------------------------------------------


@api.get("/customs/declarations")
@doc(query=DeclarationsQuery)
@allow(PLANNER, BROKER)
def list_customs_declarations() -> Reply:
    principal = require_principal()
    query = parse_query(DeclarationsQuery)
    if query.from_ and query.to and query.from_ > query.to:
        raise InvalidInput("from is after to", field="from")
    flt = documents.DeclarationFilter(
        status=query.status,
        kind=query.kind,
        order_number=query.order_number,
        created_from=query.from_,
        created_to=query.to,
        after_id=query.after_id,
        limit=query.limit,
    )
    with database().reading() as s:
        return documents.list_declarations(s, principal, flt)


@api.get("/customs/declarations/<number>")
@doc()
@allow(PLANNER, BROKER)
def get_customs_declaration(number: str) -> Reply:
    principal = require_principal()
    with database().reading() as s:
        return declarations.declaration_view(s, documents.visible_declaration(s, principal, number))


@api.post("/customs/declarations/<number>/status")
@doc(json=StatusIn)
@allow(BROKER)
def set_customs_status(number: str) -> Reply:
    principal = require_principal()
    data = parse_json(StatusIn)
    if data.status == "rejected" and not data.reason:
        raise InvalidInput("say why customs rejected the list", field="reason")

    def run(s: Any) -> dict[str, Any]:
        documents.visible_declaration(s, principal, number)
        decided = declarations.decide(
            s,
            declarations.Decision(
                number=number,
                status=CustomsStatus(data.status),
                actor=principal.actor,
                via="api",
                reason=data.reason,
                customs_number=data.customs_number,
            ),
        )
        return declarations.declaration_view(s, decided)

    return write(run)


@api.get("/customs/declarations/<number>/list.pdf")
@doc(query=PersonalDataQuery, ok=PDF, refuses=(409,))
@allow(PLANNER, BROKER)
def declaration_list_pdf(number: str) -> Response:
    principal = require_principal()
    query = parse_query(PersonalDataQuery)
    with database().reading() as s:
        pdf = documents.list_pdf(
            s, [_visible(s, principal, number)], show_personal_data=query.personal_data == "1"
        )
    return _file(pdf, "application/pdf", f"{number}.pdf")


@api.get("/customs/declarations/<number>/messages.zip")
@doc(ok=ZIP, refuses=(409,))
@allow(PLANNER, BROKER)
def declaration_messages(number: str) -> Response:
    principal = require_principal()
    with database().reading() as s:
        archive = documents.messages_zip(s, [_visible(s, principal, number)])
    return _file(archive, "application/zip", f"{number}-messages.zip")


# --- release batches ------------------------------------------------------------------------


def _batch_visible(s: Any, principal: Principal, batch: str) -> list[str]:
    """The batch's lists the caller may see; 404 when none (not even the batch then)."""
    try:
        numbers = documents.visible_numbers(s, principal, documents.batch_numbers(s, batch))
    except NotFound:
        numbers = []
    if not numbers:  # one answer for a batch that does not exist and one not to be seen
        raise NotFound(f"no release batch {batch} with lists to show", field="batch")
    return numbers


@api.get("/release-batches/<batch>/declarations.pdf")
@doc(query=PersonalDataQuery, ok=PDF, refuses=(409,))
@allow(PLANNER, BROKER)
def batch_lists_pdf(batch: str) -> Response:
    principal = require_principal()
    query = parse_query(PersonalDataQuery)
    with database().reading() as s:
        numbers = _batch_visible(s, principal, batch)
        pdf = documents.list_pdf(s, numbers, show_personal_data=query.personal_data == "1")
    return _file(
        pdf, "application/pdf", f"{batch}-lists.pdf", **{"X-List-Count": str(len(numbers))}
    )


@api.get("/release-batches/<batch>/messages.zip")
@doc(ok=ZIP, refuses=(409,))
@allow(PLANNER, BROKER)
def batch_messages(batch: str) -> Response:
    principal = require_principal()
    with database().reading() as s:
        archive = documents.messages_zip(s, _batch_visible(s, principal, batch))
    return _file(archive, "application/zip", f"{batch}-messages.zip")


@api.post("/release-batches/<batch>/release-note")
@doc(json=ReleaseNoteIn, ok=(*PDF, "application/xml", "application/json"))
@allow(STAFF, PLANNER)
def batch_release_note(batch: str) -> Response | Reply:
    principal = require_principal()
    documents.require_internal(principal, f"release batch {batch}", "batch")
    data = parse_json(ReleaseNoteIn)
    with database().reading() as s:
        note, weighing = documents.gate_check(
            s,
            batch,
            vehicle_weight_g=data.vehicle_weight_g,
            container_weight_g=data.container_weight_g,
            measured_weight_g=data.measured_weight_g,
            container_number=data.container_number,
        )
    if data.format == "json":
        return documents.release_note_view(note, weighing)
    headers = {
        "X-Gate-Weight-Check": "not-weighed"
        if weighing is None
        else ("passed" if weighing.passed else "failed"),
        "X-Gate-Expected-Weight-g": str(note.total_weight_g),
    }
    if weighing is not None:
        headers["X-Gate-Measured-Weight-g"] = str(weighing.measured_g)
        headers["X-Gate-Allowed-Difference-g"] = str(weighing.allowed_g)
    if data.format == "xml":
        xml = release_note.release_note_xml(note)
        return _file(xml, "application/xml", f"{batch}-release-note.xml", **headers)
    pdf = release_note.render_release_note(note, weighing)
    return _file(pdf, "application/pdf", f"{batch}-release-note.pdf", **headers)


# --- export ---------------------------------------------------------------------------------


def _export_order(s: Any, principal: Principal, order_id: int) -> Any:
    documents.require_internal(principal, f"order {order_id}", "order_id")
    if order_id > MAX_ROW_ID:
        raise NotFound(f"order {order_id} does not exist", field="order_id")
    return order_service.order_by_id(s, order_id)


@api.get("/orders/<int:order_id>/export-documents/invoice.pdf")
@doc(ok=PDF, refuses=(409,))
@allow(STAFF, PLANNER)
def export_invoice(order_id: int) -> Response:
    principal = require_principal()
    with database().reading() as s:
        order = _export_order(s, principal, order_id)
        pdf = documents.commercial_invoice_pdf(s, order)
        name = order.order_number
    return _file(pdf, "application/pdf", f"{name}-invoice.pdf")


@api.get("/orders/<int:order_id>/export-documents/customs-form.pdf")
@doc(ok=PDF, refuses=(409,))
@allow(STAFF, PLANNER)
def export_customs_form(order_id: int) -> Response:
    principal = require_principal()
    with database().reading() as s:
        order = _export_order(s, principal, order_id)
        form, pdf = documents.customs_form_pdf(s, order)
        name = order.order_number
    return _file(pdf, "application/pdf", f"{name}-{form}.pdf", **{"X-Customs-Form": form})


@api.get("/export/eu-low-value")
@doc(query=EuLowValueQuery, ok=(*CSV, "application/json"), refuses=(409,))
@allow(PLANNER, BROKER)
def export_eu_low_value() -> Response:
    principal = require_principal()
    query = parse_query(EuLowValueQuery)
    year, month = query.year_month
    with database().reading() as s:
        text = documents.eu_low_value_data(
            s, year, month, query.format, merchant_ids=principal.merchant_ids
        )
    mimetype = "application/json" if query.format == "json" else "text/csv"
    return _file(text, mimetype, f"eu-low-value-{query.month}.{query.format}")


@api.get("/export/monthly-summary")
@doc(query=SummaryQuery, ok=CSV, refuses=(409,))
@allow(PLANNER, BROKER)
def export_monthly_summary() -> Response:
    principal = require_principal()
    query = parse_query(SummaryQuery)
    year, month = query.year_month
    with database().reading() as s:
        text = documents.monthly_export_summary(
            s, year, month, int(query.hs_digits), merchant_ids=principal.merchant_ids
        )
    return _file(text, "text/csv", f"export-summary-{query.month}.csv")
