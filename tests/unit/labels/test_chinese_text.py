"""Chinese text is drawn, not just carried: the font travels inside the PDF and the
images use the bundled one, so a printer without CJK fonts still prints addresses."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image, ImageChops

from labels.images import render_png
from labels.model import DisplayTag
from labels.pdf import render_pdf
from tests.unit.labels.decoding import pdf_pages

TAG = DisplayTag("Manuka honey 250 g", "SKU-0042", "Hangzhou", "https://x.test/r/1", "LN-1")
# Same length, other characters: a missing font draws both as the same blanks or boxes.
OTHER_CHINESE = replace(TAG, headline_local="展示商品 请勿买")


def pixels_apart(a: Image.Image, b: Image.Image) -> int:
    """How many pixels differ clearly between two greyscale images."""
    return sum(ImageChops.difference(a, b).histogram()[65:])


def png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def test_the_pdf_embeds_the_chinese_font():
    pdf = render_pdf([TAG])
    assert b"/FontFile2" in pdf  # an embedded TrueType program, not a named CID font
    assert b"MicroHei" in pdf


def test_chinese_text_is_drawn_in_the_pdf():
    one, other = pdf_pages(render_pdf([TAG]))[0], pdf_pages(render_pdf([OTHER_CHINESE]))[0]
    assert pixels_apart(one, other) > 200


def test_chinese_text_is_drawn_in_the_png():
    assert pixels_apart(png(render_png(TAG)), png(render_png(OTHER_CHINESE))) > 200
