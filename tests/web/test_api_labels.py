"""Label printing and scan reading through the JSON API."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.unit.labels.decoding import decode, pdf_pages
from tests.web.support import API, error_of, ok
from wms.db import Database


def test_the_bin_labels_of_a_zone_come_as_one_pdf(client: FlaskClient, stocked: Database):
    response = client.get(f"{API}/labels/bins?warehouse=SHA1&zone=A")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Label-Count"] == "3"
    pages = pdf_pages(response.get_data())
    assert [[d.text for d in decode(p)] for p in pages] == [["SHA1-A-01"], ["SHA1-A-02"], [f.DOCK]]


def test_chosen_bins_come_as_one_zpl_stream(client: FlaskClient, stocked: Database):
    response = client.get(
        f"{API}/labels/bins?warehouse=SHA1&barcode=SHA1-A-01&barcode=SHA1-B-01&format=zpl&dpi=300"
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count("^XA") == text.count("^XZ") == 2
    assert "SHA1-A-01" in text and "SHA1-B-01" in text


def test_a_single_bin_previews_as_png_that_scans(client: FlaskClient, stocked: Database):
    response = client.get(f"{API}/labels/bins?warehouse=SHA1&barcode=SHA1-B-01&format=png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert [d.text for d in decode(response.get_data())] == ["SHA1-B-01"]


def test_a_lot_label_previews_as_svg(client: FlaskClient, stocked: Database):
    response = client.get(f"{API}/labels/lots?sku={f.MILK.sku}&lot=L1&format=svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.get_data()


def test_lot_label_copies_print_on_as_many_pages(client: FlaskClient, stocked: Database):
    response = client.get(f"{API}/labels/lots?sku={f.MILK.gtin}&lot=L1&copies=4")
    assert response.status_code == 200
    pages = pdf_pages(response.get_data())
    assert len(pages) == 4
    gs1 = [d for d in decode(pages[3]) if d.symbology == "]C1"]
    assert [d.hri for d in gs1] == ["(01)09421902960017(17)280630(10)L1"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("warehouse=SHA1&zone=A&format=png", 422, "format"),
        ("warehouse=SHA1&format=gif", 422, "format"),
        ("warehouse=SHA1&format=zpl&dpi=600", 422, "dpi"),
        ("zone=A", 422, "warehouse"),
        ("warehouse=NOPE", 404, "warehouse"),
        ("warehouse=SHA1&barcode=SHA1-NOPE", 404, "barcode"),
        ("warehouse=SHA1&zone=ZZ", 404, "zone"),
    ],
)
def test_bad_label_requests_name_the_field(
    client: FlaskClient, stocked: Database, query: str, status: int, field: str
):
    assert error_of(client.get(f"{API}/labels/bins?{query}"), status)["field"] == field


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        (f"sku={f.MILK.sku}&lot=NOPE", 404, "lot"),
        ("sku=NOPE&lot=L1", 404, "sku"),
        (f"sku={f.MILK.sku}&lot=L1&copies=0", 422, "copies"),
        (f"sku={f.MILK.sku}&lot=L1&copies=99999", 422, "copies"),
        (f"sku={f.MILK.sku}", 422, "lot"),
    ],
)
def test_bad_lot_label_requests_name_the_field(
    client: FlaskClient, stocked: Database, query: str, status: int, field: str
):
    assert error_of(client.get(f"{API}/labels/lots?{query}"), status)["field"] == field


def test_a_scanned_lot_label_fills_sku_lot_and_expiry(client: FlaskClient, stocked: Database):
    scan = "]C101094219029600171728063010L1"
    reading = ok(client.post(f"{API}/scans", json={"scan": scan}))
    assert reading == {
        "kind": "lot",
        "code": scan,
        "sku": f.MILK.sku,
        "lot_number": "L1",
        "expiry_date": "2028-06-30",
        "location": None,
        "sscc": None,
    }


def test_a_scanned_bin_is_a_location(client: FlaskClient, stocked: Database):
    reading = ok(client.post(f"{API}/scans", json={"scan": "SHA1-A-02"}))
    assert (reading["kind"], reading["location"]) == ("location", "SHA1-A-02")


@pytest.mark.parametrize(
    ("body", "status"),
    [({"scan": "???"}, 404), ({"scan": ""}, 422), ({}, 422), ({"scan": 5}, 422)],
)
def test_an_unreadable_scan_names_the_scan_field(
    client: FlaskClient, stocked: Database, body: dict, status: int
):
    assert error_of(client.post(f"{API}/scans", json=body), status)["field"] == "scan"


def test_a_barcode_too_long_to_print_legibly_is_refused_not_a_500(
    client: FlaskClient, stocked: Database
):
    long_code = "BIN-" + "X" * 44  # 48 characters of subset B: 140 mm at the narrowest bar
    body = {"warehouse_code": "SHA1", "code": "LONG", "kind": "bin", "barcode": long_code}
    ok(client.post(f"{API}/locations", json=body), 201)
    for fmt in ("pdf", "zpl", "png", "svg"):
        response = client.get(f"{API}/labels/bins?warehouse=SHA1&barcode={long_code}&format={fmt}")
        error = error_of(response, 422)
        assert error["field"] == "barcode", fmt
        assert "cannot be printed" in error["message"]


def test_a_lot_number_gs1_cannot_carry_is_refused_naming_the_lot(
    client: FlaskClient, stocked: Database
):
    f.receive(stocked, "ED-1", f.MILK.sku, "LOT WITH SPACES", 1)
    response = client.get(f"{API}/labels/lots?sku={f.MILK.sku}&lot=LOT WITH SPACES")
    error = error_of(response, 422)
    assert error["field"] == "lot"
    assert "GS1 character set 82" in error["message"]


def test_every_repeated_barcode_is_checked_not_only_the_first(
    client: FlaskClient, stocked: Database
):
    response = client.get(f"{API}/labels/bins?warehouse=SHA1&barcode=SHA1-A-01&barcode={'X' * 49}")
    assert error_of(response, 422)["field"] == "barcode"
