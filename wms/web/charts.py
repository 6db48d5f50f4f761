"""Charts drawn on the server as inline SVG: no script, no image with text baked in.

Pure: the caller passes every visible string already translated, and gets markup back.
A chart is an image for assistive technology (``role="img"``, named by its ``<title>``
and described by its ``<desc>``); its labels are SVG ``<text>``, so they follow the
page's language, scale with the page and can be selected and read.

``bar_chart`` draws one horizontal bar per row: the label on the left, a grey track as
long as the row's limit (a courier service's daily capacity), the used part over it (red
where it passes the limit) and the figures on the right.  Every bar is drawn on one
scale, the largest value or limit of the chart, so bars compare across rows; a value
above zero is drawn at least MIN_VISIBLE pixels long so that it never vanishes next to
a large capacity (its figure beside it says exactly how much).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

# Colours on white keep a contrast of at least 4.5:1 for text, 3:1 for the bars.
INK = "#1d2330"
USED = "#0b4f8a"
OVER = "#a31d1d"
TRACK = "#e4e8ef"
TRACK_EDGE = "#6b7486"

ROW = 30  # px per bar
BAR = 18  # bar thickness
PAD = 8
FONT = 13  # px
MIN_VISIBLE = 2.0  # px: a bar above zero never vanishes (its figure says how much)
MIN_LABEL = 60
MAX_LABEL = 200


@dataclass(frozen=True)
class Bar:
    """One row: ``value`` used of ``limit`` (None: no limit), and the words beside it."""

    label: str
    value: float
    limit: float | None = None
    value_text: str = ""


@dataclass(frozen=True)
class BarGeometry:
    """Where a bar ends up (what tests and the template's table can check against)."""

    label: str
    used_width: float
    track_width: float | None
    over: bool


def text_width(text: str, font_px: float = FONT) -> float:
    """A generous estimate of the rendered width: CJK characters are about one em wide,
    Latin ones a little over half."""
    em = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)
    return em * font_px


def scale_of(bars: Sequence[Bar]) -> float:
    """The largest value or limit: the full width of the plot."""
    return max([b.value for b in bars] + [b.limit for b in bars if b.limit is not None] + [0.0])


def geometry(bars: Sequence[Bar], plot_width: float) -> list[BarGeometry]:
    scale = scale_of(bars)
    out = []
    for bar in bars:
        used = plot_width * max(bar.value, 0.0) / scale if scale > 0 else 0.0
        if bar.value > 0:
            used = max(used, MIN_VISIBLE)
        track = None
        if bar.limit is not None:
            track = round(plot_width * max(bar.limit, 0.0) / scale if scale > 0 else 0.0, 2)
        over = bar.limit is not None and bar.value > bar.limit
        out.append(BarGeometry(bar.label, round(used, 2), track, over))
    return out


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    empty_text: str,
    width: int = 640,
) -> Markup:
    """A horizontal bar chart as an inline ``<svg>`` element (safe markup: every string
    given is escaped)."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    label_width = min(MAX_LABEL, max([MIN_LABEL] + [text_width(b.label) + PAD for b in bars]))
    value_width = min(width * 0.45, max([80.0] + [text_width(b.value_text) + PAD for b in bars]))
    plot_width = max(40.0, width - label_width - value_width - 2 * PAD)
    rows = max(len(bars), 1)
    height = rows * ROW + 2 * PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id={quoteattr(chart_id)} '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-size="{FONT}" font-family="system-ui, sans-serif">',
        f"<title id={quoteattr(title_id)}>{escape(title)}</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(description)}</desc>",
    ]
    if not bars:
        parts.append(
            f'<text x="{PAD}" y="{PAD + ROW / 2:.1f}" dominant-baseline="middle" '
            f'fill="{INK}">{escape(empty_text)}</text>'
        )
    x0 = PAD + label_width
    for n, (bar, shape) in enumerate(zip(bars, geometry(bars, plot_width), strict=True)):
        top = PAD + n * ROW + (ROW - BAR) / 2
        middle = PAD + n * ROW + ROW / 2
        parts.append(f'<g class="bar" data-label={quoteattr(bar.label)}>')
        parts.append(
            f'<text class="label" x="{x0 - PAD:.1f}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{INK}">{escape(bar.label)}</text>'
        )
        if shape.track_width is not None:
            parts.append(
                f'<rect class="limit" x="{x0:.1f}" y="{top:.1f}" '
                f'width="{shape.track_width:.2f}" height="{BAR}" fill="{TRACK}" '
                f'stroke="{TRACK_EDGE}" stroke-width="1"/>'
            )
        parts.append(
            f'<rect class="used{" over" if shape.over else ""}" x="{x0:.1f}" y="{top:.1f}" '
            f'width="{shape.used_width:.2f}" height="{BAR}" '
            f'fill="{OVER if shape.over else USED}"/>'
        )
        parts.append(
            f'<text class="value" x="{x0 + plot_width + PAD:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle" fill="{INK}">{escape(bar.value_text)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
