"""Printing from the warehouse's records, and reading scans back into it."""

from __future__ import annotations

from datetime import date

import pytest

from labels.pdf import render_pdf
from tests import factories as f
from tests.unit.labels.decoding import decode, pdf_pages
from wms.db import Database
from wms.services import catalog, printing
from wms.services.errors import InvalidInput, NotFound


@pytest.fixture
def stocked(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L24-11", 10, expiry_date=date(2028, 6, 30))
    f.putaway(db, f.MILK.sku, "L24-11", 10)
    return db


def test_bin_labels_of_a_zone_print_every_bin_and_scan_back(stocked: Database):
    with stocked.reading() as s:
        labels = printing.bin_labels(s, warehouse_code=f.WAREHOUSE, zone_code="A")
    assert [label.barcode for label in labels] == ["SHA1-A-01", "SHA1-A-02", f.DOCK]
    assert labels[0].code == "A-01"
    assert labels[0].caption == "SHA1 · zone A · bonded"
    pages = pdf_pages(render_pdf(labels))
    assert [[d.text for d in decode(page)] for page in pages] == [[b.barcode] for b in labels]


def test_asking_for_an_unknown_bin_names_it(stocked: Database):
    with pytest.raises(NotFound) as refused, stocked.reading() as s:
        printing.bin_labels(s, warehouse_code=f.WAREHOUSE, barcodes=["SHA1-A-01", "NOPE"])
    assert "NOPE" in refused.value.message
    assert refused.value.field == "barcode"


def test_a_printed_lot_label_scans_back_to_sku_lot_and_expiry(stocked: Database):
    with stocked.reading() as s:
        [label] = printing.lot_labels(s, product_code=f.MILK.sku, lot_number="L24-11")
    assert (label.gtin14, label.lot, label.expiry) == (
        "0" + f.MILK.gtin,
        "L24-11",
        date(2028, 6, 30),
    )
    [symbol] = [d for d in decode(pdf_pages(render_pdf([label]))[0]) if d.symbology == "]C1"]
    with stocked.reading() as s:
        reading = printing.read_scan(s, symbol.symbology + symbol.text)
    assert reading.as_dict() == {
        "kind": "lot",
        "code": symbol.symbology + symbol.text,
        "sku": f.MILK.sku,
        "lot_number": "L24-11",
        "expiry_date": "2028-06-30",
        "location": None,
        "sscc": None,
    }


def test_copies_repeat_the_label(stocked: Database):
    with stocked.reading() as s:
        labels = printing.lot_labels(s, product_code=f.MILK.gtin, lot_number="L24-11", copies=3)
    assert len(labels) == 3 and len(set(labels)) == 1


def test_a_product_without_gtin_cannot_get_a_gs1_lot_label(stocked: Database):
    with stocked.transaction() as s:
        catalog.create_product(s, f.product_input("NO-GTIN", None))
    with pytest.raises(InvalidInput) as refused, stocked.reading() as s:
        printing.lot_labels(s, product_code="NO-GTIN", lot_number="X")
    assert refused.value.field == "sku"


def test_an_unknown_lot_is_not_printed(stocked: Database):
    with pytest.raises(NotFound) as refused, stocked.reading() as s:
        printing.lot_labels(s, product_code=f.MILK.sku, lot_number="NOPE")
    assert refused.value.field == "lot"


@pytest.mark.parametrize(
    ("scan", "kind", "expected"),
    [
        ("SHA1-A-01", "location", {"location": "SHA1-A-01"}),
        ("MILK-900", "product", {"sku": "MILK-900"}),
        ("9421902960017", "product", {"sku": "MILK-900"}),
        (
            "(01)09421902960017(17)280630(10)L24-11",
            "lot",
            {"sku": "MILK-900", "lot_number": "L24-11", "expiry_date": "2028-06-30"},
        ),
        ("]C100106141411234567897", "sscc", {"sscc": "106141411234567897"}),
    ],
)
def test_every_kind_of_scan_is_read(stocked: Database, scan: str, kind: str, expected: dict):
    with stocked.reading() as s:
        reading = printing.read_scan(s, scan).as_dict()
    assert reading["kind"] == kind
    assert {k: reading[k] for k in expected} == expected


@pytest.mark.parametrize("scan", ["UNKNOWN-CODE", "4006381333931", "   "])
def test_a_scan_nothing_answers_to_is_refused_naming_the_scan(stocked: Database, scan: str):
    with pytest.raises((NotFound, InvalidInput)) as refused, stocked.reading() as s:
        printing.read_scan(s, scan)
    assert refused.value.field == "scan"
