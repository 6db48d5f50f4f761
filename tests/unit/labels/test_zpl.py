"""ZPL: one ^XA..^XZ format per label, sized for the printer, with field data that a
Zebra printer reads back as exactly the label's data.

No test here renders ZPL to bars: that is the printer firmware's job, and encoding the
field data again with python-barcode would only test python-barcode and this file's
own reading of the invocation codes.  What is checked is what we control: structure,
sizes, and field data decoded by the guide's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pytest

from labels.gs1 import FNC1, element_string, hri
from labels.model import BinLabel, DisplayTag, Label, LotLabel, ShippingLabel, SSCCLabel
from labels.zpl import gs1_data, render_zpl
from tests.unit.labels.test_images import (
    BIN,
    CONSIGNEE,
    EXPORT,
    FULL_NAME,
    FULL_PHONE,
    IDS,
    LABELS,
    LOT,
    LOT_WITHOUT_EXPIRY,
    PALLET,
    SHIPPING,
    SIZE_MM,
    TAG,
    lot_pairs,
)

INVOCATION_CODES = {">0": ">", "><": "^", ">=": "~", ">8": FNC1}


@dataclass(frozen=True)
class Field:
    kind: str  # text | code128 | gs1 | qr | box
    data: str  # decoded: what the printer prints or encodes
    raw: str


def blocks(zpl: str) -> list[str]:
    found = re.findall(r"\^XA.*?\^XZ", zpl, re.S)
    assert "\n".join(found) + "\n" == zpl  # nothing outside the formats
    return found


def unhex(data: str) -> str:
    """^FH: _XX is the byte 0xXX (the default escape character is _)."""
    raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data.encode())
    return raw.decode()


def uninvoke(data: str) -> str:
    """^BC field data: the guide's invocation codes back to characters (>8 to FNC1)."""
    return re.sub(r">[0<=8]", lambda m: INVOCATION_CODES[m[0]], data)


def fields(block: str) -> list[Field]:
    found = []
    for raw in block.split("^FS")[:-1]:
        raw = raw[raw.index("^FO") :]
        if "^GB" in raw:
            found.append(Field("box", "", raw))
            continue
        data = raw.split("^FD", 1)[1]
        assert "^" not in data and "~" not in data, raw  # nothing a printer would execute
        if "^FH" in raw:
            data = unhex(data)
        if "^BC" in raw:
            mode = re.search(r"\^BCN,\d+,N,N,N,([AD])", raw)
            assert mode, raw
            kind = "gs1" if mode[1] == "D" else "code128"
            found.append(Field(kind, uninvoke(data), raw))
        elif "^BQ" in raw:
            assert data.startswith("MA,")
            found.append(Field("qr", data.removeprefix("MA,"), raw))
        else:
            if "^FB" in raw:
                data = data.replace("\\\\", "\\")
            found.append(Field("text", data, raw))
    return found


def of_kind(zpl: str, *kinds: str) -> list[str]:
    return sorted(f.data for b in blocks(zpl) for f in fields(b) if f.kind in kinds)


def mode_d_element_string(data: str) -> str:
    """What a printer encodes for mode D data: FNC1 first, parentheses dropped, >8 FNC1."""
    return FNC1 + data.replace("(", "").replace(")", "")


def expected_barcodes(label: Label) -> list[str]:
    if isinstance(label, ShippingLabel):
        return sorted([label.sort_code, label.tracking_number])
    if isinstance(label, BinLabel):
        return [label.barcode]
    if isinstance(label, LotLabel):
        return ["".join(f"({ai}){value}" for ai, value in lot_pairs(label))]
    if isinstance(label, SSCCLabel):
        return [f"(00){label.sscc}"]
    return []


def test_a_batch_is_one_stream_with_one_format_per_label():
    zpl = render_zpl(LABELS)
    found = blocks(zpl)
    assert len(found) == len(LABELS)
    assert all(b.startswith("^XA") and b.endswith("^XZ") for b in found)
    assert all(b.count("^XA") == b.count("^XZ") == 1 for b in found)
    assert all("^CI28" in b for b in found)
    assert render_zpl([]) == ""


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_print_width_and_label_length_are_the_physical_size(label: Label, dpi: int):
    [block] = blocks(render_zpl([label], dpi=dpi))
    width, height = SIZE_MM[type(label)]
    assert f"^PW{round(width * dpi / 25.4)}\n" in block
    assert f"^LL{round(height * dpi / 25.4)}\n" in block


def test_known_sizes_in_dots():
    sizes = {
        (ShippingLabel, 203): (812, 1218),
        (ShippingLabel, 300): (1200, 1800),
        (BinLabel, 203): (799, 400),
        (LotLabel, 300): (1181, 827),
        (DisplayTag, 203): (719, 879),
    }
    by_kind = {type(label): label for label in LABELS}
    for (kind, dpi), (width, height) in sizes.items():
        zpl = render_zpl([by_kind[kind]], dpi=dpi)
        assert f"^PW{width}\n^LL{height}\n" in zpl


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_barcode_field_data_is_the_label_data(label: Label, dpi: int):
    zpl = render_zpl([label], dpi=dpi)
    assert of_kind(zpl, "code128", "gs1") == expected_barcodes(label)


