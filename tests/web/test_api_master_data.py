"""Warehouses, zones, locations and products through the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.web.support import API, error_of, ok, product_body
from wms.db import Database

VIRTUAL = ("COUNT_DIFF", "CUSTOMER", "DOMESTIC", "SCRAP", "SUPPLIER")


def new_warehouse(client: FlaskClient, code: str = "NGB1", **extra: Any) -> dict[str, Any]:
    body = {"code": code, "name": "Ningbo bonded DC", **extra}
    return ok(client.post(f"{API}/warehouses", json=body), 201)


def new_zone(client: FlaskClient, warehouse: str = "NGB1", **body: Any) -> Any:
    body = {"code": "A", "name": "Ambient", "is_bonded": True, **body}
    return client.post(f"{API}/warehouses/{warehouse}/zones", json=body)


def new_location(client: FlaskClient, **body: Any) -> Any:
    body = {"warehouse_code": "NGB1", "code": "A-01", "kind": "bin", "zone_code": "A", **body}
    return client.post(f"{API}/locations", json=body)


@pytest.fixture
def ngb1(client: FlaskClient) -> FlaskClient:
    """Warehouse NGB1 with a bonded zone A and a duty-paid zone D, made through the API."""
    new_warehouse(client)
    ok(new_zone(client), 201)
    ok(new_zone(client, code="D", name="Duty paid", is_bonded=False), 201)
    return client


# --- warehouses and zones ---------------------------------------------------------------


def test_a_warehouse_created_by_post_answers_201_with_what_was_stored(client: FlaskClient):
    created = new_warehouse(
        client, customs_area_code="3105", address="1 Bonded Road, Beilun, Ningbo"
    )
    assert created == {
        "code": "NGB1",
        "name": "Ningbo bonded DC",
        "customs_area_code": "3105",
        "address": "1 Bonded Road, Beilun, Ningbo",
        "zones": [],
    }


def test_warehouses_are_listed_by_code_with_their_zones(client: FlaskClient):
    new_warehouse(client, code="SZX1")
    new_warehouse(client, code="NGB1")
    assert ok(new_zone(client, "SZX1", code="B", name="Cage", is_bonded=True), 201) == {
        "code": "B",
        "name": "Cage",
        "is_bonded": True,
    }
    listed = ok(client.get(f"{API}/warehouses"))["warehouses"]
    assert [w["code"] for w in listed] == ["NGB1", "SZX1"]
    assert listed[0]["zones"] == []
    assert listed[1]["zones"] == [{"code": "B", "name": "Cage", "is_bonded": True}]


def test_a_new_warehouse_comes_with_its_five_virtual_locations(client: FlaskClient):
    new_warehouse(client)
    listed = ok(client.get(f"{API}/locations", query_string={"warehouse": "NGB1"}))
    assert sorted(loc["barcode"] for loc in listed["locations"]) == [
        f"NGB1-V-{kind}" for kind in VIRTUAL
    ]
    for loc in listed["locations"]:
        assert (loc["is_physical"], loc["is_bonded"], loc["is_sellable"], loc["active"]) == (
            False,
            False,
            False,
            True,
        )


def test_a_duplicate_warehouse_code_answers_409_naming_code(client: FlaskClient):
    new_warehouse(client)
    error = error_of(client.post(f"{API}/warehouses", json={"code": "NGB1", "name": "Again"}), 409)
    assert error == {
        "code": "conflict",
        "message": "warehouse NGB1 already exists",
        "field": "code",
    }
    assert len(ok(client.get(f"{API}/warehouses"))["warehouses"]) == 1


def test_a_customs_area_code_must_be_four_digits(client: FlaskClient):
    response = client.post(
        f"{API}/warehouses", json={"code": "NGB1", "name": "x", "customs_area_code": "31A5"}
    )
    assert error_of(response, 422)["field"] == "customs_area_code"


def test_a_zone_of_an_unknown_warehouse_answers_404_naming_warehouse(client: FlaskClient):
    error = error_of(new_zone(client, "NOPE"), 404)
    assert (error["code"], error["field"]) == ("not_found", "warehouse")


def test_a_duplicate_zone_answers_409_naming_code(client: FlaskClient):
    new_warehouse(client)
    ok(new_zone(client), 201)
    error = error_of(new_zone(client, name="Ambient again"), 409)
    assert (error["code"], error["field"]) == ("conflict", "code")


def test_a_zone_needs_to_say_whether_it_is_bonded(client: FlaskClient):
    new_warehouse(client)
    response = client.post(f"{API}/warehouses/NGB1/zones", json={"code": "A", "name": "Ambient"})
    error = error_of(response, 422)
    assert (error["code"], error["field"]) == ("invalid", "is_bonded")


# --- locations ------------------------------------------------------------------------------


def test_a_bin_created_by_post_reads_back_by_its_barcode(ngb1: FlaskClient):
    created = ok(new_location(ngb1), 201)
    assert created == {
        "code": "A-01",
        "barcode": "NGB1-A-01",
        "name": "A-01",
        "kind": "bin",
        "zone": "A",
        "is_bonded": True,
        "is_sellable": True,
        "is_physical": True,
        "active": True,
    }
    assert ok(ngb1.get(f"{API}/locations/NGB1-A-01")) == created


def test_a_location_keeps_the_barcode_it_is_given(ngb1: FlaskClient):
    created = ok(new_location(ngb1, barcode="LBL-000123", name="First bin"), 201)
    assert (created["barcode"], created["name"]) == ("LBL-000123", "First bin")
    assert ok(ngb1.get(f"{API}/locations/LBL-000123"))["code"] == "A-01"
    error_of(ngb1.get(f"{API}/locations/NGB1-A-01"), 404)


def test_a_bin_in_a_duty_paid_zone_is_not_bonded(ngb1: FlaskClient):
    created = ok(new_location(ngb1, code="D-01", zone_code="D"), 201)
    assert (created["is_bonded"], created["is_sellable"]) == (False, True)


@pytest.mark.parametrize("kind", ["dock", "showroom"])
def test_a_dock_or_showroom_is_not_sellable_by_default(ngb1: FlaskClient, kind: str):
    created = ok(new_location(ngb1, code="X-1", kind=kind), 201)
    assert (created["kind"], created["is_sellable"], created["is_bonded"]) == (kind, False, True)


@pytest.mark.parametrize("kind", ["dock", "showroom"])
def test_a_dock_or_showroom_made_sellable_is_refused(ngb1: FlaskClient, kind: str):
    error = error_of(new_location(ngb1, code="X-1", kind=kind, is_sellable=True), 422)
    assert error == {
        "code": "invalid",
        "message": "only storage bins hold sellable stock",
        "field": "is_sellable",
    }
    error_of(ngb1.get(f"{API}/locations/NGB1-X-1"), 404)


def test_a_bin_may_be_made_unsellable(ngb1: FlaskClient):
    created = ok(new_location(ngb1, code="Q-01", is_sellable=False), 201)
    assert created["is_sellable"] is False


@pytest.mark.parametrize("kind", ["supplier", "customer", "scrap", "count_diff", "domestic"])
def test_a_virtual_location_cannot_be_created_by_hand(ngb1: FlaskClient, kind: str):
    error = error_of(new_location(ngb1, code="V-2", kind=kind), 422)
    assert error["field"] == "kind"


def test_an_unknown_location_kind_answers_422_naming_kind(ngb1: FlaskClient):
    error = error_of(new_location(ngb1, kind="shelf"), 422)
    assert (error["code"], error["field"]) == ("invalid", "kind")


def test_a_location_bonded_unlike_its_zone_is_refused(ngb1: FlaskClient):
    error = error_of(new_location(ngb1, is_bonded=False), 422)
    assert error["field"] == "is_bonded"


def test_a_location_in_an_unknown_zone_answers_404_naming_zone_code(ngb1: FlaskClient):
    error = error_of(new_location(ngb1, zone_code="Z"), 404)
    assert (error["code"], error["field"]) == ("not_found", "zone_code")


def test_a_location_in_an_unknown_warehouse_answers_404_naming_warehouse_code(
    ngb1: FlaskClient,
):
    error = error_of(new_location(ngb1, warehouse_code="NOPE"), 404)
    assert error["field"] == "warehouse_code"


def test_a_duplicate_barcode_answers_409_naming_barcode(ngb1: FlaskClient):
    ok(new_location(ngb1, barcode="LBL-1"), 201)
    error = error_of(new_location(ngb1, code="A-02", barcode="LBL-1"), 409)
    assert error == {
        "code": "conflict",
        "message": "barcode LBL-1 is already in use",
        "field": "barcode",
    }


def test_a_duplicate_location_code_answers_409_naming_code(ngb1: FlaskClient):
    ok(new_location(ngb1), 201)
    error = error_of(new_location(ngb1, barcode="OTHER-1"), 409)
    assert (error["code"], error["field"]) == ("conflict", "code")


def test_a_barcode_with_spaces_is_refused(ngb1: FlaskClient):
    assert error_of(new_location(ngb1, barcode="A 01"), 422)["field"] == "barcode"


def test_locations_are_listed_by_warehouse_and_kind(warehouse: Database, ngb1: FlaskClient):
    ok(new_location(ngb1), 201)
    ok(new_location(ngb1, code="DOCK", kind="dock"), 201)
    docks = ok(ngb1.get(f"{API}/locations", query_string={"kind": "dock"}))["locations"]
    assert sorted(d["barcode"] for d in docks) == ["NGB1-DOCK", f.DOCK]
    only_ngb1 = ok(ngb1.get(f"{API}/locations", query_string={"warehouse": "NGB1", "kind": "bin"}))
    assert [loc["barcode"] for loc in only_ngb1["locations"]] == ["NGB1-A-01"]


def test_listing_locations_of_an_unknown_kind_answers_422_naming_kind(client: FlaskClient):
    error = error_of(client.get(f"{API}/locations", query_string={"kind": "shelf"}), 422)
    assert error["field"] == "kind"


def test_listing_locations_of_an_unknown_warehouse_answers_404(client: FlaskClient):
    error = error_of(client.get(f"{API}/locations", query_string={"warehouse": "NOPE"}), 404)
    assert error["field"] == "warehouse"


def test_an_unknown_barcode_answers_404_naming_barcode(client: FlaskClient):
    error = error_of(client.get(f"{API}/locations/NOPE-1"), 404)
    assert (error["code"], error["field"]) == ("not_found", "barcode")


# --- products -------------------------------------------------------------------------------

TEA = {
    "sku": "TEA-100",
    "gtin": "4901234567894",
    "name": "Green tea 100 g",
    "hs_code": "0902100000",
    "origin_country": "JP",
    "declared_unit_value": "12.5000",
    "currency": "JPY",
    "net_weight_g": 100,
    "gross_weight_g": 130,
    "length_mm": 80,
    "width_mm": 60,
    "height_mm": 150,
    "has_battery": False,
    "is_liquid": False,
    "tax_category": "general",
    "listing_url": None,
}


def test_a_product_created_by_post_reads_back_by_sku_and_by_gtin(client: FlaskClient):
    assert ok(client.post(f"{API}/products", json=product_body()), 201) == TEA
    assert ok(client.get(f"{API}/products/TEA-100")) == TEA
    assert ok(client.get(f"{API}/products/4901234567894")) == TEA


def test_a_gtin_13_product_is_found_by_its_gtin_14_form(warehouse: Database, client: FlaskClient):
    assert ok(client.get(f"{API}/products/0{f.MILK.gtin}"))["sku"] == f.MILK.sku


def test_a_gtin_12_product_is_found_by_its_gtin_13_and_gtin_14_forms(client: FlaskClient):
    ok(client.post(f"{API}/products", json=product_body(gtin="036000291452")), 201)
    assert ok(client.get(f"{API}/products/036000291452"))["sku"] == "TEA-100"
    # A scanner reads a UPC-A label as the EAN-13 0036000291452; GS1 writes the same
    # GTIN in 14 digits as 00036000291452.  All three are one product.
    assert ok(client.get(f"{API}/products/0036000291452"))["sku"] == "TEA-100"
    assert ok(client.get(f"{API}/products/00036000291452"))["sku"] == "TEA-100"


def test_the_same_gtin_written_in_14_digits_is_a_duplicate(
    warehouse: Database, client: FlaskClient
):
    response = client.post(f"{API}/products", json=product_body(gtin=f"0{f.MILK.gtin}"))
    error = error_of(response, 409)
    assert (error["code"], error["field"]) == ("conflict", "gtin")


def test_a_product_reads_back_exactly_as_the_create_answer_described_it(client: FlaskClient):
    created = ok(client.post(f"{API}/products", json=product_body(declared_unit_value="12.5")), 201)
    assert ok(client.get(f"{API}/products/TEA-100")) == created


def test_country_and_currency_are_stored_in_capitals(client: FlaskClient):
    created = ok(
        client.post(f"{API}/products", json=product_body(origin_country="jp", currency="jpy")),
        201,
    )
    assert (created["origin_country"], created["currency"]) == ("JP", "JPY")
    stored = ok(client.get(f"{API}/products/TEA-100"))
    assert (stored["origin_country"], stored["currency"]) == ("JP", "JPY")


def test_a_product_without_a_gtin_is_accepted(client: FlaskClient):
    body = product_body()
    del body["gtin"]
    assert ok(client.post(f"{API}/products", json=body), 201)["gtin"] is None


def test_products_are_listed_by_sku_and_searched_by_name_sku_or_gtin(
    warehouse: Database, client: FlaskClient
):
    listed = ok(client.get(f"{API}/products"))["products"]
    assert [p["sku"] for p in listed] == [f.MILK.sku, f.SERUM.sku]
    by_name = ok(client.get(f"{API}/products", query_string={"q": "serum"}))["products"]
    assert [p["sku"] for p in by_name] == [f.SERUM.sku]
    by_gtin = ok(client.get(f"{API}/products", query_string={"q": f.MILK.gtin}))["products"]
    assert [p["sku"] for p in by_gtin] == [f.MILK.sku]
    nothing = ok(client.get(f"{API}/products", query_string={"q": "no such thing"}))
    assert nothing == {"products": []}


@pytest.mark.parametrize("q", ["%", "MILK_900"])
def test_a_search_treats_percent_and_underscore_as_plain_characters(
    warehouse: Database, client: FlaskClient, q: str
):
    # No SKU or name contains "%" or "_": they must not act as LIKE wildcards.
    assert ok(client.get(f"{API}/products", query_string={"q": q})) == {"products": []}


def test_an_unknown_product_answers_404_naming_code(client: FlaskClient):
    error = error_of(client.get(f"{API}/products/NOPE"), 404)
    assert error == {
        "code": "not_found",
        "message": "no product with SKU or GTIN NOPE",
        "field": "code",
    }


def test_a_duplicate_sku_answers_409_naming_sku(client: FlaskClient):
    ok(client.post(f"{API}/products", json=product_body()), 201)
    error = error_of(client.post(f"{API}/products", json=product_body(gtin=None)), 409)
    assert error == {
        "code": "conflict",
        "message": "product TEA-100 already exists",
        "field": "sku",
    }


def test_a_duplicate_gtin_answers_409_naming_gtin(client: FlaskClient):
    ok(client.post(f"{API}/products", json=product_body()), 201)
    error = error_of(client.post(f"{API}/products", json=product_body(sku="TEA-200")), 409)
    assert (error["code"], error["field"]) == ("conflict", "gtin")
    error_of(client.get(f"{API}/products/TEA-200"), 404)


@pytest.mark.parametrize(
    "gtin",
    ["4901234567893", "490123456789", "12345", "49012345678945", "4901234S67894", ""],
    ids=[
        "wrong-check-digit",
        "12-digits-bad-check",
        "5-digits",
        "14-digits-bad",
        "letter",
        "empty",
    ],
)
def test_a_bad_gtin_answers_422_naming_gtin(client: FlaskClient, gtin: str):
    error = error_of(client.post(f"{API}/products", json=product_body(gtin=gtin)), 422)
    assert (error["code"], error["field"]) == ("invalid", "gtin")
    error_of(client.get(f"{API}/products/TEA-100"), 404)


def test_a_gtin_with_a_wrong_check_digit_says_so(client: FlaskClient):
    error = error_of(client.post(f"{API}/products", json=product_body(gtin="4901234567893")), 422)
    assert error == {
        "code": "invalid",
        "message": "GTIN must be 8, 12, 13 or 14 digits with a valid check digit",
        "field": "gtin",
    }


@pytest.mark.parametrize(
    "hs_code",
    ["09021000", "090210000", "09021000001", "090210000012", "09021000001234", "0902", ""],
)
def test_an_hs_code_of_the_wrong_length_answers_422_naming_hs_code(
    client: FlaskClient, hs_code: str
):
    error = error_of(client.post(f"{API}/products", json=product_body(hs_code=hs_code)), 422)
    assert (error["code"], error["field"]) == ("invalid", "hs_code")


@pytest.mark.parametrize("hs_code", ["09021O0000", "7702100000", "9802100000", "09 02100000"])
def test_an_hs_code_that_is_not_digits_of_a_real_chapter_answers_422(
    client: FlaskClient, hs_code: str
):
    error = error_of(client.post(f"{API}/products", json=product_body(hs_code=hs_code)), 422)
    assert error["field"] == "hs_code"


def test_an_hs_code_with_the_three_inspection_digits_is_accepted(client: FlaskClient):
    created = ok(client.post(f"{API}/products", json=product_body(hs_code="0902100000101")), 201)
    assert created["hs_code"] == "0902100000101"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("net_weight_g", -100),
        ("net_weight_g", 0),
        ("gross_weight_g", -1),
        ("length_mm", -80),
        ("width_mm", 0),
        ("height_mm", -1),
        ("declared_unit_value", "-0.01"),
        ("declared_unit_value", -1),
    ],
)
def test_negative_or_zero_weights_sizes_and_values_answer_422_naming_the_field(
    client: FlaskClient, field: str, value: object
):
    error = error_of(client.post(f"{API}/products", json=product_body(**{field: value})), 422)
    assert (error["code"], error["field"]) == ("invalid", field)


def test_a_gross_weight_below_the_net_weight_answers_422_naming_gross_weight(
    client: FlaskClient,
):
    response = client.post(
        f"{API}/products", json=product_body(net_weight_g=100, gross_weight_g=99)
    )
    assert error_of(response, 422) == {
        "code": "invalid",
        "message": "gross weight cannot be below net weight",
        "field": "gross_weight_g",
    }


@pytest.mark.parametrize("value", [100.5, 100.0, "100", True, None])
def test_a_weight_that_is_not_a_json_integer_answers_422_naming_the_field(
    client: FlaskClient, value: object
):
    error = error_of(client.post(f"{API}/products", json=product_body(net_weight_g=value)), 422)
    assert error["field"] == "net_weight_g"
    assert error["details"][0]["field"] == "net_weight_g"


def test_a_value_with_more_than_four_decimals_answers_422(client: FlaskClient):
    response = client.post(f"{API}/products", json=product_body(declared_unit_value="1.23456"))
    assert error_of(response, 422)["field"] == "declared_unit_value"


def test_a_missing_required_field_answers_422_naming_it(client: FlaskClient):
    body = product_body()
    del body["hs_code"]
    error = error_of(client.post(f"{API}/products", json=body), 422)
    assert error["field"] == "hs_code"
    assert error["message"] == "hs_code: Field required"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/warehouses", {"code": "X1", "name": "x", "colour": "red"}),
        ("/warehouses/SHA1/zones", {"code": "Z", "name": "z", "is_bonded": True, "colour": 1}),
        (
            "/locations",
            {"warehouse_code": "SHA1", "code": "Z", "kind": "bin", "colour": None},
        ),
        ("/products", product_body(colour="red")),
    ],
    ids=["warehouse", "zone", "location", "product"],
)
def test_an_unknown_field_answers_422_naming_it(
    warehouse: Database, client: FlaskClient, path: str, body: dict[str, Any]
):
    error = error_of(client.post(API + path, json=body), 422)
    assert error["code"] == "invalid"
    assert error["field"] == "colour"
    assert error["details"] == [{"field": "colour", "message": "Extra inputs are not permitted"}]


def test_every_problem_of_a_body_is_listed(client: FlaskClient):
    body = product_body(net_weight_g=-1, currency="euro", colour="red")
    error = error_of(client.post(f"{API}/products", json=body), 422)
    assert sorted(d["field"] for d in error["details"]) == ["colour", "currency", "net_weight_g"]


# --- text the API accepts must fit where it is stored ------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/warehouses", {"code": "W" * 17, "name": "x"}, "code"),
        ("/warehouses", {"code": "W2", "name": "n" * 121}, "name"),
        ("/warehouses/SHA1/zones", {"code": "Z" * 17, "name": "z", "is_bonded": True}, "code"),
        ("/warehouses/SHA1/zones", {"code": "Z", "name": "n" * 121, "is_bonded": True}, "name"),
        (
            "/locations",
            {"warehouse_code": "SHA1", "code": "C" * 33, "kind": "bin", "barcode": "C-33"},
            "code",
        ),
        (
            "/locations",
            {"warehouse_code": "SHA1", "code": "C-1", "kind": "bin", "name": "n" * 121},
            "name",
        ),
        ("/products", product_body(tax_category="t" * 33), "tax_category"),
    ],
    ids=[
        "warehouse-code-17",
        "warehouse-name-121",
        "zone-code-17",
        "zone-name-121",
        "location-code-33",
        "location-name-121",
        "tax-category-33",
    ],
)
def test_text_longer_than_its_database_column_answers_422_naming_the_field(
    warehouse: Database, client: FlaskClient, path: str, body: dict[str, Any], field: str
):
    error = error_of(client.post(API + path, json=body), 422)
    assert (error["code"], error["field"]) == ("invalid", field)


def test_a_default_barcode_too_long_for_its_column_is_refused_not_stored(client: FlaskClient):
    # 16-character warehouse code + "-" + 32-character location code = a 49-character
    # barcode; barcodes hold 48.
    new_warehouse(client, code="W" * 16)
    body = {"warehouse_code": "W" * 16, "code": "C" * 32, "kind": "bin"}
    error = error_of(client.post(f"{API}/locations", json=body), 422)
    assert error["field"] in {"code", "barcode"}
