"""`flask orders import` and `flask orders allocate`: files of good and bad orders, the
summary naming file lines and fields, exit codes, and re-imports that create nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import Order, OrderStatus
from wms.services import order_import

HEADER = (
    "channel,order_number,flow,warehouse,currency,freight,consignee_name,consignee_id_type,"
    "consignee_id_number,consignee_phone,consignee_country,consignee_province,consignee_city,"
    "consignee_address,payment_number,payer_name,paid_amount,paid_at,sku,quantity,unit_price"
)
BUYER = "张三,resident_id,11010519491231002X,13812345678,CN,浙江省,杭州市,文一西路969号"
PAID = "2026-11-21T08:30:00+08:00"


def row(number: str, sku: str = f.MILK.sku, quantity: str = "1", **change: str) -> str:
    cells = {
        "flow": "bonded_import",
        "name": "张三",
        "paid_at": PAID,
        "payment": f"PAY{number}",
    }
    cells.update(change)
    buyer = BUYER.replace("张三", cells["name"], 1)
    if cells["flow"] == "domestic":
        buyer = f"{cells['name']},,,13812345678,CN,浙江省,杭州市,文一西路969号"
        payment = ",,,"
    else:
        payment = f"{cells['payment']},张三,500.00,{cells['paid_at']}"
    return (
        f"TMALLG,{number},{cells['flow']},SHA1,CNY,10.00,{buyer},{payment},{sku},{quantity},199.00"
    )


GOOD_AND_BAD = "\n".join(
    [
        HEADER,
        row("C1"),  # line 2
        row("C1", f.SERUM.sku, "2"),  # line 3: the same order's second line
        row("C2", quantity="-1"),  # line 4
        row("C3"),  # line 5
        row("C3", f.SERUM.sku, name="李四"),  # line 6: disagrees with line 5
        row("C4", "GHOST-SKU"),  # line 7
        row("C5", flow="domestic"),  # line 8
        row("C6", paid_at="2026-11-21T08:30:00"),  # line 9
        row("C7", quantity="two"),  # line 10
    ]
)


@pytest.fixture
def shop(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 20), (f.SERUM.sku, 20))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 20)
    f.putaway(db, f.MILK.sku, "L1", 20, to=f.BINS[0])
    support.channel(db)
    return db


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["orders", *args])
    return result.exit_code, result.output


def count(db: Database) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(Order))


def test_a_csv_of_good_and_bad_orders(app: Flask, shop: Database, tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_AND_BAD + "\n", encoding="utf-8")

    code, output = run(app, "import", str(path), "--actor", "ops.wang")

    assert code == 1, output
    assert "accepted 2 (new 2, already there 0)" in output
    assert "refused 5" in output
    assert "line 4: order C2: quantity (line 4): Input should be greater than 0" in output
    assert "lines 5-6: order C3: consignee_name: line 6 says consignee_name differently" in output
    assert "line 7: order C4: sku (line 7): no active product GHOST-SKU" in output
    assert "line 9: order C6: paid_at: Input should have timezone info" in output
    assert "line 10: order C7: quantity (line 10): Input should be a valid integer" in output
    assert "13812345678" not in output and "11010519491231002X" not in output
    with shop.reading() as s:
        found = {o.order_number: o for o in s.scalars(select(Order))}
        assert set(found) == {"C1", "C5"}
        assert [(line.product.sku, line.quantity) for line in found["C1"].lines] == [
            (f.MILK.sku, 1),
            (f.SERUM.sku, 2),
        ]
        assert found["C5"].consignee_id_sealed is None
        assert found["C1"].status is OrderStatus.RECEIVED

    code, output = run(app, "import", str(path))
    assert code == 1
    assert "accepted 2 (new 0, already there 2)" in output
    assert count(shop) == 2


def test_a_clean_file_exits_0_and_the_same_orders_as_json_are_the_same_orders(
    app: Flask, shop: Database, tmp_path: Path
):
    csv_file = tmp_path / "good.csv"
    csv_file.write_text("\n".join([HEADER, row("G1"), row("G1", f.SERUM.sku, "2")]) + "\n")
    assert run(app, "import", str(csv_file))[0] == 0

    with shop.reading() as s:
        order = s.scalar(select(Order))
        s.expunge_all()
    body = {
        "channel": "TMALLG",
        "order_number": "G1",
        "flow": "bonded_import",
        "warehouse": "SHA1",
        "currency": "CNY",
        "freight": "10.00",
        "consignee": {
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "phone": "13812345678",
            "country": "CN",
            "province": "浙江省",
            "city": "杭州市",
            "address": "文一西路969号",
        },
        "payment": {
            "payment_number": "PAYG1",
            "payer_name": "张三",
            "amount": "500.00",
            "paid_at": PAID,
        },
        "lines": [
            {"sku": f.MILK.sku, "quantity": 1, "unit_price": "199.00"},
            {"sku": f.SERUM.sku, "quantity": 2, "unit_price": "199"},
        ],
    }
    bad = {**body, "order_number": "G2", "currency": "yuan"}
    json_file = tmp_path / "orders.json"
    json_file.write_text(json.dumps([body, bad], indent=2, ensure_ascii=False))
    code, output = run(app, "import", str(json_file))
    assert code == 1, output
    assert "accepted 1 (new 0, already there 1)" in output
    lines = json_file.read_text().splitlines()
    starts = [n for n, text in enumerate(lines, start=1) if text == "  {"]
    assert f"lines {starts[1]}-{len(lines) - 1}: order G2" in output
    assert "order G2: currency: String should match pattern" in output
    assert count(shop) == 1 and order.order_number == "G1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"channel,order_number\nTMALLG,X\n", "missing column(s) sku, quantity, unit_price"),
        (HEADER.encode() + b",colour\n", "unknown column(s) colour"),
        (b"", "the file is empty"),
        (b"\xff\xfe\x00junk", "not UTF-8"),
        (HEADER.encode() + b"\nTMALLG,\x00X", "NUL"),
    ],
)
def test_an_unreadable_csv_exits_2_and_writes_nothing(
    app: Flask, shop: Database, tmp_path: Path, content: bytes, message: str
):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    code, output = run(app, "import", str(path))
    assert code == 2, output
    assert message in output
    assert count(shop) == 0


@pytest.mark.parametrize(
    "content", ['{"orders": []}', "[{}, ", "[1] trailing", "not json"], ids=str
)
def test_an_unreadable_json_file_exits_2(app: Flask, shop: Database, tmp_path: Path, content: str):
    path = tmp_path / "broken.json"
    path.write_text(content)
    code, output = run(app, "import", str(path), "--format", "json")
    assert code == 2, output
    assert "cannot read orders" in output


def test_a_missing_file_exits_2(app: Flask, shop: Database, tmp_path: Path):
    assert run(app, "import", str(tmp_path / "nowhere.csv"))[0] == 2


def test_rows_of_one_order_need_not_be_adjacent_and_blank_lines_are_skipped():
    text = "\n".join([HEADER, row("A1"), "", row("B1"), row("A1", f.SERUM.sku)]) + "\n"
    incoming = order_import.read_orders(text.encode(), "csv")
    assert [(o.order_number, o.where) for o in incoming] == [("A1", (2, 5)), ("B1", (4,))]
    assert all(o.problem is None for o in incoming)


def test_allocate_all_received_orders(app: Flask, shop: Database):
    small = support.receive_order(shop, (f.MILK.sku, 5))
    support.receive_order(shop, (f.MILK.sku, 500))
    assert run(app, "allocate")[0] == 2  # nothing named: a usage error
    code, output = run(app, "allocate", "--all-received", "--batch-size", "1")
    assert code == 0, output
    assert "allocated 1, on hold 1, skipped 0" in output
    assert f"short of {f.MILK.sku} 485" in output
    with shop.reading() as s:
        assert s.get(Order, small).status is OrderStatus.ALLOCATED
    code, output = run(app, "allocate", "--all-received")
    assert "allocated 0, on hold 1, skipped 0" in output
