"""Customs documents built from the records: the import list and order of a declaration
(lots, account book lines, channel, courier, consignee, taxes), their PDF and messages,
a batch's lists and release note with the gate weight check, the export papers and the
monthly export summary."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date
from decimal import Decimal

import pytest

from customs.inventory_list import InventoryList
from customs.message_check import check_message
from customs.release_note import WeightTolerance
from tests import factories as f
from tests.integration.customs import support as c
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import CustomsDeclaration
from wms.services import customs_documents as documents
from wms.services import declarations, orders, releases
from wms.services.errors import Conflict, NotFound

BUYER_ID = "11010519491231002X"


@pytest.fixture
def wh(db: Database) -> Database:
    return c.stocked(db)


def record(db: Database, number: str) -> CustomsDeclaration:
    with db.reading() as s:
        d = declarations.declaration_by_number(s, number)
        s.expunge(d)
        return d


def built_list(db: Database, number: str) -> InventoryList:
    with db.reading() as s:
        return documents.inventory_list(s, declarations.declaration_by_number(s, number))


def test_the_list_names_the_reserved_lots_book_lines_channel_courier_and_taxes(wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 2), (f.SERUM.sku, 1))
    d = record(wh, number)

    invt = built_list(wh, number)

    assert (invt.cop_no, invt.invt_no, invt.number) == (number, None, number)
    assert invt.order_no.startswith("T")
    assert invt.logistics_no == f"SF{order_id:010d}"
    assert invt.logistics.code == "SF"
    # milk came in under ED-1 line 1, serum under line 2: the book and its item numbers
    assert invt.ems_no == "ED-1"
    assert [(line.item_no, line.item_record_no, line.qty) for line in invt.lines] == [
        (f.MILK.sku, "1", Decimal(2)),
        (f.SERUM.sku, "2", Decimal(1)),
    ]
    assert [line.gcode for line in invt.lines] == ["0402210000", "0402210000"]
    assert (invt.platform.code, invt.ecommerce.code, invt.ecommerce.name) == (
        "3301960000", "31149679BN", "Merchant M1",
    )  # fmt: skip
    assert (invt.trade_mode, invt.customs_code, invt.country) == ("1210", "2216", "609")
    assert (invt.buyer.id_number, invt.buyer.telephone) == (BUYER_ID, "13812345678")
    assert invt.area is not None and invt.area.code == f.WAREHOUSE
    # not packed yet: the products' weights (milk and serum weigh the same in the factory)
    assert (invt.gross_weight_g, invt.net_weight_g) == (3 * 1020, 3 * 900)
    assert invt.goods_value == Decimal("597.00")
    assert (invt.taxes.vat, invt.taxes.tariff, invt.taxes.total) == (
        d.vat, d.tariff, d.tax_total,
    )  # fmt: skip
    assert invt.taxes.total > 0
    with wh.reading() as s:
        order = documents.import_order(s, declarations.declaration_by_number(s, number))
    assert (order.goods_value, order.freight, order.tax_total) == (
        Decimal("597.00"), Decimal("10.00"), d.tax_total.quantize(Decimal("0.01")),
    )  # fmt: skip
    assert order.actural_paid == order.goods_value + order.freight + order.tax_total


def test_lots_from_two_entry_declarations_name_both_books(wh):
    f.declare(wh, "ED-2", (f.MILK.sku, 10))
    f.receive(wh, "ED-2", f.MILK.sku, "L9", 10, expiry_date=date(2027, 1, 1))
    f.putaway(wh, f.MILK.sku, "L9", 10, to=f.BINS[1])
    # FEFO takes the 10 of L9 (earlier expiry) first, then 2 of L1
    _, number = c.declared(wh, (f.MILK.sku, 12), unit_price=Decimal("20.00"))

    invt = built_list(wh, number)

    assert invt.ems_no == "ED-2,ED-1"
    assert [(line.item_record_no, line.qty) for line in invt.lines] == [
        ("ED-2/1", Decimal(10)),
        ("ED-1/1", Decimal(2)),
    ]


def test_once_packed_the_list_takes_the_parcel_lots_and_weight_and_customs_number(wh):
    order_id = o.receive_order(wh, (f.MILK.sku, 1))
    o.labelled_parcel(wh, order_id)  # parcel weighed 1500 g
    with wh.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
    with wh.transaction() as s:
        s.get(CustomsDeclaration, record(wh, number).id).customs_number = "22162026I000123"

    invt = built_list(wh, number)

    assert (invt.gross_weight_g, invt.net_weight_g) == (1500, 900)
    assert (invt.invt_no, invt.number) == ("22162026I000123", "22162026I000123")
    assert [(line.item_record_no, line.qty) for line in invt.lines] == [("1", Decimal(1))]


def test_a_list_without_reserved_goods_is_refused_naming_the_lines(wh):
    order_id = o.receive_order(wh, (f.MILK.sku, 1))
    o.advance(wh, order_id, "allocated", "planned", "declared")  # no reservation made
    with wh.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
    with pytest.raises(Conflict) as caught:
        built_list(wh, number)
    assert caught.value.field == "lines"


def test_the_pdf_shows_number_waybill_totals_and_masks_the_id_unless_asked(wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 2))
    d = record(wh, number)
    with wh.reading() as s:
        masked = documents.list_pdf(s, [number])
        shown = documents.list_pdf(s, [number], show_personal_data=True)

    (page,) = c.pdf_pages(masked)
    assert number in page
    assert f"SF{order_id:010d}" in page
    assert "398.00" in page  # goods 2 x 199.00
    assert f"{d.tax_total.quantize(Decimal('0.01'))}" in page
    assert BUYER_ID not in page and "13812345678" not in page
    assert "002X" in page  # the last four stay
    (full,) = c.pdf_pages(shown)
    assert BUYER_ID in full


def test_a_batch_of_lists_is_one_pdf_with_a_page_each_in_the_given_order(wh):
    numbers = [c.declared(wh, (f.MILK.sku, 1))[1] for _ in range(3)]
    with wh.reading() as s:
        pages = c.pdf_pages(documents.list_pdf(s, list(reversed(numbers))))
    assert len(pages) == 3
    assert [next(n for n in numbers if n in page) for page in pages] == list(reversed(numbers))


def test_the_messages_conform_and_carry_order_waybill_and_buyer(wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 2), (f.SERUM.sku, 1))
    with wh.reading() as s:
        archive = documents.messages_zip(s, [number])
        again = documents.messages_zip(s, [number])
        order_number = orders.order_by_id(s, order_id).order_number

    files = c.zip_files(archive)
    assert sorted(files) == [f"{number}-CEB311.xml", f"{number}-CEB621.xml"]
    for xml in files.values():
        assert check_message(xml) == []
        text = xml.decode()
        assert f"<ceb:orderNo>{order_number}</ceb:orderNo>" in text
        assert f"<ceb:buyerIdNumber>{BUYER_ID}</ceb:buyerIdNumber>" in text
    inventory = files[f"{number}-CEB621.xml"].decode()
    assert f"<ceb:logisticsNo>SF{order_id:010d}</ceb:logisticsNo>" in inventory
    assert f"<ceb:copNo>{number}</ceb:copNo>" in inventory
    assert "<ceb:itemRecordNo>2</ceb:itemRecordNo>" in inventory
    assert c.zip_files(again) == files  # the same declaration, the same messages


def test_an_export_list_has_no_import_documents(wh):
    _, number = c.export_order(wh)
    with wh.reading() as s, pytest.raises(Conflict) as caught:
        documents.list_pdf(s, [number])
    assert caught.value.field == "number"


def loaded_batch(db: Database, *order_ids: int, plate: str = "沪A12345") -> str:
    parcels = [o.labelled_parcel(db, order_id) for order_id in order_ids]
    with db.transaction() as s:
        number = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate=plate, actor="gate"
        ).number
    for parcel in parcels:
        with db.transaction() as s:
            releases.load_parcel(s, releases.LoadScan(number, parcel, f.key("load"), "loader"))
    return number


def test_a_batch_lists_its_declarations_in_parcel_order_and_its_release_note(wh):
    a = o.receive_order(wh, (f.MILK.sku, 1))
    b = o.receive_order(wh, (f.SERUM.sku, 1))
    batch = loaded_batch(wh, b, a)
    with wh.reading() as s:
        refs = [orders.order_by_id(s, i).declaration_ref for i in (b, a)]
        assert documents.batch_numbers(s, batch) == refs
        pdf, xml, weighing = documents.release_note_for(
            s, batch, vehicle_weight_g=3_000_000, measured_weight_g=3_003_000
        )
        with pytest.raises(NotFound):
            documents.batch_numbers(s, "RB-NOPE")

    assert weighing is not None
    # vehicle 3000 kg + two parcels of 1.5 kg; 2 % of that is 60.06 kg
    assert (weighing.expected_g, weighing.allowed_g, weighing.passed) == (3_003_000, 60_060, True)
    (page,) = c.pdf_pages(pdf)
    assert batch in page and "沪A12345" in page
    assert all(ref in page for ref in refs)
    assert "3.000" in page  # total gross kg of the two parcels
    text = xml.decode()
    assert [f"<RtlBillNo>{ref}</RtlBillNo>" in text for ref in refs] == [True, True]
    assert "<TotalGrossWt>3</TotalGrossWt>" in text
    assert "<VehicleNo>沪A12345</VehicleNo>" in text


@pytest.mark.parametrize(
    ("measured", "passed"),
    [(3_003_000 + 60_060, True), (3_003_000 + 60_061, False), (3_003_000 - 60_061, False)],
)
def test_the_gate_check_passes_within_the_tolerance_only(wh, measured, passed):
    batch = loaded_batch(
        wh, o.receive_order(wh, (f.MILK.sku, 1)), o.receive_order(wh, (f.MILK.sku, 1))
    )
    with wh.reading() as s:
        _, weighing = documents.gate_check(
            s, batch, vehicle_weight_g=3_000_000, measured_weight_g=measured
        )
    assert weighing is not None and weighing.passed is passed


def test_a_small_van_gets_the_minimum_tolerance(wh):
    batch = loaded_batch(wh, o.receive_order(wh, (f.MILK.sku, 1)))
    with wh.reading() as s:
        _, weighing = documents.gate_check(
            s, batch, vehicle_weight_g=100_000, measured_weight_g=105_000
        )
        _, strict = documents.gate_check(
            s,
            batch,
            vehicle_weight_g=100_000,
            measured_weight_g=101_500,
            tolerance=WeightTolerance(Decimal("0"), 0),
        )
    assert documents.GATE_TOLERANCE.minimum_g == 5_000
    assert weighing is not None and (weighing.allowed_g, weighing.passed) == (5_000, True)
    assert strict is not None and strict.passed


def month_of(db: Database, number: str) -> tuple[int, int]:
    submitted = record(db, number).submitted_at
    assert submitted is not None
    beijing = submitted.replace(tzinfo=submitted.tzinfo or UTC).astimezone(documents.CHINA)
    return beijing.year, beijing.month


def test_export_papers_invoice_and_the_customs_form_by_value(wh):
    small, small_list = c.export_order(wh, "DE", Decimal("20.00"))
    large, _ = c.export_order(wh, "US", Decimal("5000.00"))
    with wh.reading() as s:
        shipment = documents.export_shipment(s, orders.order_by_id(s, small))
        invoice = documents.commercial_invoice_pdf(s, orders.order_by_id(s, small))
        form_small, _ = documents.customs_form_pdf(s, orders.order_by_id(s, small))
        form_large, pdf_large = documents.customs_form_pdf(s, orders.order_by_id(s, large))

    assert (shipment.invoice_no, shipment.waybill_no) == (small_list, f"SF{small:010d}")
    assert (shipment.consignee.country, shipment.currency, shipment.goods_value) == (
        "DE", "CNY", Decimal("20.00"),
    )  # fmt: skip
    assert shipment.items[0].hs_code == "0402210000" and shipment.items[0].origin == "NZ"
    text = "".join(c.pdf_pages(invoice))
    assert small_list in text and f"SF{small:010d}" in text and "30.00" in text  # + freight
    assert (form_small, form_large) == ("CN22", "CN23")
    assert "CN23" in "".join(c.pdf_pages(pdf_large))


def test_the_eu_low_value_set_holds_the_months_low_value_eu_orders_only(wh):
    de, de_list = c.export_order(wh, "DE", Decimal("20.00"))
    c.export_order(wh, "US", Decimal("20.00"))  # not to the EU
    c.export_order(wh, "FR", Decimal("5000.00"))  # over EUR 150: a full declaration
    year, month = month_of(wh, de_list)
    with wh.reading() as s:
        rows = list(csv.DictReader(io.StringIO(documents.eu_low_value_data(s, year, month))))
        consignments = json.loads(documents.eu_low_value_data(s, year, month, "json"))
        empty = documents.eu_low_value_data(s, year - 1, month)
    assert [(r["waybill_no"], r["consignee_country"], r["hs_code"]) for r in rows] == [
        (f"SF{de:010d}", "DE", "040221")
    ]
    assert [item["intrinsic_value"] for item in consignments[0]["items"]] == ["20.00"]
    assert empty.count("\n") == 1  # the header only


def test_the_monthly_summary_sums_export_lines_by_destination_and_hs(wh):
    _, first = c.export_order(wh, "DE", Decimal("20.00"), quantity=2)
    c.export_order(wh, "DE", Decimal("30.00"))
    c.export_order(wh, "US", Decimal("20.00"))
    year, month = month_of(wh, first)
    with wh.reading() as s:
        rows = list(csv.DictReader(io.StringIO(documents.monthly_export_summary(s, year, month))))
        four = documents.monthly_export_summary(s, year, month, hs_digits=4)
    assert [
        (r["destination"], r["hs_code"], r["value"], r["net_kg"], r["lists"]) for r in rows
    ] == [
        ("DE", "040221", "70.00", "2.700", "2"),
        ("US", "040221", "20.00", "0.900", "1"),
    ]
    assert {r["exporter_code"] for r in rows} == {"31149679BN"}
    assert "0402," in four


def test_declarations_list_is_filtered_by_what_the_caller_may_see(wh):
    _, mine = c.declared(wh, (f.MILK.sku, 1))
    _, theirs = c.declared(wh, (f.MILK.sku, 1), channel_code=c.OTHER_CHANNEL)
    internal, broker = c.token(wh), c.token(wh, "B1")
    with wh.reading() as s:
        from wms.services import brokers

        everyone = brokers.authenticate(s, internal)
        b1 = brokers.authenticate(s, broker)
        assert everyone is not None and b1 is not None
        seen = documents.list_declarations(s, b1, documents.DeclarationFilter())
        all_rows = documents.list_declarations(s, everyone, documents.DeclarationFilter(limit=1))
        assert documents.visible_numbers(s, b1, [theirs, mine]) == [mine]
        with pytest.raises(NotFound):
            documents.visible_declaration(s, b1, theirs)
    assert [r["number"] for r in seen["declarations"]] == [mine]
    assert [r["number"] for r in all_rows["declarations"]] == [mine]
    assert all_rows["next_after_id"] is not None
