"""Export paperwork: commercial invoice, CN22 / CN23, the EU low-value data set and the
monthly summary of export lists."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from customs.export_documents import (
    ExportItem,
    ExportListLine,
    ExportShipment,
    Party,
    eu_low_value_csv,
    eu_low_value_json,
    monthly_summary,
    render_commercial_invoice,
    render_customs_declaration,
    summary_csv,
)
from tests.unit.customs.test_inventory_pdf import page_texts

D = Decimal
EXPORTER = Party("Ningbo Youxuan Trading Co., Ltd.", ("No. 8 Xingye Road", "Meishan Bonded Port"),
                 "Ningbo", "315832", "CN", phone="+86 574 8686 1234")  # fmt: skip
CONSIGNEE = Party("Anna Schmidt", ("Hauptstraße 5",), "Berlin", "10115", "DE",
                  tax_id="DE123456789")  # fmt: skip
ITEMS = (
    ExportItem("Silk scarf, 100% mulberry silk", "621410", "CN", 2, D("18.50"), 120),
    ExportItem("Ceramic tea cup set", "691200", "CN", 1, D("24.00"), 850),
)
SHIPMENT = ExportShipment(
    invoice_no="INV-2026-000123",
    invoice_date=date(2026, 7, 3),
    order_no="EX2607030001",
    waybill_no="LX123456789CN",
    exporter=EXPORTER,
    consignee=CONSIGNEE,
    incoterm="DAP",
    currency="EUR",
    items=ITEMS,
    gross_weight_g=1200,
    freight=D("6.00"),
    ioss_number="IM2760000001",
)


def test_the_invoice_carries_terms_codes_values_and_weights():
    (text,) = page_texts(render_commercial_invoice(SHIPMENT))
    for expected in (
        "COMMERCIAL INVOICE",
        "INV-2026-000123",
        "LX123456789CN",
        "DAP",
        "621410",
        "691200",
        "37.00",  # 2 x 18.50
        "61.00 EUR",  # goods value
        "67.00 EUR",  # with freight
        "0.970 kg",  # net
        "1.200 kg",  # gross
        "Hauptstraße 5",
        "DE123456789",
        "IOSS: IM2760000001",
        "page 1 of 1",
    ):
        assert expected in text, expected


def test_a_long_invoice_runs_on():
    items = tuple(replace(ITEMS[0], description=f"Scarf {n}") for n in range(30))
    pages = page_texts(
        render_commercial_invoice(replace(SHIPMENT, items=items, gross_weight_g=4000))
    )
    assert len(pages) == 2 and "Scarf 29" in pages[1] and "1,110.00 EUR" in pages[1]
    assert "Continued on the next page" in pages[0]


@pytest.mark.parametrize("form", ["CN22", "CN23"])
def test_the_customs_declaration(form):
    pdf = render_customs_declaration(SHIPMENT, form, signed_on=date(2026, 7, 3), signature="W. Li")
    (text,) = page_texts(pdf)
    for expected in (form, "Sale of goods", "621410", "37.00", "1.200 kg", "61.00 EUR",
                     "LX123456789CN", "2026-07-03"):  # fmt: skip
        assert expected in text, expected
    assert ("Anna Schmidt" in text) == (form == "CN23")  # CN22 has no address block


def test_a_cn22_has_five_lines_more_need_a_cn23():
    items = tuple(replace(ITEMS[0], description=f"Item {n}") for n in range(6))
    with pytest.raises(ValueError, match="CN23"):
        render_customs_declaration(replace(SHIPMENT, items=items, gross_weight_g=900), "CN22")
    long = replace(SHIPMENT, items=items, gross_weight_g=900)
    (text,) = page_texts(render_customs_declaration(long, "CN23"))
    assert "Item 5" in text


def test_eu_low_value_data_set():
    rows = list(csv.DictReader(io.StringIO(eu_low_value_csv([SHIPMENT]))))
    assert len(rows) == 2
    assert rows[0]["consignee_country"] == "DE" and rows[0]["hs_code"] == "621410"
    assert rows[0]["intrinsic_value"] == "37.00" and rows[1]["consignment_value"] == "61.00"
    assert rows[0]["ioss_number"] == "IM2760000001"
    (consignment,) = json.loads(eu_low_value_json([SHIPMENT]))
    assert consignment["waybill_no"] == "LX123456789CN"
    assert [item["description"] for item in consignment["items"]] == [i.description for i in ITEMS]
    us = replace(SHIPMENT, consignee=replace(CONSIGNEE, country="US"))
    with pytest.raises(ValueError, match="not to the EU"):
        eu_low_value_csv([us])


def _line(list_no: str, hs: str, day: int = 5, **changes: object) -> ExportListLine:
    line = ExportListLine(list_no, date(2026, 7, day), "3105960100", "宁波优选", "9610", "3105",
                          "DE", hs, "011", D(2), "USD", D("30.00"), 500, 400)  # fmt: skip
    return replace(line, **changes) if changes else line  # type: ignore[arg-type]


def test_monthly_summary_groups_as_declared():
    lines = [
        _line("E1", "6214100000"),
        _line("E2", "6214100090"),  # same 6 digits
        _line("E2", "6214900000"),  # same 4 digits only
        _line("E3", "6214100000", destination="FR"),
        _line("E4", "6214100000", currency="EUR"),
        _line("E5", "6214100000", day=1, **{"declared_on": date(2026, 8, 1)}),  # next month
    ]
    six = monthly_summary(lines, 2026, 7, hs_digits=6)
    assert [(s.destination, s.hs_group, s.currency, s.lists) for s in six] == [
        ("DE", "621410", "EUR", ("E4",)),
        ("DE", "621410", "USD", ("E1", "E2")),
        ("DE", "621490", "USD", ("E2",)),
        ("FR", "621410", "USD", ("E3",)),
    ]
    merged = six[1]
    assert merged.quantity == 4 and merged.value == D("60.00") and merged.gross_weight_g == 1000
    four = monthly_summary(lines, 2026, 7, hs_digits=4)
    assert [(s.hs_group, s.currency, s.lists) for s in four if s.destination == "DE"] == [
        ("6214", "EUR", ("E4",)),
        ("6214", "USD", ("E1", "E2")),
    ]
    rows = list(csv.reader(io.StringIO(summary_csv(four))))
    assert rows[0][5] == "hs_code" and len(rows) == 1 + len(four)


def test_bad_export_data_is_refused():
    with pytest.raises(ValueError, match="Incoterm"):
        replace(SHIPMENT, incoterm="XYZ")
    with pytest.raises(ValueError, match="HS code"):
        replace(ITEMS[0], hs_code="12")
    with pytest.raises(ValueError, match="below the items"):
        replace(SHIPMENT, gross_weight_g=10)
