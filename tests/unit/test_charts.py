"""Server-side SVG charts: well-formed, accessible, bars to scale, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from wms.web.charts import MIN_VISIBLE, Bar, bar_chart, geometry, scale_of, text_width

SVG = "{http://www.w3.org/2000/svg}"


def render(bars: list[Bar], **kw: str) -> ET.Element:
    markup = bar_chart(
        bars,
        chart_id=kw.get("chart_id", "c1"),
        title=kw.get("title", "Parcels per service"),
        description=kw.get("description", "What each service carries"),
        empty_text=kw.get("empty_text", "Nothing to show"),
    )
    assert isinstance(markup, Markup)  # safe for Jinja as it is
    return ET.fromstring(str(markup))  # raises on anything not well-formed


def groups(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}g")


def rect(group: ET.Element, cls: str) -> ET.Element | None:
    return next(
        (r for r in group.findall(f"{SVG}rect") if r.get("class", "").split()[0] == cls), None
    )


def texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def test_the_chart_is_a_named_described_image() -> None:
    svg = render([Bar("SF-STD", 3, 10, "3 of 10 parcels")], chart_id="chart-x")
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-x-title chart-x-desc"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.get("id") == "chart-x-title"
    assert title.text == "Parcels per service"
    assert desc is not None and desc.get("id") == "chart-x-desc"
    assert desc.text == "What each service carries"
    # The title and desc come first: what assistive technology reads as the name.
    assert [child.tag for child in svg][:2] == [f"{SVG}title", f"{SVG}desc"]
    width, height = int(svg.get("width", "0")), int(svg.get("height", "0"))
    assert svg.get("viewBox") == f"0 0 {width} {height}"


def test_labels_and_figures_are_svg_text() -> None:
    bars = [Bar("SF-STD", 3, 10, "3 of 10 parcels"), Bar("圆通", 7, None, "7 parcels, no limit")]
    svg = render(bars)
    assert texts(svg) == ["SF-STD", "3 of 10 parcels", "圆通", "7 parcels, no limit"]
    for group, bar in zip(groups(svg), bars, strict=True):
        assert group.get("data-label") == bar.label
        label = group.find(f"{SVG}text[@class='label']")
        assert label is not None and label.get("text-anchor") == "end"


def test_bars_are_proportional_on_one_scale() -> None:
    bars = [Bar("A", 10, 40), Bar("B", 20, 40), Bar("C", 30, None), Bar("D", 0, 20)]
    svg = render(bars)
    used = [float(rect(g, "used").get("width", "nan")) for g in groups(svg)]  # type: ignore[union-attr]
    limits = [rect(g, "limit") for g in groups(svg)]
    assert used[3] == 0
    assert used[1] == pytest.approx(2 * used[0], abs=0.02)
    assert used[2] == pytest.approx(3 * used[0], abs=0.02)
    # Capacity tracks on the same scale: 40 is four times 10, 20 twice 10.
    track = [float(r.get("width", "nan")) if r is not None else None for r in limits]
    assert track[0] == pytest.approx(4 * used[0], abs=0.02) and track[0] == track[1]
    assert track[2] is None  # no limit, no track
    assert track[3] == pytest.approx(2 * used[0], abs=0.02)
    # All bars start at the same x (one baseline).
    assert len({rect(g, "used").get("x") for g in groups(svg)}) == 1  # type: ignore[union-attr]


def test_the_largest_value_or_limit_fills_the_plot() -> None:
    bars = [Bar("A", 50, 100), Bar("B", 150, 100)]
    assert scale_of(bars) == 150
    shapes = geometry(bars, plot_width=300)
    assert shapes[1].used_width == 300 and shapes[0].used_width == 100
    assert shapes[0].track_width == shapes[1].track_width == 200
    assert not shapes[0].over and shapes[1].over


def test_a_bar_over_its_limit_is_marked_and_coloured() -> None:
    svg = render([Bar("A", 12, 10, "12 of 10"), Bar("B", 5, 10, "5 of 10")])
    over, within = (rect(g, "used") for g in groups(svg))
    assert over is not None and within is not None
    assert "over" in over.get("class", "").split() and over.get("fill") != within.get("fill")
    assert "over" not in within.get("class", "").split()


def test_a_tiny_value_stays_visible_and_zero_stays_zero() -> None:
    shapes = geometry([Bar("A", 1, 6000), Bar("B", 0, 6000)], plot_width=300)
    assert shapes[0].used_width == MIN_VISIBLE and shapes[1].used_width == 0


def test_text_is_escaped() -> None:
    nasty = "<script>alert(\"x\")</script> & 'q'"
    markup = str(
        bar_chart(
            [Bar(nasty, 1, 2, nasty)],
            chart_id="c",
            title=nasty,
            description=nasty,
            empty_text="-",
        )
    )
    assert "<script>" not in markup
    svg = ET.fromstring(markup)
    assert svg.find(f"{SVG}title").text == nasty  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == nasty  # type: ignore[union-attr]
    assert texts(svg) == [nasty, nasty]
    assert groups(svg)[0].get("data-label") == nasty


def test_an_empty_chart_says_so() -> None:
    svg = render([], empty_text="No courier service is configured.")
    assert groups(svg) == []
    assert texts(svg) == ["No courier service is configured."]
    assert svg.get("role") == "img"


def test_all_zero_draws_no_bars_and_does_not_divide_by_zero() -> None:
    svg = render([Bar("A", 0, 0, "0 of 0"), Bar("B", 0, None, "0")])
    widths = [rect(g, "used").get("width") for g in groups(svg)]  # type: ignore[union-attr]
    assert widths == ["0.00", "0.00"]


def test_long_and_wide_labels_get_room() -> None:
    assert text_width("圆通速递") > text_width("YTO-")  # CJK is about twice as wide
    svg = render([Bar("圆通速递标准快递", 1, 2, "1 of 2"), Bar("A", 1, 2, "1 of 2")])
    x = float(rect(groups(svg)[0], "used").get("x", "0"))  # type: ignore[union-attr]
    assert x >= text_width("圆通速递标准快递")
