"""Entry declarations, receiving, putaway and transfers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from wms.models import EntryDeclaration
from wms.services import inbound
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import DeclarationList, DeclarationOut, JsonObject, doc
from wms.web.schemas import DeclarationIn, ReceiveIn, RelocateIn, parse_json

Reply = tuple[dict[str, Any], int] | dict[str, Any]


@api.post("/declarations")
@doc(json=DeclarationIn, created=DeclarationOut)
@allow(PLANNER)
def create_declaration() -> Reply:
    data = parse_json(DeclarationIn)
    request = inbound.DeclarationInput(
        number=data.number,
        warehouse_code=data.warehouse_code,
        importer=data.importer,
        arrival_date=data.arrival_date,
        lines=tuple(inbound.DeclarationLineInput(**line.model_dump()) for line in data.lines),
    )

    def run(s: Any) -> dict[str, Any]:
        inbound.create_declaration(s, request)
        return inbound.declaration_summary(s, request.number)

    return write(run), 201


@api.get("/declarations")
@doc(ok=DeclarationList)
@allow(STAFF, PLANNER)
def list_declarations() -> Reply:
    with database().reading() as s:
        rows = s.scalars(select(EntryDeclaration).order_by(EntryDeclaration.arrival_date.desc()))
        return {
            "declarations": [
                {
                    "number": d.number,
                    "importer": d.importer,
                    "arrival_date": d.arrival_date.isoformat(),
                    "status": d.status.value,
                    "lines": len(d.lines),
                }
                for d in rows
            ]
        }


@api.get("/declarations/<number>")
@doc(ok=DeclarationOut)
@allow(STAFF, PLANNER)
def get_declaration(number: str) -> Reply:
    with database().reading() as s:
        return inbound.declaration_summary(s, number)


@api.post("/declarations/<number>/receipts")
@doc(json=ReceiveIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def receive(number: str) -> Reply:
    data = parse_json(ReceiveIn)
    request = inbound.ReceiveInput(
        declaration_number=number,
        idempotency_key=idempotency_key(),
        actor=actor(),
        **data.model_dump(),
    )
    result = write(lambda s: inbound.receive(s, request))
    return result, 200 if result["replayed"] else 201


@api.post("/declarations/<number>/close")
@doc(ok=DeclarationOut)
@allow(STAFF, PLANNER)
def close_declaration(number: str) -> Reply:
    who = actor()

    def run(s: Any) -> dict[str, Any]:
        inbound.close_declaration(s, number, actor=who)
        return inbound.declaration_summary(s, number)

    return write(run)


def _relocate(kind: str) -> Reply:
    data = parse_json(RelocateIn)
    request = inbound.PutawayInput(
        idempotency_key=idempotency_key(), actor=actor(), **data.model_dump()
    )
    service = inbound.putaway if kind == "putaway" else inbound.transfer
    result = write(lambda s: service(s, request))
    return result, 200 if result["replayed"] else 201


@api.post("/putaways")
@doc(json=RelocateIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def putaway() -> Reply:
    return _relocate("putaway")


@api.post("/transfers")
@doc(json=RelocateIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def transfer() -> Reply:
    return _relocate("transfer")
