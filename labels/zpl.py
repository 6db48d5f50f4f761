"""ZPL II for Zebra-compatible thermal printers at 203 or 300 dpi.

One ``^XA ... ^XZ`` format per label; a batch is those formats back to back.  Layout
and content come from ``labels.image_layout`` (millimetres, turned into dots here), so
the printed label matches the PNG/SVG previews.  References are to the Zebra
Programming Guide (ZPL II, ZBI 2, ...; P1012728), ``^BC`` section.

Field data is escaped twice over:
* text and QR fields: ``^FH`` hex escapes for ``^`` and ``~`` (format / control
  command prefixes) and for ``_`` itself, the ``^FH`` escape character;
* Code 128 fields: the guide's invocation codes (Table "Code 128 Invocation
  Characters": ``>0`` is ``>``, ``><`` is ``^``, ``>=`` is ``~``), because ``>`` is the
  invocation prefix inside ``^BC`` data and the guide says ``^ > ~`` "must be programmed
  using the invocation codes".

GS1-128 uses ``^BC`` mode D (UCC/EAN mode, firmware x.11.x and later): the printer
starts in the right subset with FNC1 itself, drops the parentheses around AIs from the
bars, and ``>8`` invokes FNC1 between AIs.  We put ``>8`` only where GS1 needs a
separator (after a variable-length value that is not last), mirroring
``labels.gs1.element_string``; lot labels put (10) last, so they need none.
"""

from __future__ import annotations

from collections.abc import Sequence

import segno

from labels.gs1 import PREDEFINED_LENGTH_AIS
from labels.image_layout import (
    QR_BORDER_MODULES,
    Barcode,
    Box,
    Item,
    QRCode,
    Text,
    dots,
    layout,
    module_dots,
    symbol_modules,
)
from labels.model import Label

SUPPORTED_DPI = (203, 300)
FONT = "0"  # the printer's scalable font; map a CJK TrueType font onto it with ^CW for Chinese
QR_ERROR = "M"
QR_MAX_MAGNIFICATION = 10  # ^BQ accepts 1..10 dots per module

_HEX_ESCAPED = frozenset("^~_")
_INVOCATION = {">": ">0", "^": "><", "~": ">="}


def render_zpl(labels: Sequence[Label], dpi: int = 203) -> str:
    """One ZPL stream: a ``^XA ... ^XZ`` format per label, in order."""
    if dpi not in SUPPORTED_DPI:
        raise ValueError(f"ZPL is rendered for 203 or 300 dpi printers, not {dpi}")
    return "".join(_format(label, dpi) for label in labels)


def _format(label: Label, dpi: int) -> str:
    page = layout(label)
    lines = [
        "^XA",
        "^CI28",  # field data is UTF-8: Chinese names and addresses arrive intact
        f"^PW{dots(page.width, dpi)}",
        f"^LL{dots(page.height, dpi)}",
        "^LH0,0",
        *(_item(item, dpi) for item in page.items),
        "^XZ",
    ]
    return "\n".join(lines) + "\n"


def _item(item: Item, dpi: int) -> str:
    if isinstance(item, Text):
        return _text(item, dpi)
    if isinstance(item, Barcode):
        return _barcode(item, dpi)
    if isinstance(item, QRCode):
        return _qr(item, dpi)
    return _box(item, dpi)


# -- field data -----------------------------------------------------------------------


def field(text: str, block: bool = False) -> str:
    """``^FD...^FS`` for text that may hold anything; ``^FH`` only when something needs it.
    In a ``^FB`` block a backslash starts a control sequence (``\\&`` is a new line), so
    there it is doubled as the guide's ``^FB`` section says."""
    if block:
        text = text.replace("\\", "\\\\")
    if any(c in _HEX_ESCAPED or c < " " for c in text):
        escaped = "".join(f"_{ord(c):02X}" if c in _HEX_ESCAPED or c < " " else c for c in text)
        return f"^FH^FD{escaped}^FS"
    return f"^FD{text}^FS"


def code128_data(data: str) -> str:
    """Code 128 field data with ``> ^ ~`` as invocation codes."""
    return "".join(_INVOCATION.get(c, c) for c in data)


def gs1_data(ais: Sequence[tuple[str, str]]) -> str:
    """Mode D field data: ``(AI)value`` pairs, ``>8`` (FNC1) after a variable-length value
    that is followed by another AI.  Mode D strips parentheses and spaces from the bars,
    so a value holding a parenthesis cannot be printed truthfully this way."""
    parts: list[str] = []
    for i, (ai, value) in enumerate(ais):
        if "(" in value or ")" in value or " " in value:
            raise ValueError(f"GS1 ({ai}) {value!r}: ZPL mode D would drop its ( ) and spaces")
        if i > 0 and ais[i - 1][0] not in PREDEFINED_LENGTH_AIS:
            parts.append(">8")
        parts.append(f"({ai}){code128_data(value)}")
    return "".join(parts)


# -- items ----------------------------------------------------------------------------


def _text(text: Text, dpi: int) -> str:
    height = max(1, dots(text.size, dpi))
    head = f"^FO{dots(text.x, dpi)},{dots(text.y, dpi)}^A{FONT}N,{height},{height}"
    if text.align == "left":
        return head + field(text.text)
    # A one-line field block of the box's width aligns the line within it.
    justify = "C" if text.align == "center" else "R"
    return head + f"^FB{dots(text.width, dpi)},1,0,{justify},0" + field(text.text, block=True)


def _barcode(bar: Barcode, dpi: int) -> str:
    module = module_dots(bar, dpi)
    # Centred on the symbol as python-barcode encodes it; the printer's own subset
    # choices may differ by a symbol or so, which the quiet zones absorb.
    left = dots(bar.x, dpi) + (dots(bar.width, dpi) - symbol_modules(bar) * module) // 2
    height = dots(bar.height, dpi)
    head = f"^FO{left},{dots(bar.y, dpi)}^BY{module}"
    if bar.gs1:
        # ^BCo,h,f,g,e,m: no interpretation line (the layout prints labels.gs1.hri),
        # no UCC check digit, mode D.
        return head + f"^BCN,{height},N,N,N,D^FD{gs1_data(bar.ais)}^FS"
    # Mode A: the printer picks subsets itself (subset C for runs of digits).
    return head + f"^BCN,{height},N,N,N,A^FD{code128_data(bar.data)}^FS"


def _qr(box: QRCode, dpi: int) -> str:
    modules = segno.make(box.data, error=QR_ERROR.lower(), micro=False).symbol_size(border=0)[0]
    magnification = min(
        QR_MAX_MAGNIFICATION, dots(box.size, dpi) // (modules + 2 * QR_BORDER_MODULES)
    )
    if magnification < 1:
        raise ValueError(f"QR code of {box.data!r} is too dense for {box.size:.0f} mm")
    offset = (dots(box.size, dpi) - modules * magnification) // 2
    # ^BQN,2,m: model 2; field data "MA," = error correction M, automatic data mode.
    return (
        f"^FO{dots(box.x, dpi) + offset},{dots(box.y, dpi) + offset}"
        f"^BQN,2,{magnification}" + field(f"{QR_ERROR}A,{box.data}")
    )


def _box(box: Box, dpi: int) -> str:
    width, height = max(1, dots(box.width, dpi)), max(1, dots(box.height, dpi))
    return f"^FO{dots(box.x, dpi)},{dots(box.y, dpi)}^GB{width},{height},{min(width, height)}^FS"
