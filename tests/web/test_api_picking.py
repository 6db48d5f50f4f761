"""The waves, picking, packing and label API through the Flask test client."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.support import API, error_of, headers, ok
from wms.db import Database


@pytest.fixture
def cleared(db: Database) -> int:
    """The picking warehouse and one cleared order of 2 serum."""
    o.picking_warehouse(db)
    return o.cleared_order(db, (f.SERUM.sku, 2))


def new_wave(client: FlaskClient) -> dict[str, Any]:
    return ok(
        client.post(f"{API}/waves", json={"warehouse": f.WAREHOUSE}, headers=headers(None, "amy")),
        201,
    )


def scan(client: FlaskClient, wave: str, kind: str, key: str, **body: Any) -> Any:
    base = {"bin_barcode": f.BINS[2], "product_code": f.SERUM.sku, "lot_number": "S1"}
    return client.post(f"{API}/waves/{wave}/{kind}", json=base | body, headers=headers(key, "pia"))


def test_wave_pick_pack_and_label(client: FlaskClient, cleared: int) -> None:
    wave = new_wave(client)
    assert (wave["tasks"], wave["orders"], wave["units"], wave["created_by"]) == (1, 1, 2, "amy")
    listing = ok(client.get(f"{API}/waves/{wave['number']}/pick-list"))
    assert [(t["sequence"], t["bin"], t["sku"], t["to_pick"]) for t in listing["tasks"]] == [
        (1, f.BINS[2], f.SERUM.sku, 2)
    ]

    picked = ok(scan(client, wave["number"], "picks", "p-1", quantity=2), 201)
    assert picked["wave_status"] == "done" and not picked["replayed"]
    assert ok(scan(client, wave["number"], "picks", "p-1", quantity=2))["replayed"]

    box = {"code": "S", "name": "Small", "length_mm": 300, "width_mm": 200, "height_mm": 150}
    ok(client.post(f"{API}/box-types", json=box | {"tare_g": 150}), 201)
    assert [b["code"] for b in ok(client.get(f"{API}/box-types"))["box_types"]] == ["S"]

    body = {
        "order_ref": f"O{cleared}",
        "items": [{"product_code": f.SERUM.gtin, "quantity": 2}],
        "gross_weight_g": 2200,
        "box_code": "S",
    }
    parcel = ok(client.post(f"{API}/parcels", json=body, headers=headers("pk-1", "pat")), 201)
    assert parcel["expected_weight_g"] == 2 * 1020 + 150
    shown = ok(client.get(f"{API}/parcels/{parcel['parcel_number']}"))
    assert (shown["status"], shown["order_status"], shown["packed_by"]) == (
        "packed",
        "packed",
        "pat",
    )

    label = client.post(f"{API}/parcels/{parcel['parcel_number']}/label")
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    document = pdfium.PdfDocument(label.data)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert parcel["tracking_number"] in text
    shown = ok(client.get(f"{API}/parcels/{parcel['parcel_number']}"))
    assert (shown["status"], shown["order_status"]) == ("labelled", "labelled")


def test_refusals_name_the_field(client: FlaskClient, cleared: int) -> None:
    wave = new_wave(client)["number"]
    wrong_bin = error_of(scan(client, wave, "picks", "p-2", bin_barcode=f.BINS[0], quantity=1), 409)
    assert wrong_bin["field"] == "bin_barcode"
    assert "go to SHA1-B-01" in wrong_bin["message"]
    over = error_of(scan(client, wave, "picks", "p-3", quantity=3), 409)
    assert over["field"] == "quantity" and "only 2 left" in over["message"]
    shorted = ok(scan(client, wave, "shorts", "s-1", found_quantity=1), 201)
    assert shorted["missing"] == 1

    body = {"order_ref": f"O{cleared}", "items": [{"product_code": f.SERUM.sku, "quantity": 1}]}
    body |= {"gross_weight_g": 1170, "box_code": "S"}
    not_picked = error_of(client.post(f"{API}/parcels", json=body, headers=headers("pk-2")), 409)
    # The short bin is avoided and no serum is left elsewhere: the order waits on hold.
    assert not_picked["field"] == "order_ref" and "on_hold" in not_picked["message"]
    assert error_of(client.get(f"{API}/parcels/P404"), 404)["field"] == "parcel_number"
    assert error_of(client.get(f"{API}/waves/W0/pick-list"), 404)["field"] == "wave_number"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("waves", {"warehouse": ""}, "warehouse"),
        ("waves", {"warehouse": "SHA1", "order_ids": ["1"]}, "order_ids[0]"),
        ("waves", {"warehouse": "SHA1", "max_orders": 0}, "max_orders"),
        ("waves", {"warehouse": "SHA1", "order_ids": [2**70]}, "order_ids[0]"),
        ("waves", {"warehouse": "NOPE"}, "warehouse"),
        ("box-types", {"code": "B", "name": "x", "length_mm": 1}, "width_mm"),
        ("box-types", {"code": "B", "name": "x", "length_mm": 1, "width_mm": 1,
                       "height_mm": 1, "tare_g": -1}, "tare_g"),
        ("parcels", {"order_ref": "O1", "items": [], "gross_weight_g": 1, "box_code": "S"},
         "items"),
        ("parcels", {"order_ref": "O1", "items": [{"product_code": "X", "quantity": 1.5}],
                     "gross_weight_g": 1, "box_code": "S"}, "items[0].quantity"),
        ("parcels", {"order_ref": "O1", "items": [{"product_code": "X", "quantity": 1}],
                     "gross_weight_g": "heavy", "box_code": "S"}, "gross_weight_g"),
        ("parcels", {"order_ref": "O\x00", "items": [{"product_code": "X", "quantity": 1}],
                     "gross_weight_g": 1, "box_code": "S"}, "order_ref"),
        ("parcels", ["not", "an", "object"], "body"),
    ],
)  # fmt: skip
def test_junk_input_is_a_4xx_naming_the_field(
    client: FlaskClient, cleared: int, path: str, body: Any, field: str
) -> None:
    answer = client.post(f"{API}/{path}", json=body, headers=headers("junk-key"))
    assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["field"] == field


def test_picks_need_an_idempotency_key_and_a_sane_body(client: FlaskClient, cleared: int) -> None:
    wave = new_wave(client)["number"]
    no_key = client.post(
        f"{API}/waves/{wave}/picks",
        json={"bin_barcode": f.BINS[2], "product_code": f.SERUM.sku, "lot_number": "S1",
              "quantity": 1},
    )  # fmt: skip
    assert error_of(no_key, 422)["field"] == "Idempotency-Key"
    negative = error_of(scan(client, wave, "shorts", "s-9", found_quantity=-1), 422)
    assert negative["field"] == "found_quantity"
    extra = error_of(scan(client, wave, "picks", "p-9", quantity=1, colour="red"), 422)
    assert extra["field"] == "colour"
    unknown = error_of(scan(client, wave, "picks", "p-10", quantity=1, product_code="NOPE"), 404)
    assert unknown["field"] == "product_code"
