"""Labels to print (PDF, ZPL, PNG, SVG) and reading what scanners send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from flask import Response, request
from pydantic import Field, field_validator

from labels.images import render_png, render_svg
from labels.model import Label
from labels.pdf import render_pdf
from labels.zpl import render_zpl
from wms.services import printing
from wms.services.errors import InvalidInput
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.context import database
from wms.web.openapi import LABEL, doc
from wms.web.schemas import Barcode, Code, Input, LotNumber, chars, parse_json, parse_query

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "zpl": "text/plain; charset=utf-8",  # printers and print servers take ZPL as text
    "png": "image/png",
    "svg": "image/svg+xml",
}


class LabelQuery(Input):
    format: Literal["pdf", "zpl", "png", "svg"] = "pdf"
    dpi: int = 203  # ZPL and PNG: the thermal printer's resolution

    @field_validator("dpi")
    @classmethod
    def _printer_dpi(cls, value: int) -> int:
        if value not in (203, 300):
            raise ValueError("thermal printers here are 203 or 300 dpi")
        return value


class BinLabelQuery(LabelQuery):
    warehouse: chars(16)
    zone: chars(16) | None = None
    barcode: Barcode | None = None  # repeatable: see bin_labels()


class LotLabelQuery(LabelQuery):
    sku: Code
    lot: LotNumber
    copies: Annotated[int, Field(gt=0, le=printing.MAX_LABELS)] = 1


class ScanIn(Input):
    scan: Annotated[str, Field(min_length=1, max_length=200)]


def rendered(labels: Sequence[Label], query: LabelQuery, name: str, field: str) -> Response:
    """One print job in the asked format: PDF and ZPL hold any number of labels (one per
    page / one ^XA block each); PNG and SVG are single-label previews.  Data a label
    cannot carry legibly (too long to fit, say) is refused naming ``field``."""
    if query.format in ("png", "svg") and len(labels) != 1:
        raise InvalidInput(
            f"{query.format} previews hold one label; {len(labels)} match: use pdf or zpl",
            field="format",
        )
    body: bytes | str
    try:
        if query.format == "pdf":
            body = render_pdf(labels)
        elif query.format == "zpl":
            body = render_zpl(labels, dpi=query.dpi)
        elif query.format == "png":
            body = render_png(labels[0], dpi=query.dpi)
        else:
            body = render_svg(labels[0])
    except ValueError as exc:
        raise InvalidInput(f"this label cannot be printed: {exc}", field=field) from None
    response = Response(body, mimetype=MEDIA_TYPES[query.format])
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{query.format}"'
    response.headers["X-Label-Count"] = str(len(labels))
    return response


@api.get("/labels/bins")
@doc(query=BinLabelQuery, ok=LABEL)
@allow(STAFF, PLANNER)
def bin_labels() -> Response:
    query = parse_query(BinLabelQuery)
    # Repeatable: every value gets the rules the query model gives the first one.
    barcodes = [
        BinLabelQuery(warehouse=query.warehouse, barcode=b).barcode
        for b in request.args.getlist("barcode")
    ]
    with database().reading() as s:
        labels = printing.bin_labels(
            s, warehouse_code=query.warehouse, zone_code=query.zone, barcodes=barcodes or None
        )
    return rendered(labels, query, f"bins-{query.warehouse}", "barcode")


@api.get("/labels/lots")
@doc(query=LotLabelQuery, ok=LABEL)
@allow(STAFF, PLANNER)
def lot_labels() -> Response:
    query = parse_query(LotLabelQuery)
    with database().reading() as s:
        labels = printing.lot_labels(
            s, product_code=query.sku, lot_number=query.lot, copies=query.copies
        )
    return rendered(labels, query, f"lot-{query.sku}-{query.lot}", "lot")


@api.post("/scans")
@doc(json=ScanIn)
@allow(STAFF, PLANNER)
def read_scan() -> dict[str, Any]:
    data = parse_json(ScanIn)
    with database().reading() as s:
        return printing.read_scan(s, data.scan).as_dict()
