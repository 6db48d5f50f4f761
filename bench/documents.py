"""Customs document benchmark: inventory-list PDFs for a release batch.

1. Generates --lists InventoryLists deterministically: Chinese buyers, addresses and
   product names, 1-6 lines each (a few long lists that run onto a second page), several
   platforms, couriers and origins, taxes as the CBEC composite rate gives them.
2. Renders each list as its own PDF (what a broker downloads one by one) and times it.
3. Renders the whole batch as one multi-page PDF (render_inventory_lists: one document,
   no merge step) and times it.

Prints the figures and ends with one JSON line:
{"pdfs", "seconds", "merged_pages", "merged_seconds"}.
Run: .venv/bin/python bench/documents.py [--out DIR] [--lists 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from customs.inventory_list import Buyer, Company, InventoryLine, InventoryList, Taxes
from customs.inventory_pdf import pages_of, render_inventory_list, render_inventory_lists

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯鹏晨欣怡"
PLACES = (
    ("广东省", "深圳市", "440305", ("南山区", "福田区", "宝安区")),
    ("上海市", "上海市", "310115", ("浦东新区", "徐汇区", "静安区")),
    ("北京市", "北京市", "110105", ("朝阳区", "海淀区", "东城区")),
    ("浙江省", "杭州市", "330106", ("西湖区", "余杭区", "滨江区")),
    ("四川省", "成都市", "510107", ("武侯区", "锦江区", "高新区")),
    ("湖北省", "武汉市", "420111", ("洪山区", "江汉区", "武昌区")),
)
STREETS = ("科技园路", "人民路", "建设大道", "解放路", "中山路", "滨海大道", "学府路")
ESTATES = ("阳光花园", "金色家园", "碧桂园", "万科城", "华润城", "翠苑小区")
# (name, specification, HS code, origin, unit, legal unit, price CNY, net g, kind)
PRODUCTS = (
    ("麦卢卡蜂蜜", "UMF10+ 250克/瓶", "0409000000", "609", "007", "035", "168.00", 250),
    ("婴儿配方奶粉", "3段 800克/罐", "1901101000", "609", "007", "035", "238.00", 800),
    ("保湿面霜", "50毫升/瓶", "3304990099", "305", "007", "035", "320.00", 50),
    ("精华液", "30毫升/瓶", "3304990099", "116", "007", "035", "580.00", 30),
    ("维生素C咀嚼片", "120片/瓶", "2106909090", "601", "007", "035", "99.00", 180),
    ("电动牙刷", "HX6730 白色", "8509800000", "304", "011", "011", "459.00", 320),
    ("羊毛袜", "M码 3双装", "6115950000", "601", "025", "025", "129.00", 210),
    ("鱼油软胶囊", "1000毫克 400粒/瓶", "2106909090", "502", "007", "035", "188.00", 520),
    ("洗发水", "400毫升/瓶", "3305100000", "133", "007", "035", "89.00", 400),
    ("纸尿裤", "L码 54片/包", "9619001100", "116", "007", "007", "139.00", 1600),
)
PLATFORMS = (
    Company("3301960001", "天猫国际"),
    Company("3101960002", "京东国际"),
    Company("4403960003", "网易考拉海购"),
)
COURIERS = (
    (Company("3301980101", "中通快递股份有限公司"), "ZT"),
    (Company("3301980102", "圆通速递有限公司"), "YT"),
    (Company("4403980103", "顺丰速运有限公司"), "SF"),
)
ECOMMERCE = Company("3105960100", "宁波保税区优选跨境电商有限公司")
AREA = Company("3105A00001", "宁波梅山保税港区物流有限公司")
COMPOSITE_RATE = Decimal("0.091")  # VAT 13% x 70%, no consumption tax for these goods
FEN = Decimal("0.01")


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def inventory_lists(count: int, seed: int = 7) -> list[InventoryList]:
    rng = random.Random(seed)
    day = date(2026, 7, 3)
    lists = []
    for n in range(count):
        province, city, region, districts = rng.choice(PLACES)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        birth = date(1970, 1, 1) + timedelta(days=rng.randint(0, 12000))
        id_number = f"{region}{birth:%Y%m%d}{rng.randint(0, 999):03d}{rng.choice('0123456789X')}"
        address = (
            f"{province}{city}{rng.choice(districts)}{rng.choice(STREETS)}"
            f"{rng.randint(1, 999)}号{rng.choice(ESTATES)}{rng.randint(1, 30)}栋"
            f"{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
        )
        line_count = 16 if n % 250 == 0 else rng.randint(1, 6)  # a few run onto page 2
        lines = []
        for gnum in range(1, line_count + 1):
            product = PRODUCTS[rng.randrange(len(PRODUCTS))]
            gname, gmodel, hs, origin, unit, unit1, price, net_g = product
            qty = rng.randint(1, 3)
            legal = Decimal(net_g * qty).scaleb(-3) if unit1 == "035" else Decimal(qty)
            lines.append(
                InventoryLine(
                    gnum=gnum,
                    item_record_no=str(100 + PRODUCTS.index(product)),
                    item_no=f"SKU-{PRODUCTS.index(product):03d}-{origin}",
                    item_name=gname,
                    gcode=hs,
                    gname=gname,
                    gmodel=gmodel,
                    bar_code=f"{rng.randint(10**12, 10**13 - 1)}",
                    country=origin,
                    qty=Decimal(qty),
                    unit=unit,
                    qty1=legal,
                    unit1=unit1,
                    price=Decimal(price),
                    total_price=Decimal(price) * qty,
                )
            )
        value = sum((line.total_price for line in lines), Decimal(0))
        vat = _fen(value * COMPOSITE_RATE)
        net = sum(int(line.qty) * PRODUCTS[int(line.item_record_no) - 100][7] for line in lines)
        platform = rng.choice(PLATFORMS)
        courier, prefix = rng.choice(COURIERS)
        lists.append(
            InventoryList(
                cop_no=f"NB{day:%Y%m%d}{n:06d}",
                invt_no=f"3105{day:%Y}I{n + 180000000:09d}",
                order_no=f"ORD{day:%y%m%d}{rng.randint(10**9, 10**10 - 1)}",
                platform=platform,
                ecommerce=ECOMMERCE,
                logistics=courier,
                logistics_no=f"{prefix}{rng.randint(10**11, 10**12 - 1)}",
                assure=ECOMMERCE,
                agent=AREA,
                area=AREA,
                ems_no="T3105W000123",
                decl_date=day,
                ie_date=day,
                customs_code="3105",
                port_code="3105",
                buyer=Buyer(name, id_number, f"13{rng.randint(10**8, 10**9 - 1)}", f"u{n:07d}"),
                consignee_address=address,
                trade_mode="1210",
                traf_mode="4",
                country="142",
                freight=Decimal(0),
                insured_fee=Decimal(0),
                currency="142",
                gross_weight_g=net + 120 + 40 * line_count,
                net_weight_g=net,
                lines=tuple(lines),
                taxes=Taxes(Decimal("0.00"), vat, Decimal("0.00"), vat),
            )
        )
    return lists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="keep the PDFs in this folder")
    args = parser.parse_args()

    lists = inventory_lists(args.lists)
    render_inventory_list(lists[0])  # font registration and imports, outside the timing

    start = time.perf_counter()
    singles = [render_inventory_list(invt) for invt in lists]
    seconds = time.perf_counter() - start

    start = time.perf_counter()
    merged = render_inventory_lists(lists)
    merged_seconds = time.perf_counter() - start
    pages = sum(pages_of(invt) for invt in lists)

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for invt, pdf in zip(lists, singles, strict=True):
            (args.out / f"{invt.number}.pdf").write_bytes(pdf)
        (args.out / "batch.pdf").write_bytes(merged)

    size = sum(len(pdf) for pdf in singles)
    print(
        f"{len(singles)} inventory-list PDFs in {seconds:.2f} s "
        f"({len(singles) / seconds:.0f}/s, {size / len(singles) / 1024:.0f} KiB each)"
    )
    print(
        f"one batch PDF of {pages} pages in {merged_seconds:.2f} s "
        f"({len(merged) / 1024 / 1024:.1f} MiB)"
    )
    print(
        json.dumps(
            {
                "pdfs": len(singles),
                "seconds": round(seconds, 3),
                "merged_pages": pages,
                "merged_seconds": round(merged_seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
