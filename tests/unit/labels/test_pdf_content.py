"""What PDF labels say and how they are laid out: pages, page sizes, text, masking, the
CN22 block, vector barcodes, and the data they refuse."""

from __future__ import annotations

from decimal import Decimal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import ImageStat

from labels.model import BinLabel, CN22Item, LotLabel
from labels.pdf import page_size, render_pdf
from labels.pdf_shipping import CATEGORIES, CATEGORY_BOXES, CHECKBOX
from tests.unit.labels.decoding import THERMAL_DPI, pdf_pages
from tests.unit.labels.test_pdf_decoding import (
    BIN,
    CONSIGNEE_NAME,
    CONSIGNEE_PHONE,
    LOT,
    LOT_NO_EXPIRY,
    SSCC,
    TAG,
    customs_label,
    shipping_label,
)

MM = 72 / 25.4


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def text_of(label: object) -> str:
    [text] = page_texts(render_pdf([label]))  # type: ignore[list-item]
    return text


def test_a_mixed_batch_is_one_page_per_label_each_sized_for_its_kind():
    batch = [shipping_label(), BIN, LOT, SSCC, TAG, customs_label(), LOT_NO_EXPIRY, BIN, BIN]
    document = pdfium.PdfDocument(render_pdf(batch))
    sizes_mm = [tuple(round(v / MM, 1) for v in page.get_size()) for page in document]
    assert len(document) == len(batch) == 9
    assert sizes_mm == [
        (101.6, 152.4),
        (100.0, 50.0),
        (100.0, 69.9),
        (101.6, 152.4),
        (90.0, 110.0),
        (101.6, 152.4),
        (100.0, 69.9),
        (100.0, 50.0),
        (100.0, 50.0),
    ]


@pytest.mark.parametrize(
    ("label", "nominal_mm", "dots"),
    [
        (shipping_label(), (101.6, 152.4), (812, 1218)),
        (SSCC, (101.6, 152.4), (812, 1218)),
        (BIN, (100, 50), (799, 400)),
        (LOT, (100, 70), (799, 559)),
        (TAG, (90, 110), (719, 879)),
    ],
)
def test_pages_are_whole_203_dpi_dots_within_0_07_mm_of_nominal(label, nominal_mm, dots):
    width, height = page_size(label)
    assert abs(width / MM - nominal_mm[0]) < 0.07 and abs(height / MM - nominal_mm[1]) < 0.07
    # The raster a 203-dpi rasteriser makes is exactly the printer's dots: no resampling.
    [page] = pdf_pages(render_pdf([label]))
    assert page.size == dots
    assert (round(width * THERMAL_DPI / 72), round(height * THERMAL_DPI / 72)) == dots


