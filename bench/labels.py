"""Label PDF benchmark: one wave of parcel labels into one PDF.

1. Generates --labels ShippingLabels deterministically: several couriers and services,
   sort codes and tracking numbers in each courier's style, masked Chinese consignee
   names and phones, Chinese addresses, bonded inventory list (declaration) numbers.
2. Renders them with labels.pdf.render_pdf (median of --repeat runs) and prints labels/s.
3. Renders the same labels the plain way (one ReportLab canvas, drawString per text,
   Code128.drawOn per barcode, lines per page, no forms) and prints the ratio.

Ends with one JSON line: {"labels", "seconds", "labels_per_s"}.
Run: .venv/bin/python bench/labels.py [--out wave.pdf] [--labels 2000]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.masking import mask_name, mask_phone
from labels.model import Address, ShippingLabel
from labels.pdf import render_pdf
from labels.pdf_draw import CJK, register_fonts
from labels.pdf_shipping import SIZE, kg, x, y

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫")
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯鹏晨欣怡"
    "梓涵子轩雨泽佳琪思远"
)
# (province, city, postcode prefix, districts, courier sort prefix)
PLACES = (
    ("广东省", "深圳市", "518", ("南山区", "福田区", "宝安区", "龙岗区"), "755"),
    ("广东省", "广州市", "510", ("天河区", "越秀区", "海珠区", "番禺区"), "020"),
    ("上海市", "上海市", "200", ("浦东新区", "徐汇区", "静安区", "闵行区"), "021"),
    ("北京市", "北京市", "100", ("朝阳区", "海淀区", "东城区", "丰台区"), "010"),
    ("浙江省", "杭州市", "310", ("西湖区", "余杭区", "滨江区", "上城区"), "571"),
    ("四川省", "成都市", "610", ("武侯区", "锦江区", "高新区", "青羊区"), "028"),
    ("湖北省", "武汉市", "430", ("洪山区", "江汉区", "武昌区", "汉阳区"), "027"),
    ("江苏省", "南京市", "210", ("鼓楼区", "玄武区", "江宁区", "建邺区"), "025"),
)
STREETS = ("科技园路", "人民路", "建设大道", "解放路", "中山路", "滨海大道", "学府路", "长江路")
ESTATES = ("阳光花园", "金色家园", "碧桂园", "万科城", "华润城", "翠苑小区", "")
SENDERS = (
    Address(
        "Ningbo Bonded Logistics Centre",
        "0574-8686 1234",
        ("No. 8 Xingye Road", "Meishan Bonded Port Area"),
        "Ningbo",
        "315832",
        "CN",
        "Zhejiang",
    ),
    Address(
        "宁波保税区跨境电商仓",
        "0574-8777 2000",
        ("保税区港东大道9号", "3号库"),
        "宁波市",
        "315800",
        "CN",
        "浙江省",
    ),
)
# (courier, services, tracking number pattern: prefix and digit count)
COURIERS = (
    ("SF Express", ("Standard Express", "Economy Express"), "SF", 13),
    ("YTO Express", ("Standard",), "YT", 13),
    ("ZTO Express", ("Standard", "Bonded Direct"), "7", 13),
    ("JD Logistics", ("Special Delivery", "Standard"), "JDV", 12),
    ("China Post EMS", ("EMS Bonded", "Standard Parcel"), "1", 12),
)
CUSTOMS_CODES = ("3105", "3104", "2249", "5165")  # Ningbo, Meishan, Shanghai, Guangzhou


def _consignee(rng: random.Random) -> Address:
    surname = rng.choice(DOUBLE_SURNAMES) if rng.random() < 0.05 else rng.choice(SURNAMES)
    name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    phone = rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
    province, city, post, districts, _ = rng.choice(PLACES)
    district = rng.choice(districts)
    street = f"{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
    estate = rng.choice(ESTATES)
    flat = f"{estate}{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
    return Address(
        mask_name(name),
        mask_phone("1" + phone),
        (street, flat),
        city,
        f"{post}{rng.randint(0, 999):03d}",
        "CN",
        province,
    )


def wave(count: int, seed: int = 20261122) -> list[ShippingLabel]:
    """A deterministic wave of parcel labels with realistic, varied data."""
    rng = random.Random(seed)
    labels: list[ShippingLabel] = []
    day = date(2026, 3, 14)
    while len(labels) < count:
        courier, services, prefix, digits = rng.choice(COURIERS)
        consignee = _consignee(rng)
        sort_prefix = next(p[4] for p in PLACES if p[1] == consignee.city)
        letters = "".join(rng.choice("ABCDEFGHJK") for _ in range(2))
        sort_code = f"{sort_prefix}{letters}-{rng.randint(1, 999):03d}"
        parcels = rng.choice((1, 1, 1, 1, 2, 3))
        order = f"{rng.choice(('TM', 'JD', 'DY'))}{rng.randint(10**11, 10**12 - 1)}"
        declaration = f"{rng.choice(CUSTOMS_CODES)}2026{rng.randint(0, 10**10 - 1):010d}"
        for index in range(1, parcels + 1):
            tracking = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
            labels.append(
                ShippingLabel(
                    courier=courier,
                    service=rng.choice(services),
                    sort_code=sort_code,
                    tracking_number=tracking,
                    sender=rng.choice(SENDERS),
                    consignee=consignee,
                    weight_g=rng.randint(120, 15_000),
                    parcel_index=index,
                    parcel_count=parcels,
                    order_reference=order,
                    ship_date=day + timedelta(days=rng.randint(0, 2)),
                    declaration_number=declaration if rng.random() < 0.9 else None,
                )
            )
    return labels[:count]


def plain_pdf(labels: Sequence[ShippingLabel]) -> bytes:
    """The straightforward ReportLab loop: every page draws everything itself."""
    register_fonts()
    canvas = Canvas(io.BytesIO(), pagesize=SIZE, invariant=True)

    def text(left: float, top: float, value: str, font: str, size: float) -> None:
        canvas.setFont(font, size)
        canvas.drawString(x(left), y(top), value)

    def font(value: str, bold: bool = False) -> str:
        if not value.isascii():
            return CJK
        return "Helvetica-Bold" if bold else "Helvetica"

    for label in labels:
        canvas.setPageSize(SIZE)
        canvas.setLineWidth(0.8)
        canvas.rect(x(2.5), y(149.9), x(96.6), x(147.4))
        canvas.setLineWidth(0.6)
        for at in (16, 42, 74, 95, 128):
            canvas.line(x(2.5), y(at), x(99.1), y(at))
        canvas.line(x(44), y(16), x(44), y(42))
        canvas.line(x(62), y(128), x(62), y(149.9))
        for left, top, caption in (
            (4.5, 19.5, "SORT CODE"),
            (4.5, 45.5, "TRACKING NO. / WAYBILL"),
            (4.5, 77.5, "FROM"),
            (4.5, 98.5, "TO"),
            (4.5, 131.5, "ORDER"),
            (64, 131.5, "WEIGHT"),
            (64, 141.5, "SHIP DATE"),
            (90, 6, "PARCEL"),
        ):
            text(left, top, caption, "Helvetica", 6)
        text(4.5, 9, label.courier, "Helvetica-Bold", 16)
        text(4.5, 14, label.service, "Helvetica", 9)
        text(80, 13.5, f"{label.parcel_index} / {label.parcel_count}", "Helvetica-Bold", 16)
        text(4.5, 33, label.sort_code, "Helvetica-Bold", 30)
        Code128(label.sort_code, barWidth=2 * 72 / 203, barHeight=16 * mm).drawOn(
            canvas, x(50), y(39)
        )
        Code128(label.tracking_number, barWidth=3 * 72 / 203, barHeight=18 * mm).drawOn(
            canvas, x(15), y(66)
        )
        text(30, 71.5, label.tracking_number, "Helvetica-Bold", 12)
        for address, top, size in ((label.sender, 78.5, 8), (label.consignee, 99.5, 11)):
            place = f"{address.city} {address.province} {address.postcode} {address.country}"
            rows = [(address.name, True), (address.phone, False)]
            rows += [(line, False) for line in address.lines] + [(place, False)]
            for i, (value, bold) in enumerate(rows):
                text(4.5, top + (i + 1) * size * 1.15 / mm * 0.8, value, font(value, bold), size)
        text(4.5, 135.5, label.order_reference, "Helvetica", 10)
        if label.declaration_number:
            text(4.5, 140, "INVENTORY LIST NO.", "Helvetica", 6)
            text(4.5, 145, label.declaration_number, "Helvetica-Bold", 11)
        text(64, 137, f"{kg(label.weight_g)} kg", "Helvetica-Bold", 13)
        text(64, 146.5, label.ship_date.isoformat(), "Helvetica", 10)
        canvas.showPage()
    return canvas.getpdfdata()


def timed(
    render: Callable[[Sequence[ShippingLabel]], bytes], labels: list, repeat: int
) -> tuple[float, bytes]:
    """Median seconds over ``repeat`` runs, and the PDF of the last one."""
    times, pdf = [], b""
    for _ in range(repeat):
        started = time.perf_counter()
        pdf = render(labels)
        times.append(time.perf_counter() - started)
    return statistics.median(times), pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per renderer; median")
    parser.add_argument("--out", type=Path, help="keep the wave's PDF here")
    args = parser.parse_args()

    labels = wave(args.labels)
    render_pdf(labels[:10])  # warm up: imports, font registration, first-use caches
    seconds, pdf = timed(render_pdf, labels, args.repeat)
    per_s = len(labels) / seconds
    print(
        f"render_pdf: {len(labels):,} labels in {seconds:.3f} s = {per_s:,.0f} labels/s "
        f"({len(pdf) / 1e6:.1f} MB, {len(pdf) / len(labels) / 1e3:.1f} kB/label)"
    )
    if args.out:
        args.out.write_bytes(pdf)
        print(f"wrote {args.out}")

    plain_seconds, plain = timed(plain_pdf, labels, args.repeat)
    plain_per_s = len(labels) / plain_seconds
    print(
        f"plain ReportLab loop: {plain_per_s:,.0f} labels/s "
        f"({len(plain) / 1e6:.1f} MB); ratio {per_s / plain_per_s:.2f}x"
    )
    print(
        json.dumps(
            {"labels": len(labels), "seconds": round(seconds, 3), "labels_per_s": round(per_s)}
        )
    )


if __name__ == "__main__":
    main()
