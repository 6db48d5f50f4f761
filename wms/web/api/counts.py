"""Counting a bin: the count sheet a counter's device reads, and the count itself, which
posts the differences between what was found and the ledger."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from wms.services import counts
from wms.services.inputs import MAX_ID, Input, chars
from wms.web.access import STAFF, allow
from wms.web.api import api
from wms.web.context import actor, database, idempotency_key, write
from wms.web.openapi import JsonObject, doc
from wms.web.schemas import Barcode, Code, LotNumber, parse_json, parse_query

Reply = tuple[dict[str, Any], int] | dict[str, Any]

Counted = Annotated[int, Field(strict=True, ge=0, le=counts.MAX_QUANTITY)]


class CountLineIn(Input):
    sku: Code  # or a GTIN, as scanned
    lot: LotNumber
    quantity: Counted
    declaration: chars(32) | None = None  # only when the lot number is on two declarations


class CountIn(Input):
    location: Barcode
    lines: Annotated[list[CountLineIn], Field(max_length=counts.MAX_LINES)]
    # Strict: a destructive flag (zeroes what is not listed) takes true or false only.
    complete: Annotated[bool, Field(strict=True)] = False
    # The bin's last move when the count began (from the count sheet).
    since_move_id: Annotated[int, Field(strict=True, ge=0, le=MAX_ID)] | None = None


class SheetQuery(Input):
    blind: bool = True  # blind by default: the expected quantities are not shown


@api.get("/count-sheets/<barcode>")
@doc(query=SheetQuery)
@allow(STAFF)
def count_sheet(barcode: str) -> Reply:
    query = parse_query(SheetQuery)
    with database().reading() as s:
        return counts.bin_snapshot(s, barcode, blind=query.blind)


@api.post("/counts")
@doc(json=CountIn, created=JsonObject, idempotent=True)
@allow(STAFF)
def count_bin() -> Reply:
    data = parse_json(CountIn)
    request = counts.CountInput(
        location_barcode=data.location,
        lines=tuple(
            counts.CountLine(line.sku, line.lot, line.quantity, line.declaration)
            for line in data.lines
        ),
        complete=data.complete,
        since_move_id=data.since_move_id,
        idempotency_key=idempotency_key(),
        actor=actor(),
    )
    result = write(lambda s: counts.count_bin(s, request))
    return result, 200 if result["replayed"] else 201