def test_the_parcel_label_prints_every_field():
    text = text_of(shipping_label())
    for expected in (
        "SF Express",
        "Standard Express",
        "755WA-021",
        "SF1402638857123",
        "Ningbo Bonded Logistics Centre",
        "0574-8686 1234",
        "No. 8 Xingye Road",
        "Ningbo Zhejiang 315832 CN",
        "广东省深圳市南山区科技园路88号",
        "3栋1201室",
        "深圳市 广东省 518057 CN",
        "INVENTORY LIST NO.",
        "310520261000012345",
        "1.234 kg",
        "2 / 3",
        "TM202603140001",
        "2026-03-14",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(("grams", "printed"), [(50, "0.050 kg"), (15_000, "15.000 kg")])
def test_weight_is_kg_with_three_decimals(grams: int, printed: str):
    assert printed in text_of(shipping_label(weight_g=grams))


def test_without_a_declaration_number_there_is_no_inventory_list_line():
    assert "INVENTORY LIST" not in text_of(shipping_label(declaration_number=None))


@pytest.mark.parametrize("label", [shipping_label(), customs_label()], ids=["e-waybill", "cn22"])
def test_the_consignee_is_printed_masked_and_never_in_full(label):
    text = text_of(label)
    assert "欧**娜" in text and "138****5678" in text
    assert CONSIGNEE_NAME not in text and CONSIGNEE_PHONE not in text


def test_the_cn22_block_lists_items_and_prints_totals():
    text = text_of(customs_label())
    for expected in (
        "CUSTOMS DECLARATION CN 22",
        "Merino wool socks",
        "611595",
        "AU",
        "0.240",
        "36.00",
        "Manuka honey 250 g",
        "040900",
        "NZ",
        "0.560",
        "58.50",
        "(USD)",
        "0.800",  # total net weight, kg
        "94.50 USD",  # total value and currency
        "J. Smith",
        "2026-03-13",
        "LX123456789AU",
        "0.850 kg",  # the parcel's weight
    ):
        assert expected in text, expected


def test_cn22_items_beyond_the_rows_are_summed_into_the_last_and_the_totals():
    items = tuple(
        CN22Item(f"Item {n}", n, 100 * n, Decimal(f"{n}.25"), "330499", "FR") for n in range(1, 8)
    )
    lines = text_of(customs_label(items)).split("\r\n")
    assert "Item 4 4 0.400 4.25 330499 FR" in lines
    assert "+ 3 more items 18 1.800 18.75" in lines  # items 5-7: qty, kg, value
    assert not any(line.startswith("Item 5") for line in lines)
    assert "2.800 29.75 USD" in lines  # totals over all seven items


def checkbox_darkness(category: str, label_category: str) -> float:
    """Mean darkness (0 white .. 1 black) inside a category's checkbox, border excluded."""
    [page] = pdf_pages(render_pdf([customs_label(category=label_category)]))
    left, top = CATEGORY_BOXES[category]
    px = THERMAL_DPI / 25.4
    inside = page.crop(
        (
            round((left + 0.5) * px),
            round((top + 0.5) * px),
            round((left + CHECKBOX - 0.5) * px),
            round((top + CHECKBOX - 0.5) * px),
        )
    )
    return 1 - ImageStat.Stat(inside).mean[0] / 255


@pytest.mark.parametrize("chosen", ["sale_of_goods", "documents"])
def test_only_the_chosen_cn22_category_is_ticked(chosen: str):
    darkness = {category: checkbox_darkness(category, chosen) for category in CATEGORIES}
    assert darkness[chosen] > 0.2
    assert all(darkness[c] < 0.02 for c in CATEGORIES if c != chosen), darkness


def test_an_unknown_cn22_category_is_refused():
    with pytest.raises(ValueError, match="CN22 category must be one of gift, documents"):
        customs_label(category="bribe")


def test_the_bin_label_prints_code_caption_and_barcode_text():
    assert text_of(BIN).split("\r\n") == ["Ningbo bonded · zone A", "A-01-02-3", "NB1-A-01-02-3"]


def test_the_lot_label_prints_hri_sku_name_lot_and_expiry():
    text = text_of(LOT)
    assert "(01)09501101530003(17)270331(10)L2026-0412A" in text
    for expected in ("SKU SKU-0042", "Manuka honey 250 g", "LOT L2026-0412A", "EXP 2027-03-31"):
        assert expected in text, expected
    assert "EXP" not in text_of(LOT_NO_EXPIRY)


def test_the_sscc_label_groups_its_hri_and_prints_the_shipment():
    text = text_of(SSCC).replace("\r\n", " ")  # ship from / to wrap in their columns
    assert "(00) 1 0614141 123456789 7" in text
    for expected in (
        "Ningbo Bonded Logistics Centre",
        "Meishan, Ningbo",
        "JD Logistics Hangzhou hub",
        "REL-2026-0314-02",
        "浙B·12345",
        "48",
        "356.500 kg",
    ):
        assert expected in text, expected


def test_the_display_tag_prints_both_headlines_and_the_loan():
    text = text_of(TAG)
    for expected in (
        "Display only, not for sale",
        "仅供展示 非卖品",
        "Manuka honey UMF 10+",
        "SKU-0042",
        "Shanghai showroom 2F",
        "LOAN-2026-0099",
    ):
        assert expected in text, expected


def test_barcodes_are_vector_paths_not_images():
    batch = [shipping_label(), customs_label(), BIN, LOT, SSCC, TAG]
    document = pdfium.PdfDocument(render_pdf(batch))
    kinds = {obj.type for page in document for obj in page.get_objects(max_depth=3)}
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in kinds
    assert pdfium_c.FPDF_PAGEOBJ_PATH in kinds


def test_the_same_labels_give_the_same_bytes():
    batch = [shipping_label(), customs_label(), BIN, LOT, SSCC, TAG]
    assert render_pdf(batch) == render_pdf(list(batch))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LotLabel("09501101530004", "L1", "S", "P"), "not a valid GTIN"),
        (lambda: LotLabel("09501101530003", "L 1", "S", "P"), "GS1 character set 82"),
        (lambda: LotLabel("09501101530003", "L" * 21, "S", "P"), "GS1 character set 82"),
        (lambda: BinLabel("A-01-é", "A-01"), "printable ASCII only"),
        (lambda: shipping_label(tracking_number="SF\n1"), "printable ASCII only"),
    ],
)
def test_data_that_cannot_be_printed_right_is_refused_when_the_label_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_bin_barcode_too_long_for_the_label_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        render_pdf([BinLabel("X" * 40, "X")])


def test_nothing_to_print_and_non_labels_are_refused():
    with pytest.raises(ValueError, match="no labels"):
        render_pdf([])
    with pytest.raises(TypeError, match="not a label: str"):
        render_pdf(["A-01"])  # type: ignore[list-item]


def test_a_long_sort_code_is_shrunk_not_cut():
    assert "SHA-PVG-INT-42\r\n" in text_of(shipping_label(sort_code="SHA-PVG-INT-42"))
