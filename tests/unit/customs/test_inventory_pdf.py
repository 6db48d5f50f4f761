"""The inventory list PDF read back as a broker would: numbers, totals and taxes in the
text, the buyer's ID masked unless asked, pages right for long lists and for a batch."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pypdfium2 as pdfium
import pytest

from customs.inventory_list import InventoryLine
from customs.inventory_pdf import (
    ROWS_PER_PAGE,
    mask_id,
    pages_of,
    render_inventory_list,
    render_inventory_lists,
)
from tests.unit.customs.test_messages import sample_lines, sample_list
from tests.unit.labels.decoding import decoded_texts, pdf_pages

D = Decimal


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def many_lines(count: int) -> tuple[InventoryLine, ...]:
    first = sample_lines()[0]
    return tuple(
        replace(first, gnum=n, item_no=f"SKU-{n:03d}", total_price=D("1.00") * n)
        for n in range(1, count + 1)
    )


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_inventory_list(sample_list())


def test_one_page_with_every_number_the_broker_needs(pdf):
    (text,) = page_texts(pdf)
    for expected in (
        "Import inventory list",
        "31052026I180000001",  # declaration (list) number
        "NB20260703000001",
        "ORD2607031234567890",
        "ZT7312345678901",  # waybill
        "中通快递股份有限公司",
        "天猫国际",
        "T3105W000123",  # account book
        "1210",
        "浙江省杭州市西湖区文三路1号阳光花园3栋502室",
        "王小明",
        "1.250 kg",
        "0.550 kg",
        "麦卢卡蜂蜜",
        "UMF10+ 250克/瓶",
        "0409000000",
        "9421023450017",
        "609 新西兰",
        "336.00",
        "656.00",  # goods value
        "59.70",  # VAT and total tax
        "page 1 of 1",
    ):
        assert expected in text, expected
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # the CJK subset is embedded


def test_the_buyer_id_is_masked_unless_asked(pdf):
    (masked,) = page_texts(pdf)
    assert "110105********1234" in masked
    assert "110105199001011234" not in masked
    assert "138****5678" in masked and "13812345678" not in masked
    (full,) = page_texts(render_inventory_list(sample_list(), show_personal_data=True))
    assert "110105199001011234" in full and "13812345678" in full


def test_mask_id():
    assert mask_id("11010519900101123X") == "110105********123X"
    assert mask_id("110105900101123") == "110105*****1123"
    assert mask_id("E12345678") == "*****5678"
    assert mask_id("123") == "***"


def test_the_list_number_barcode_scans(pdf):
    (page,) = pdf_pages(pdf, dpi=300)
    assert decoded_texts(page) == {"31052026I180000001"}


def test_a_long_list_runs_on_with_totals_on_its_last_page():
    count = ROWS_PER_PAGE + 3
    invt = sample_list(lines=many_lines(count))
    pages = page_texts(render_inventory_list(invt))
    assert len(pages) == pages_of(invt) == 2
    first, last = pages
    assert "31052026I180000001" in first and "31052026I180000001" in last
    assert "Continued on the next page" in first and "page 1 of 2" in first
    assert f"SKU-{ROWS_PER_PAGE:03d}" in first and f"SKU-{ROWS_PER_PAGE + 1:03d}" in last
    assert "page 2 of 2" in last and "59.70" in last
    assert f"{sum(range(1, count + 1))}.00" in last  # goods value of all lines


def test_a_batch_is_one_document_one_list_after_another():
    lists = [
        sample_list(invt_no=f"31052026I1800000{n:02d}", lines=many_lines(1 + 8 * n))
        for n in range(4)
    ]  # 1, 9, 17 and 25 lines: 1 + 1 + 2 + 2 pages
    pages = page_texts(render_inventory_lists(lists))
    assert len(pages) == sum(pages_of(invt) for invt in lists) == 6
    owners = [next(f"{n:02d}" for n in range(4) if f"I1800000{n:02d}" in p) for p in pages]
    assert owners == ["00", "01", "02", "02", "03", "03"]


def test_the_same_lists_give_the_same_bytes():
    assert render_inventory_list(sample_list()) == render_inventory_list(sample_list())


def test_nothing_to_render_is_an_error():
    with pytest.raises(ValueError, match="no inventory lists"):
        render_inventory_lists([])
