"""PNG and SVG labels: the right size, and every barcode scans back to exactly its data."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw

from labels.gs1 import hri
from labels.image_layout import Barcode, layout
from labels.images import render_png, render_svg
from labels.masking import mask_name, mask_phone
from labels.model import (
    CN22,
    Address,
    BinLabel,
    CN22Item,
    DisplayTag,
    Label,
    LotLabel,
    ShippingLabel,
    SSCCLabel,
)
from tests.unit.labels.decoding import decode

SVG = "{http://www.w3.org/2000/svg}"
FULL_PHONE, FULL_NAME = "13812345678", "欧阳娜娜"

SENDER = Address(
    "Bonded Hub Ningbo",
    "0574-88886666",
    ("No. 1 Bonded Road", "Beilun District"),
    "Ningbo",
    "315800",
    "CN",
    "Zhejiang",
)
CONSIGNEE = Address(
    mask_name(FULL_NAME),
    mask_phone(FULL_PHONE),
    ("88 Nanjing Road", "Apt 12-3"),
    "Shanghai",
    "200001",
    "CN",
    "Shanghai",
)
SHIPPING = ShippingLabel(
    courier="SF Express",
    service="Standard",
    sort_code="571-A12",
    tracking_number="SF1234567890123",
    sender=SENDER,
    consignee=CONSIGNEE,
    weight_g=1250,
    parcel_index=1,
    parcel_count=2,
    order_reference="ORD-2024-0001",
    ship_date=date(2024, 11, 5),
    declaration_number="3101202400012345",
)
EXPORT = replace(
    SHIPPING,
    courier="China Post",
    service="ePacket",
    sort_code="SH-02",
    tracking_number="LX123456789CN",
    declaration_number=None,
    cn22=CN22(
        "sale_of_goods",
        (
            CN22Item("Milk powder 900g", 2, 1800, Decimal("300.00"), "040221", "NZ"),
            CN22Item("Vitamin tablets", 1, 200, Decimal("89.5"), "210690", "AU"),
        ),
        "CNY",
        "Li Wei",
        date(2024, 11, 5),
    ),
)
BIN = BinLabel("SHA1-A-01-02-3", "A-01-02-3", "SHA1 · zone A · bonded")
LOT = LotLabel("9421902960017", "L24-11", "MILK-900", "Infant milk powder 900 g", date(2028, 6, 30))
LOT_WITHOUT_EXPIRY = LotLabel("09501101530003", "ABC/12-x", "SKU-1", "Widget")
PALLET = SSCCLabel(
    3,
    "0614141",
    "123456789",
    "Bonded Hub Ningbo\nNo. 1 Bonded Road",
    "Shanghai DC",
    "REL-2024-77",
    "沪A12345",
    24,
    412500,
)
TAG = DisplayTag(
    "Infant milk powder 900 g",
    "MILK-900",
    "Shanghai showroom",
    "https://hub.example.com/d/ABC123?src=tag",
    "LOAN-42",
)
LABELS: list[Label] = [SHIPPING, EXPORT, BIN, LOT, LOT_WITHOUT_EXPIRY, PALLET, TAG]
IDS = ["shipping", "export-cn22", "bin", "lot", "lot-no-expiry", "sscc", "display-tag"]

# Physical sizes as the labels are sold, in inches or millimetres.
SIZE_MM = {
    ShippingLabel: (4 * 25.4, 6 * 25.4),
    SSCCLabel: (4 * 25.4, 6 * 25.4),
    BinLabel: (100, 50),
    LotLabel: (100, 70),
    DisplayTag: (90, 110),
}


def lot_pairs(label: LotLabel) -> list[tuple[str, str]]:
    expiry = [("17", label.expiry.strftime("%y%m%d"))] if label.expiry else []
    return [("01", label.gtin.zfill(14)), *expiry, ("10", label.lot)]


def expected_symbols(label: Label) -> list[tuple[str, str, str]]:
    """(text, symbology, hri) of every symbol on the label, sorted like decode() sorts."""
    if isinstance(label, ShippingLabel):
        found = [(label.sort_code, "]C0", label.sort_code)]
        found.append((label.tracking_number, "]C0", label.tracking_number))
    elif isinstance(label, BinLabel):
        found = [(label.barcode, "]C0", label.barcode)]
    elif isinstance(label, LotLabel):
        pairs = lot_pairs(label)
        # Lot last: no GS separator anywhere.
        found = [("".join(ai + value for ai, value in pairs), "]C1", hri(*pairs))]
    elif isinstance(label, SSCCLabel):
        found = [("00" + label.sscc, "]C1", hri(("00", label.sscc)))]
    else:
        found = [(label.url, "]Q1", label.url)]
    return sorted(found)


def symbols(image: Image.Image | bytes) -> list[tuple[str, str, str]]:
    return sorted((d.text, d.symbology, d.hri) for d in decode(image))


def pixels(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_every_png_scans_back_to_exactly_its_data(label: Label, dpi: int):
    assert symbols(render_png(label, dpi)) == expected_symbols(label)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_png_is_the_physical_size_at_the_dpi(label: Label, dpi: int):
    image = Image.open(io.BytesIO(render_png(label, dpi)))
    width, height = SIZE_MM[type(label)]
    assert image.format == "PNG"
    assert image.size == (pixels(width, dpi), pixels(height, dpi))
    assert tuple(round(d) for d in image.info["dpi"]) == (dpi, dpi)


def runs(row: list[int]) -> list[tuple[bool, int]]:
    """(is_dark, length) runs along a row of grey pixels."""
    found: list[tuple[bool, int]] = []
    for value in row:
        dark = value < 128
        if found and found[-1][0] == dark:
            found[-1] = (dark, found[-1][1] + 1)
        else:
            found.append((dark, 1))
    return found


@pytest.mark.parametrize(
    "label", [SHIPPING, BIN, LOT, PALLET], ids=["shipping", "bin", "lot", "sscc"]
)
def test_bars_are_whole_dots_at_203_dpi_with_ten_module_quiet_zones(label: Label):
    image = Image.open(io.BytesIO(render_png(label, 203))).convert("L")
    for bar in (item for item in layout(label).items if isinstance(item, Barcode)):
        y = pixels(bar.y + bar.height / 2, 203)
        left, right = pixels(bar.x, 203), pixels(bar.x + bar.width, 203)
        row = runs([image.getpixel((x, y)) for x in range(left, right)])
        bars = [length for _dark, length in row[1:-1]]
        module = min(bars)
        assert module >= 2  # 0.25 mm at 203 dpi
        assert all(length % module == 0 for length in bars), bars
        # Code 128 modules come in widths of 1 to 4.
        assert {length // module for length in bars} <= {1, 2, 3, 4}
        assert not row[0][0] and row[0][1] >= 10 * module
        assert not row[-1][0] and row[-1][1] >= 10 * module


def test_refuses_what_a_scanner_would_read_differently():
    with pytest.raises(ValueError, match="Code 128"):
        render_png(replace(SHIPPING, tracking_number="SF顺丰123"))
    with pytest.raises(ValueError, match="GTIN"):
        render_png(replace(LOT, gtin="9421902960018"))
    with pytest.raises(ValueError, match="lot"):
        render_png(replace(LOT, lot="L" * 21))
    with pytest.raises(ValueError, match="too long"):
        render_png(replace(BIN, barcode="B" * 60))


def test_png_refuses_an_absurd_dpi():
    with pytest.raises(ValueError, match="dpi"):
        render_png(BIN, dpi=10)


# -- SVG ------------------------------------------------------------------------------


def svg_root(label: Label) -> ET.Element:
    data = render_svg(label)
    assert data.startswith(b"<?xml")
    return ET.fromstring(data)


def svg_texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def human_texts(label: Label) -> list[str]:
    if isinstance(label, ShippingLabel):
        texts = [
            label.courier,
            label.service,
            label.sort_code,
            label.tracking_number,
            "1/2" if label.parcel_index == 1 else "2/2",
            label.ship_date.isoformat(),
            f"{label.consignee.name}  {label.consignee.phone}",
            f"Order {label.order_reference}",
        ]
        if label.declaration_number:
            texts.append(f"Declaration {label.declaration_number}")
        return texts
    if isinstance(label, BinLabel):
        return [label.code, label.barcode, label.caption]
    if isinstance(label, LotLabel):
        return [label.product_name, f"LOT {label.lot}", hri(*lot_pairs(label))]
    if isinstance(label, SSCCLabel):
        return [label.sscc, hri(("00", label.sscc)), f"Vehicle {label.vehicle}"]
    assert isinstance(label, DisplayTag)
    return [label.headline_local, label.headline, label.product_name, label.url]


@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_svg_is_one_document_of_the_physical_size_with_its_texts(label: Label):
    root = svg_root(label)
    width, height = SIZE_MM[type(label)]
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width", "").removesuffix("mm")) == pytest.approx(width, abs=1e-3)
    assert float(root.get("height", "").removesuffix("mm")) == pytest.approx(height, abs=1e-3)
    assert root.get("width", "").endswith("mm") and root.get("height", "").endswith("mm")
    assert [float(v) for v in root.get("viewBox", "").split()] == pytest.approx(
        [0, 0, width, height], abs=1e-3
    )
    texts = svg_texts(root)
    for text in human_texts(label):
        assert text in texts


def test_the_shipping_svg_prints_the_masked_consignee_only():
    data = render_svg(SHIPPING).decode()
    assert CONSIGNEE.phone == "138****5678" and CONSIGNEE.phone in data
    assert CONSIGNEE.name == "欧**娜" and CONSIGNEE.name in data
    assert FULL_PHONE not in data and FULL_NAME not in data


def test_the_cn22_block_lists_items_and_totals():
    texts = svg_texts(svg_root(EXPORT))
    for text in (
        "CN22 CUSTOMS DECLARATION",
        "Sale of goods",
        "2 x Milk powder 900g",
        "040221",
        "NZ",
        "1.800",
        "300.00",
        "89.50",
        "2.000",
        "389.50",
        "Value CNY",
        "Sender's signature: Li Wei",
        "Date: 2024-11-05",
    ):
        assert text in texts


# A rasteriser for exactly what render_svg writes (rects, segno's path, translate and
# scale transforms): enough to scan the SVG's barcodes without an SVG library.
def rasterise(svg: bytes, dpi: int = 203) -> Image.Image:
    root = ET.fromstring(svg)
    px = dpi / 25.4
    size = [float(root.get(k, "").removesuffix("mm")) for k in ("width", "height")]
    image = Image.new("L", (round(size[0] * px), round(size[1] * px)), 255)
    draw = ImageDraw.Draw(image)

    def paint(x: float, y: float, w: float, h: float, t: tuple[float, float, float], fill: int):
        tx, ty, s = t
        x0, y0 = round((tx + s * x) * px), round((ty + s * y) * px)
        x1, y1 = round((tx + s * (x + w)) * px), round((ty + s * (y + h)) * px)
        if x1 > x0 and y1 > y0:
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)

    def walk(element: ET.Element, t: tuple[float, float, float]) -> None:
        for op, args in re.findall(r"(translate|scale)\(([^)]*)\)", element.get("transform", "")):
            values = [float(v) for v in args.replace(",", " ").split()]
            if op == "translate":
                t = (t[0] + t[2] * values[0], t[1] + t[2] * values[1], t[2])
            else:
                t = (t[0], t[1], t[2] * values[0])
        tag = element.tag.removeprefix(SVG)
        if tag == "rect":
            style = element.get("style", "") + element.get("fill", "")
            fill = 0 if "black" in style else 255
            dims = [float(element.get(k, "0")) for k in ("x", "y", "width", "height")]
            paint(*dims, t, fill)
        elif tag == "path":  # segno: M/m moves and h runs, stroked 1 module wide
            x = y = 0.0
            for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", element.get("d", "")):
                values = [float(v) for v in args.split()]
                if command == "M":
                    x, y = values
                elif command == "m":
                    x, y = x + values[0], y + values[1]
                elif command == "h":
                    paint(x, y - 0.5, values[0], 1, t, 0)
                    x += values[0]
                else:
                    raise AssertionError(f"path command {command} not expected from segno")
        for child in element:
            walk(child, t)

    walk(root, (0.0, 0.0, 1.0))
    return image


@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_every_svg_scans_back_to_exactly_its_data(label: Label):
    assert symbols(rasterise(render_svg(label))) == expected_symbols(label)
