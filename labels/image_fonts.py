"""Fonts for label images, and text measured in millimetres for the layout.

The first font found wins: the bundled WenQuanYi Micro Hei first, so that consignee
names and the display tag's Chinese headline always print as characters; for bold, an
installed CJK bold face if there is one (Micro Hei has no bold), then Micro Hei.  Pillow looks
bare file names up in the system font folders itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import barcode
from PIL import ImageFont

_BUNDLED = str(Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf")
# Ours, so that Chinese prints on any machine (WenQuanYi Micro Hei, Apache-2.0).
_CJK = str(Path(__file__).parent / "fonts" / "wqy-microhei.ttc")

REGULAR_FONTS = (_CJK, _BUNDLED)
BOLD_FONTS = ("NotoSansCJK-Bold.ttc", "NotoSansSC-Bold.otf", _CJK, _BUNDLED)

# SVG viewers pick their own fonts: name the same families, CJK ones as fallbacks.
SVG_FONT_FAMILY = "'DejaVu Sans', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"

_REFERENCE_PX = 200  # measuring size: large enough that rounding in Pillow does not matter


@lru_cache(maxsize=256)
def font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The label font at ``size_px`` pixels per em."""
    for name in BOLD_FONTS if bold else REGULAR_FONTS:
        try:
            return ImageFont.truetype(name, max(1, size_px))
        except OSError:
            continue
    raise OSError("no usable font (not even python-barcode's own)")  # pragma: no cover


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width of ``text`` at an em size of ``size`` (any unit; mm in the layout)."""
    return font(_REFERENCE_PX, bold).getlength(text) / _REFERENCE_PX * size


def ascent(size: float, bold: bool = False) -> float:
    """Height from the top of a line to its baseline, at an em size of ``size``."""
    return font(_REFERENCE_PX, bold).getmetrics()[0] / _REFERENCE_PX * size
