"""PDF labels scan back: every kind is rendered, rasterised at 203 dpi and decoded, and the
decoded data must be exactly what the label carries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from reportlab.pdfgen.canvas import Canvas

from labels import gs1
from labels.masking import mask_name, mask_phone
from labels.model import (
    CN22,
    Address,
    BinLabel,
    CN22Item,
    DisplayTag,
    LotLabel,
    ShippingLabel,
    SSCCLabel,
)
from labels.pdf import render_pdf
from labels.pdf_draw import code128, draw_bars
from tests.unit.labels.decoding import Decoded, decode, pdf_pages

GS = "\x1d"

SENDER = Address(
    "Ningbo Bonded Logistics Centre",
    "0574-8686 1234",
    ("No. 8 Xingye Road", "Meishan Bonded Port Area"),
    "Ningbo",
    "315832",
    "CN",
    "Zhejiang",
)
CONSIGNEE_NAME, CONSIGNEE_PHONE = "欧阳娜娜", "13812345678"


def consignee() -> Address:
    return Address(
        mask_name(CONSIGNEE_NAME),
        mask_phone(CONSIGNEE_PHONE),
        ("广东省深圳市南山区科技园路88号", "3栋1201室"),
        "深圳市",
        "518057",
        "CN",
        "广东省",
    )


def shipping_label(**changes: object) -> ShippingLabel:
    fields: dict[str, object] = {
        "courier": "SF Express",
        "service": "Standard Express",
        "sort_code": "755WA-021",
        "tracking_number": "SF1402638857123",
        "sender": SENDER,
        "consignee": consignee(),
        "weight_g": 1234,
        "parcel_index": 2,
        "parcel_count": 3,
        "order_reference": "TM202603140001",
        "ship_date": date(2026, 3, 14),
        "declaration_number": "310520261000012345",
    }
    fields.update(changes)
    return ShippingLabel(**fields)  # type: ignore[arg-type]


CN22_ITEMS = (
    CN22Item("Merino wool socks", 3, 240, Decimal("36.00"), "611595", "AU"),
    CN22Item("Manuka honey 250 g", 2, 560, Decimal("58.50"), "040900", "NZ"),
)


def customs_label(
    items: tuple[CN22Item, ...] = CN22_ITEMS, category: str = "gift"
) -> ShippingLabel:
    cn22 = CN22(category, items, "USD", "J. Smith", date(2026, 3, 13))
    return shipping_label(
        courier="Australia Post",
        service="International Economy",
        sort_code="SYD-INT-7",
        tracking_number="LX123456789AU",
        weight_g=850,
        parcel_index=1,
        parcel_count=1,
        declaration_number=None,
        cn22=cn22,
    )


BIN = BinLabel("NB1-A-01-02-3", "A-01-02-3", "Ningbo bonded · zone A")
LOT = LotLabel("09501101530003", "L2026-0412A", "SKU-0042", "Manuka honey 250 g", date(2027, 3, 31))
LOT_NO_EXPIRY = LotLabel("09501101530003", "L2026-0412A", "SKU-0042", "Manuka honey 250 g")
SSCC = SSCCLabel(
    1,
    "0614141",
    "123456789",
    "Ningbo Bonded Logistics Centre\nMeishan, Ningbo",
    "JD Logistics Hangzhou hub",
    "REL-2026-0314-02",
    "浙B·12345",
    48,
    356_500,
)
TAG = DisplayTag(
    "Manuka honey UMF 10+",
    "SKU-0042",
    "Shanghai showroom 2F",
    "https://go.example.cn/t/ab12cd34",
    "LOAN-2026-0099",
)


def scanned(label: object) -> list[Decoded]:
    [page] = pdf_pages(render_pdf([label]))  # type: ignore[list-item]
    return decode(page)


def plain(text: str) -> Decoded:
    return Decoded("Code 128", text, text, "]C0")


def test_a_parcel_label_scans_as_its_sort_code_and_tracking_number():
    assert scanned(shipping_label()) == [plain("755WA-021"), plain("SF1402638857123")]


def test_the_customs_variant_keeps_both_barcodes():
    assert scanned(customs_label()) == [plain("LX123456789AU"), plain("SYD-INT-7")]


def test_a_bin_label_scans_as_its_barcode_not_its_display_code():
    assert scanned(BIN) == [plain("NB1-A-01-02-3")]


@pytest.mark.parametrize(
    ("label", "text", "hri"),
    [
        (
            LOT,
            "01095011015300031727033110L2026-0412A",
            "(01)09501101530003(17)270331(10)L2026-0412A",
        ),
        (LOT_NO_EXPIRY, "010950110153000310L2026-0412A", "(01)09501101530003(10)L2026-0412A"),
    ],
)
def test_a_lot_label_is_one_gs1_128_with_the_lot_last(label: LotLabel, text: str, hri: str):
    pairs = [("01", label.gtin14), ("10", label.lot)]
    if label.expiry:
        pairs.insert(1, ("17", label.expiry.strftime("%y%m%d")))
    assert hri == gs1.hri(*pairs)
    assert scanned(label) == [Decoded("Code 128", text, hri, "]C1")]


def test_a_gtin_13_is_encoded_as_its_14_digit_form():
    label = LotLabel("4006381333931", "7", "SKU-1", "Pens", date(2028, 1, 31))
    [symbol] = scanned(label)
    assert (symbol.text, symbol.symbology) == ("01040063813339311728013110" + "7", "]C1")
    assert gs1.parse_scan(symbol.symbology + symbol.text).gtin == "04006381333931"


def test_a_lot_too_long_for_one_symbol_is_split_into_two_gs1_128():
    label = LotLabel("09501101530003", "ABCDEFGHIJKLMNOPQRST", "SKU-9", "Honey", date(2027, 3, 31))
    assert scanned(label) == [
        Decoded("Code 128", "010950110153000317270331", "(01)09501101530003(17)270331", "]C1"),
        Decoded("Code 128", "10ABCDEFGHIJKLMNOPQRST", "(10)ABCDEFGHIJKLMNOPQRST", "]C1"),
    ]


def test_an_sscc_label_is_gs1_128_of_ai_00():
    assert SSCC.sscc == "106141411234567897"
    assert scanned(SSCC) == [
        Decoded("Code 128", "00106141411234567897", gs1.hri(("00", SSCC.sscc)), "]C1")
    ]


def test_a_display_tag_carries_its_url_as_a_qr_code():
    [symbol] = scanned(TAG)
    assert (symbol.format, symbol.text) == ("QR Code", "https://go.example.cn/t/ab12cd34")


@pytest.mark.parametrize(
    ("pairs", "text"),
    [
        ((("10", "A1B2C3"), ("17", "270331"), ("21", "12345")), f"10A1B2C3{GS}172703312112345"),
        ((("10", "12345"), ("21", "678")), f"1012345{GS}21678"),
        ((("21", "X9"), ("10", "7")), f"21X9{GS}107"),
    ],
)
def test_a_variable_field_before_another_ends_with_a_group_separator(
    pairs: tuple[tuple[str, str], ...], text: str
):
    """Not a layout our labels use, but the encoder must put FNC1 in the middle right
    (ReportLab's optimising Code128 drops a digit after it)."""
    dot = 72 / 203
    page = Canvas(None, pagesize=(812 * dot, 300 * dot))
    draw_bars(page, code128(gs1.element_string(*pairs)), 40 * dot, 40 * dot, 2, 15 / 25.4 * 72)
    page.showPage()
    assert decode(pdf_pages(page.getpdfdata())[0]) == [
        Decoded("Code 128", text, gs1.hri(*pairs), "]C1")
    ]


def test_every_page_of_a_mixed_batch_scans_back_in_order():
    batch = [shipping_label(), BIN, LOT, SSCC, TAG, customs_label(), LOT_NO_EXPIRY, BIN]
    texts = [sorted(d.text for d in decode(page)) for page in pdf_pages(render_pdf(batch))]
    assert texts == [
        ["755WA-021", "SF1402638857123"],
        ["NB1-A-01-02-3"],
        ["01095011015300031727033110L2026-0412A"],
        ["00106141411234567897"],
        ["https://go.example.cn/t/ab12cd34"],
        ["LX123456789AU", "SYD-INT-7"],
        ["010950110153000310L2026-0412A"],
        ["NB1-A-01-02-3"],
    ]


def test_a_long_sort_code_still_fits_beside_its_text_and_scans():
    label = shipping_label(sort_code="SHA-PVG-INT-42")
    assert scanned(label) == [plain("SF1402638857123"), plain("SHA-PVG-INT-42")]