@pytest.mark.parametrize(
    "label", [LOT, LOT_WITHOUT_EXPIRY, PALLET], ids=["lot", "no-expiry", "sscc"]
)
def test_gs1_barcodes_use_mode_d_and_encode_the_element_string(label: Label):
    zpl = render_zpl([label])
    [gs1] = [f for b in blocks(zpl) for f in fields(b) if f.kind == "gs1"]
    assert ",N,N,N,D^FD(" in gs1.raw  # no interpretation line, no UCC digit, mode D
    pairs = lot_pairs(label) if isinstance(label, LotLabel) else [("00", label.sscc)]
    assert mode_d_element_string(gs1.data) == element_string(*pairs)
    # The human-readable line is printed as its own text field.
    assert hri(*pairs) in of_kind(zpl, "text")


def test_fnc1_separates_a_variable_length_value_from_the_next_ai():
    chained = [("10", "AB1"), ("21", "X9")]
    assert gs1_data(chained) == "(10)AB1>8(21)X9"
    assert mode_d_element_string(uninvoke(gs1_data(chained))) == element_string(*chained)
    fixed_first = [("01", "09501101530003"), ("17", "260131"), ("10", "L>1")]
    assert gs1_data(fixed_first) == "(01)09501101530003(17)260131(10)L>01"


def test_mode_d_refuses_a_lot_whose_parentheses_the_printer_would_drop():
    with pytest.raises(ValueError, match="mode D"):
        render_zpl([replace(LOT, lot="L(24)")])


def test_code128_sizes_scale_with_dpi():
    def modules(zpl: str) -> list[str]:
        return re.findall(r"\^BY(\d+)\^BC", zpl)

    assert modules(render_zpl([SHIPPING], 203)) == ["3", "3"]  # 0.375 mm
    assert modules(render_zpl([SHIPPING], 300)) == ["4", "4"]
    assert modules(render_zpl([PALLET], 203)) == ["4"]  # GS1 logistics: X >= 0.495 mm
    assert modules(render_zpl([PALLET], 300)) == ["6"]


@pytest.mark.parametrize("label", LABELS, ids=IDS)
def test_text_positions_are_millimetres_at_either_dpi(label: Label):
    def origins(dpi: int) -> list[tuple[int, int]]:
        zpl = render_zpl([label], dpi)
        return [
            tuple(int(v) for v in re.match(r"\^FO(\d+),(\d+)", f.raw).groups())
            for f in fields(blocks(zpl)[0])
            if f.kind == "text"
        ]

    for (x203, y203), (x300, y300) in zip(origins(203), origins(300), strict=True):
        assert abs(x203 * 300 / 203 - x300) <= 1.5
        assert abs(y203 * 300 / 203 - y300) <= 1.5


def test_shipping_label_content():
    texts = of_kind(render_zpl([SHIPPING]), "text")
    for text in (
        "SF Express",
        "Standard",
        "571-A12",
        "SF1234567890123",
        "1/2",
        "2024-11-05",
        "Weight 1.250 kg",
        "Order ORD-2024-0001",
        "Declaration 3101202400012345",
        "88 Nanjing Road",
        "Shanghai, Shanghai 200001 CN",
        "Bonded Hub Ningbo  0574-88886666",
    ):
        assert text in texts
    export = of_kind(render_zpl([EXPORT]), "text")
    for text in ("CN22 CUSTOMS DECLARATION", "2 x Milk powder 900g", "389.50", "Date: 2024-11-05"):
        assert text in export


def test_the_masked_consignee_is_printed_and_nothing_else_in_the_clear():
    zpl = render_zpl([SHIPPING])
    assert f"{CONSIGNEE.name}  {CONSIGNEE.phone}" in of_kind(zpl, "text")
    assert CONSIGNEE.phone == "138****5678" and CONSIGNEE.name == "欧**娜"
    assert FULL_PHONE not in zpl and FULL_NAME not in zpl


def test_carets_tildes_and_underscores_round_trip():
    tricky = "A^B~C_D>E\\F"
    label = replace(SHIPPING, order_reference=tricky, tracking_number="TR^1~2>3_4")
    zpl = render_zpl([label])
    assert "~" not in zpl  # no control command can hide in field data
    assert f"Order {tricky}" in of_kind(zpl, "text")
    assert "TR^1~2>3_4" in of_kind(zpl, "code128")
    assert "TR^1~2>3_4" in of_kind(zpl, "text")  # the line under the bars: a centred ^FB block
    assert "^FH^FDOrder A_5EB_7EC_5FD>E\\F^FS" in zpl
    assert "^FDTR><1>=2>03_4^FS" in zpl


def test_the_display_tag_qr_carries_the_url_and_chinese_is_utf8():
    zpl = render_zpl([TAG])
    assert of_kind(zpl, "qr") == [TAG.url]
    assert "^BQN,2," in zpl
    assert TAG.headline_local in of_kind(zpl, "text")
    assert TAG.headline_local.encode() in zpl.encode("utf-8")


@pytest.mark.parametrize("dpi", [0, 96, 200, 600])
def test_unsupported_dpi_is_refused(dpi: int):
    with pytest.raises(ValueError, match="203 or 300"):
        render_zpl([BIN], dpi=dpi)
