"""Whole labels as PNG (on-screen previews, printers that take images) and SVG.

The layout comes from ``labels.image_layout``; 1D barcodes are drawn by python-barcode
(ImageWriter for PNG, SVGWriter for SVG), QR codes by segno.  Bar modules are whole
dots: at the PNG's dpi, and at 203 dpi (the coarsest printer we serve) in SVG.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import segno
from barcode.writer import ImageWriter, SVGWriter, mm2px
from PIL import Image, ImageDraw

from labels.image_fonts import SVG_FONT_FAMILY, ascent, font
from labels.image_layout import (
    MM_PER_INCH,
    QR_BORDER_MODULES,
    QUIET_ZONE_MODULES,
    Barcode,
    Item,
    QRCode,
    Text,
    barcode_class,
    dots,
    layout,
    module_dots,
)
from labels.model import Label

SVG_NS = "http://www.w3.org/2000/svg"
SVG_GRID_DPI = 203  # SVG modules and barcode positions snap to this printer's dots
QR_ERROR = "m"

_ANCHORS = {"left": "la", "center": "ma", "right": "ra"}  # Pillow: x as aligned, y at ascender
_SVG_ANCHORS = {"left": "start", "center": "middle", "right": "end"}


# -- PNG ------------------------------------------------------------------------------


def render_png(label: Label, dpi: int = 203) -> bytes:
    """The label as a greyscale PNG of its physical size at ``dpi``."""
    if not 72 <= dpi <= 1200:
        raise ValueError(f"dpi must be between 72 and 1200, not {dpi}")
    page = layout(label)
    canvas = Image.new("L", (dots(page.width, dpi), dots(page.height, dpi)), 255)
    for item in page.items:
        _paint(canvas, item, dpi)
    out = io.BytesIO()
    canvas.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _paint(canvas: Image.Image, item: Item, dpi: int) -> None:
    if isinstance(item, Text):
        _paint_text(canvas, item, dpi)
    elif isinstance(item, Barcode):
        _paint_barcode(canvas, item, dpi)
    elif isinstance(item, QRCode):
        _paint_qr(canvas, item, dpi)
    else:
        x0, y0 = dots(item.x, dpi), dots(item.y, dpi)
        x1 = max(x0 + 1, dots(item.x + item.width, dpi))
        y1 = max(y0 + 1, dots(item.y + item.height, dpi))
        ImageDraw.Draw(canvas).rectangle((x0, y0, x1 - 1, y1 - 1), fill=0)


def _paint_text(canvas: Image.Image, text: Text, dpi: int) -> None:
    anchor_x = {"left": 0.0, "center": text.width / 2, "right": text.width}[text.align]
    ImageDraw.Draw(canvas).text(
        (dots(text.x + anchor_x, dpi), dots(text.y, dpi)),
        text.text,
        font=font(dots(text.size, dpi), text.bold),
        fill=0,
        anchor=_ANCHORS[text.align],
    )


class DotImageWriter(ImageWriter):
    """python-barcode's ImageWriter with every bar edge on a whole pixel.  Its own painter
    draws from float millimetres, which at 203 dpi turns 2-dot modules into bars of 1, 2
    and 3 dots that scanners misread."""

    def _paint_module(self, xpos: float, ypos: float, width: float, color: str) -> None:
        x0, x1 = round(mm2px(xpos, self.dpi)), round(mm2px(xpos + width, self.dpi))
        y0 = round(mm2px(ypos, self.dpi))
        y1 = round(mm2px(ypos + self.module_height, self.dpi))
        self._draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=color)


def _writer_options(bar: Barcode, module_mm: float) -> dict[str, object]:
    return {
        "module_width": module_mm,
        "module_height": bar.height,
        "quiet_zone": QUIET_ZONE_MODULES * module_mm,
        "margin_top": 0,
        "margin_bottom": 0,
        "write_text": False,  # the layout prints the human-readable line itself
    }


def _paint_barcode(canvas: Image.Image, bar: Barcode, dpi: int) -> None:
    module_mm = module_dots(bar, dpi) * MM_PER_INCH / dpi
    writer = DotImageWriter(format="PNG", mode="L", dpi=dpi)
    symbol = barcode_class(bar)(bar.encoded, writer=writer)
    image = symbol.render({**_writer_options(bar, module_mm), "dpi": dpi})
    left = dots(bar.x, dpi) + (dots(bar.width, dpi) - image.width) // 2
    canvas.paste(image.convert("L"), (left, dots(bar.y, dpi)))


def _qr(data: str) -> segno.QRCode:
    return segno.make(data, error=QR_ERROR, micro=False)


def _qr_scale(qr: segno.QRCode, box: QRCode, dpi: int) -> int:
    """Dots per module: whole, and as many as fit the box with the quiet zone."""
    side = qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0]
    scale = int(box.size * dpi / MM_PER_INCH) // side
    if scale < 1:
        raise ValueError(f"QR code of {box.data!r} is too dense for {box.size:.0f} mm")
    return scale


def _paint_qr(canvas: Image.Image, box: QRCode, dpi: int) -> None:
    qr = _qr(box.data)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=_qr_scale(qr, box, dpi), border=QR_BORDER_MODULES)
    image = Image.open(io.BytesIO(out.getvalue())).convert("L")
    offset = (dots(box.size, dpi) - image.width) // 2
    canvas.paste(image, (dots(box.x, dpi) + offset, dots(box.y, dpi) + offset))


# -- SVG ------------------------------------------------------------------------------


def render_svg(label: Label) -> bytes:
    """The label as one SVG document of its physical size; user units are millimetres."""
    page = layout(label)
    width, height = _num(page.width), _num(page.height)
    root = _element(
        None,
        "svg",
        xmlns=SVG_NS,
        version="1.1",
        width=f"{width}mm",
        height=f"{height}mm",
        viewBox=f"0 0 {width} {height}",
        **{"font-family": SVG_FONT_FAMILY},
    )
    _element(root, "rect", width=width, height=height, fill="white")
    barcodes = 0
    for item in page.items:
        if isinstance(item, Text):
            _svg_text(root, item)
        elif isinstance(item, Barcode):
            barcodes += 1
            _svg_barcode(root, item, f"barcode-{barcodes}")
        elif isinstance(item, QRCode):
            _svg_qr(root, item)
        else:
            _element(
                root,
                "rect",
                x=_num(item.x),
                y=_num(item.y),
                width=_num(item.width),
                height=_num(item.height),
                fill="black",
            )
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _element(parent: ET.Element | None, tag: str, **attributes: object) -> ET.Element:
    """Tags stay unqualified, the root carries xmlns: ElementTree's own namespace
    handling would either name the namespace ns0 or touch a process-wide registry."""
    attrib = {key: str(value) for key, value in attributes.items()}
    return ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)


def _adopt(element: ET.Element) -> ET.Element:
    """An element parsed from python-barcode's or segno's SVG, unqualified like ours."""
    for node in element.iter():
        node.tag = node.tag.removeprefix(f"{{{SVG_NS}}}")
    return element


def _snap(mm: float) -> float:
    """Onto the 203-dpi dot grid, so that a printer at that resolution keeps whole modules."""
    return dots(mm, SVG_GRID_DPI) * MM_PER_INCH / SVG_GRID_DPI


def _svg_text(root: ET.Element, text: Text) -> None:
    anchor_x = {"left": 0.0, "center": text.width / 2, "right": text.width}[text.align]
    element = _element(
        root,
        "text",
        x=_num(text.x + anchor_x),
        y=_num(text.y + ascent(text.size, text.bold)),
        **{"font-size": _num(text.size), "text-anchor": _SVG_ANCHORS[text.align]},
    )
    if text.bold:
        element.set("font-weight", "bold")
    element.text = text.text


def _svg_barcode(root: ET.Element, bar: Barcode, group_id: str) -> None:
    """python-barcode's SVG group, moved into place.  Its lengths carry "mm" units, which
    inside our millimetre viewBox would be scaled again, so they become plain numbers."""
    module_mm = module_dots(bar, SVG_GRID_DPI) * MM_PER_INCH / SVG_GRID_DPI
    writer = SVGWriter()
    symbol = barcode_class(bar)(bar.encoded, writer=writer)
    source = ET.fromstring(
        symbol.render({**_writer_options(bar, module_mm), "compress": True, "with_doctype": False})
    )
    size = {key: float(source.get(key, "0").removesuffix("mm")) for key in ("width", "height")}
    group = source.find(f"{{{SVG_NS}}}g")
    if group is None:  # pragma: no cover - python-barcode always writes one
        raise RuntimeError("python-barcode wrote an SVG without its barcode group")
    group.set("id", group_id)
    for rect in group:
        for key in ("x", "y", "width", "height"):
            value = rect.get(key)
            if value is None:
                continue
            # The background rect says 100%: of the symbol, not of our label.
            number = size[key] if value == "100%" else float(value.removesuffix("mm"))
            rect.set(key, _num(number))
    left = _snap(bar.x + (bar.width - size["width"]) / 2)
    place = _element(root, "g", transform=f"translate({_num(left)} {_num(_snap(bar.y))})")
    place.append(_adopt(group))


def _svg_qr(root: ET.Element, box: QRCode) -> None:
    """segno's path, drawn in module units, scaled to whole 203-dpi dots per module."""
    qr = _qr(box.data)
    module_mm = _qr_scale(qr, box, SVG_GRID_DPI) * MM_PER_INCH / SVG_GRID_DPI
    out = io.BytesIO()
    qr.save(out, kind="svg", xmldecl=False, svgns=True, nl=False, border=QR_BORDER_MODULES)
    path = ET.fromstring(out.getvalue()).find(f"{{{SVG_NS}}}path")
    if path is None:  # pragma: no cover - segno always writes one
        raise RuntimeError("segno wrote an SVG without its path")
    offset = (box.size - qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0] * module_mm) / 2
    place = _element(
        root,
        "g",
        transform=f"translate({_num(_snap(box.x + offset))} {_num(_snap(box.y + offset))}) "
        f"scale({module_mm:.6f})",
    )
    place.append(_adopt(path))
