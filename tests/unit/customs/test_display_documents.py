"""Bonded display loan paperwork: the checklist (paginated, header repeated) and the
release note, read back as a customs officer and a gate scanner would."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest

from customs.display_documents import (
    DisplayItem,
    DisplayMovement,
    Guarantee,
    Showroom,
    Warehouse,
    render_display_documents,
)
from tests.unit.labels.decoding import decoded_texts, pdf_pages

D = Decimal
ITEMS = (
    DisplayItem(1, "NZ-HONEY-250", "麦卢卡蜂蜜 Manuka honey 250 g", "0409000000", "L2601", 6, "pcs",
                1500, 1830, D("58.50"), "NZD"),
    DisplayItem(2, "AU-SOCKS-M", "Merino wool socks", "6115950000", "L2602", 12, "pcs",
                960, 1104, D("36.00"), "AUD"),
    DisplayItem(3, "NZ-BALM-50", "Lanolin balm 50 ml", "3304990000", "L2603", 4, "pcs",
                200, 345, D("88.00"), "NZD"),
)  # fmt: skip
OUT = DisplayMovement(
    direction="out",
    checklist_number="QD310520260000123",
    release_note_number="HF310520260000456",
    loan_number="LN-2026-0042",
    warehouse=Warehouse("Ningbo Meishan Bonded Warehouse", "3105"),
    showroom=Showroom("杭州体验店 Hangzhou Experience Store", "杭州市西湖区文三路1号"),
    date=date(2026, 7, 3),
    items=ITEMS,
    vehicle="浙B12345",
    guarantee=Guarantee("GU-2026-0007", D("50000.00"), date(2026, 12, 31)),
)
RETURN = replace(
    OUT,
    direction="return",
    guarantee=None,
    release_note_number="HF310520260000789",
    items=tuple(replace(item, condition="intact") for item in ITEMS),
)


def many_items(count: int) -> tuple[DisplayItem, ...]:
    return tuple(
        DisplayItem(n, f"SKU-{n:04d}", f"Display item {n}", "0409000000", f"L{n:03d}", n, "pcs",
                    100 * n, 125 * n, D("10.00") * n, "EUR")
        for n in range(1, count + 1)
    )  # fmt: skip


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


@pytest.fixture(scope="module")
def out_pdf() -> bytes:
    return render_display_documents(OUT)


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    return render_display_documents(replace(OUT, items=many_items(60)))


def test_a_few_items_make_two_pages(out_pdf):
    checklist, release = page_texts(out_pdf)
    assert "Bonded display checklist / 保税展示核注清单" in checklist
    assert "Release note / 核放单" in release
    assert out_pdf.startswith(b"%PDF") and b"/FontFile2" in out_pdf  # CJK font embedded


def test_the_checklist_page(out_pdf):
    checklist = page_texts(out_pdf)[0]
    for text in (
        "QD310520260000123",
        "HF310520260000456",
        "LN-2026-0042",
        "5 — Bonded display trade / 保税展示交易",
        "Out to showroom / 出区展示",
        "Customs area / 关区代码 3105",
        "杭州市西湖区文三路1号",
        "NZ-HONEY-250",
        "AU-SOCKS-M",
        "NZ-BALM-50",
        "麦卢卡蜂蜜",
        "1.830",  # line gross weight, grams as kg with 3 decimals
        "0.200",
        "Total / 合计 (3 lines)",
        "22",  # pieces
        "2.660",  # net kg
        "3.279",  # gross kg
        "146.50",  # NZD total
        "GU-2026-0007",
        "50,000.00 CNY",
        "2026-12-31",
        "page 1 of 1",
    ):
        assert text in checklist, text
    assert "Condition" not in checklist


def test_the_release_note_page(out_pdf):
    release = page_texts(out_pdf)[1]
    for text in (
        "HF310520260000456",
        "QD310520260000123",
        "LN-2026-0042",
        "浙B12345",
        "Total pieces / 总件数 22 pcs",
        "Total gross weight / 总毛重 3.279 kg",
        "Checklist lines / 商品项数 3",
        "Zone gate customs / 卡口海关",
        "Signature / 签名",
    ):
        assert text in release, text


def test_the_release_note_barcode_scans_at_203_dpi(out_pdf):
    checklist, release = pdf_pages(out_pdf)
    assert decoded_texts(release) == {"HF310520260000456"}
    assert decoded_texts(checklist) == set()


def test_a_return_records_conditions_and_no_guarantee():
    checklist, release = page_texts(render_display_documents(RETURN))
    assert "Return to bonded zone / 展示返区" in checklist
    assert "Condition" in checklist and checklist.count("intact") == 3
    assert "Guarantee" not in checklist
    assert "HF310520260000789" in release


def test_many_items_continue_with_the_header_repeated(long_pdf):
    texts = page_texts(long_pdf)
    assert len(texts) >= 3
    *checklist, release = texts
    assert "Release note / 核放单" in release
    for number, page in enumerate(checklist[1:], start=2):
        assert "continued" in page
        assert "Gross kg" in page and "SKU" in page  # the table header, repeated
        assert f"page {number} of {len(checklist)}" in page
    everything = "\n".join(checklist)
    for n in range(1, 61):
        assert everything.count(f"SKU-{n:04d}") == 1
    # Totals at the end: 1 + .. + 60 pieces, 125 g x 1830 = 228.750 kg, 18,300.00 EUR.
    assert "1830" in checklist[-1] and "228.750" in checklist[-1] and "18,300.00" in checklist[-1]
    assert "Total pieces / 总件数 1830 pcs" in release
    assert "Total gross weight / 总毛重 228.750 kg" in release
    assert decoded_texts(pdf_pages(long_pdf)[-1]) == {"HF310520260000456"}


def test_the_same_movement_gives_the_same_bytes(out_pdf):
    assert render_display_documents(OUT) == out_pdf


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"guarantee": None}, "guarantee"),
        ({"direction": "sideways"}, "direction"),
        ({"items": ()}, "at least one item"),
        ({"items": (ITEMS[0], ITEMS[0])}, "unique"),
        ({"items": (replace(ITEMS[0], condition="ok"),)}, "condition"),
        ({"release_note_number": "核放单1"}, "ASCII"),
    ],
)
def test_an_inconsistent_movement_is_refused(changes, complaint):
    with pytest.raises(ValueError, match=complaint):
        replace(OUT, **changes)


def test_a_return_needs_every_condition():
    with pytest.raises(ValueError, match=r"\[2\]"):
        replace(RETURN, items=(RETURN.items[0], ITEMS[1]))


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"hs_code": "04090000"}, "HS code"),
        ({"gross_weight_g": 1000}, "below the net"),
        ({"quantity": 0}, "quantity"),
        ({"declared_value": 58.5}, "declared value"),
        ({"currency": "nzd"}, "ISO 4217"),
    ],
)
def test_a_bad_item_is_refused(changes, complaint):
    with pytest.raises(ValueError, match=complaint):
        replace(ITEMS[0], **changes)


def test_long_codes_shrink_rather_than_break():
    long = replace(ITEMS[0], sku="NZ-HONEY-UMF10-250G-GIFT", lot="LOT-2026-07-000123")
    checklist = page_texts(render_display_documents(replace(OUT, items=(long, *ITEMS[1:]))))[0]
    assert "NZ-HONEY-UMF10-250G-GIFT" in checklist
    assert "LOT-2026-07-000123" in checklist
