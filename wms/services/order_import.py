"""Orders from outside: the one shape they must have, and reading them from files.

The pydantic model here is the rule for every way an order comes in: the JSON API
(one order, or a batch) and the CLI import of CSV or JSON files.  It lives outside
the web layer so that the CLI validates with the very same rules, without Flask.

Each order is received in its own transaction (``receive_each``): one bad order never
blocks the others, and receiving the same order again creates nothing
(``orders.receive_order`` answers with the order already there).

Files (``open_orders``, ``read_orders``): checked as a whole first (size, lines, encoding,
NUL characters, header, quoting: any fault refuses the whole file, naming the line),
then read again order by order in bounded memory; a fault of one row (a cell too many or
too few, a cell too long, a formula cell, a value the rules refuse) refuses that row's
whole order, naming the row and the column.  Encodings and limits: ``csv_safety``.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlalchemy.exc import IntegrityError

from wms.db import Database
from wms.models import Flow
from wms.services import csv_safety, orders, unit_of_work
from wms.services.csv_safety import Limits
from wms.services.errors import ServiceError
from wms.services.inputs import Input, chars, field_path

MAX_BATCH = 500
CENT = Decimal("0.01")


# Consumer money: at most two decimals, never negative, NaN or infinite; JSON may carry it
# as a string ("199.00", preferred: exact) or a number.
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
Quantity = Annotated[int, Field(strict=True, gt=0, le=100_000)]


class ConsigneeIn(Input):
    name: chars(100)
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 \-]{6,32}$")]
    country: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$")]
    address: chars(240)
    id_type: Literal["resident_id", "passport", "other"] | None = None
    id_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z]{6,32}$")]
        | None
    ) = None
    province: chars(60) | None = None
    city: chars(60) | None = None
    district: chars(60) | None = None
    postcode: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z \-]{3,16}$")]
        | None
    ) = None


class LineIn(Input):
    sku: chars(40)
    quantity: Quantity
    unit_price: Amount
    discount: Amount = Decimal(0)


class PaymentIn(Input):
    payment_number: chars(60)
    payer_name: chars(100)
    amount: Amount
    paid_at: AwareDatetime
    payer_id_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z]{6,32}$")]
        | None
    ) = None

    @field_validator("paid_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("lies outside the calendar once converted to UTC") from None


class OrderIn(Input):
    channel: chars(32)
    order_number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\-_./]{1,40}$")
    ]
    flow: Flow
    warehouse: chars(16)
    consignee: ConsigneeIn
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=orders.MAX_LINES)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    freight: Amount = Decimal(0)
    insurance: Amount = Decimal(0)
    payment: PaymentIn | None = None


def _cents(value: Decimal) -> Decimal:
    # "199", "199.0" and "199.00" are one price: the order's fingerprint must agree.
    return value.quantize(CENT)


def to_input(data: OrderIn) -> orders.OrderInput:
    c, p = data.consignee, data.payment
    return orders.OrderInput(
        channel=data.channel,
        order_number=data.order_number,
        flow=data.flow,
        warehouse=data.warehouse,
        consignee=orders.ConsigneeInput(
            name=c.name,
            phone=c.phone,
            country=c.country,
            address=c.address,
            id_type=c.id_type,
            id_number=c.id_number,
            province=c.province,
            city=c.city,
            district=c.district,
            postcode=c.postcode,
        ),
        lines=tuple(
            orders.OrderLineInput(
                line.sku, line.quantity, _cents(line.unit_price), _cents(line.discount)
            )
            for line in data.lines
        ),
        currency=data.currency,
        freight=_cents(data.freight),
        insurance=_cents(data.insurance),
        payment=None
        if p is None
        else orders.PaymentInput(
            payment_number=p.payment_number,
            payer_name=p.payer_name,
            amount=_cents(p.amount),
            paid_at=p.paid_at,
            payer_id_number=p.payer_id_number,
        ),
    )


# --- one order through validation and into the database --------------------------------


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def first_problem(exc: ValidationError, prefix: str = "") -> Problem:
    err = exc.errors(include_url=False, include_context=False, include_input=False)[0]
    return Problem(prefix + (field_path(err["loc"]) or "order"), err["msg"])


@dataclass
class Incoming:
    """An order as read from a file or a batch: its validated input, or why not."""

    where: tuple[int, ...]  # file line numbers, or the index in a batch
    channel: str | None
    order_number: str | None
    data: orders.OrderInput | None = None
    problem: Problem | None = None
    # For CSV: the file line of each order line, to point at the row at fault.
    line_rows: tuple[int, ...] = ()


def validate(raw: Any, where: tuple[int, ...], line_rows: tuple[int, ...] = ()) -> Incoming:
    channel = raw.get("channel") if isinstance(raw, dict) else None
    number = raw.get("order_number") if isinstance(raw, dict) else None
    incoming = Incoming(
        where,
        channel if isinstance(channel, str) else None,
        number if isinstance(number, str) else None,
        line_rows=line_rows,
    )
    try:
        incoming.data = to_input(OrderIn.model_validate(raw))
    except ValidationError as exc:
        incoming.problem = first_problem(exc)
    return incoming


@dataclass
class Outcome:
    incoming: Incoming
    status: Literal["new", "existing", "refused"]
    order_id: int | None = None
    problem: Problem | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "channel": self.incoming.channel,
            "order_number": self.incoming.order_number,
            "status": self.status,
            "order_id": self.order_id,
        }
        if self.problem is not None:
            body["error"] = {"field": self.problem.field, "message": self.problem.message}
        return body


def receive_one(database: Database, data: orders.OrderInput, *, actor: str) -> orders.Received:
    """Receive one order in its own transaction.  Two pushes of the same new order racing
    each other: the loser's insert hits the unique (channel, number) index, and its retry
    finds the winner's order (the same one, or a conflict if the content differs)."""

    def receive(session: Any) -> orders.Received:
        return orders.receive_order(session, data, actor=actor)

    try:
        return unit_of_work.run(database, receive)
    except IntegrityError:
        return unit_of_work.run(database, receive)


def receive_stream(
    database: Database, incoming: Iterable[Incoming], *, actor: str
) -> Iterator[Outcome]:
    """Receive every valid order, each in its own transaction, and refuse the others;
    one outcome per order, as it is done (``incoming`` may be an ``OrderFile``: nothing
    is held but the order at hand)."""
    for item in incoming:
        if item.data is None:
            yield Outcome(item, "refused", problem=item.problem)
            continue
        try:
            received = receive_one(database, item.data, actor=actor)
        except ServiceError as exc:
            problem = Problem(exc.field or "order", exc.message)
            if item.line_rows:  # from a CSV file: name its column and row
                problem = _csv_problem(problem, item.line_rows)
            yield Outcome(item, "refused", problem=problem)
        else:
            yield Outcome(item, "new" if received.created else "existing", received.order.id)


def receive_each(
    database: Database,
    incoming: Iterable[Incoming],
    *,
    actor: str,
    on_each: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    """Receive every valid order, each in its own transaction; refuse the others."""
    outcomes: list[Outcome] = []
    for outcome in receive_stream(database, incoming, actor=actor):
        outcomes.append(outcome)
        on_each(outcome)
    return outcomes


# --- files --------------------------------------------------------------------------------
#
# A file is read twice, both times as a stream (memory stays bounded by one order, plus a
# 12-byte digest per order and the rows of orders whose rows are not adjacent):
#
# 1. ``open_orders`` checks the file as a whole: size, line count, line length, encoding,
#    NUL characters, the header, the CSV quoting.  Any of these refuses the whole file
#    (``UnreadableFile``, naming the line, and the column where there is one) before a
#    single order is received: a broken byte on line 90,000 must not leave the first
#    89,999 lines imported and the rest not.
# 2. Iterating the ``OrderFile`` reads it again and yields one ``Incoming`` per order.
#    What is wrong with one row (cells missing, a cell too long, a formula cell, a value
#    the rules refuse) refuses that row's whole order, naming the row and the column;
#    the other orders go on.  Each order is then received in its own transaction
#    (``receive_each``), so an order is either wholly in or not at all.


class UnreadableFile(Exception):
    """The file as a whole cannot be read as orders (not one order's fault)."""


# One row per order line; order-level columns are repeated on each row of the order.
CSV_ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("channel", "channel"),
    ("order_number", "order_number"),
    ("flow", "flow"),
    ("warehouse", "warehouse"),
    ("currency", "currency"),
    ("freight", "freight"),
    ("insurance", "insurance"),
    ("consignee_name", "consignee.name"),
    ("consignee_id_type", "consignee.id_type"),
    ("consignee_id_number", "consignee.id_number"),
    ("consignee_phone", "consignee.phone"),
    ("consignee_country", "consignee.country"),
    ("consignee_province", "consignee.province"),
    ("consignee_city", "consignee.city"),
    ("consignee_district", "consignee.district"),
    ("consignee_address", "consignee.address"),
    ("consignee_postcode", "consignee.postcode"),
    ("payment_number", "payment.payment_number"),
    ("payer_name", "payment.payer_name"),
    ("payer_id_number", "payment.payer_id_number"),
    ("paid_amount", "payment.amount"),
    ("paid_at", "payment.paid_at"),
)
CSV_LINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sku", "sku"),
    ("quantity", "quantity"),
    ("unit_price", "unit_price"),
    ("discount", "discount"),
)
CSV_REQUIRED = ("channel", "order_number", "sku", "quantity", "unit_price")
CSV_COLUMNS = tuple(c for c, _ in CSV_ORDER_COLUMNS + CSV_LINE_COLUMNS)
# Formula cells (csv_safety.is_formula) are refused in every column but these: a phone
# number may start with "+" (its pattern admits digits, spaces and hyphens only, so no
# formula fits in it; exports write it with a leading apostrophe).  A signed plain number
# ("-1") is not a formula anywhere: the column's own rule judges it.
CSV_FORMULA_EXEMPT = frozenset({"consignee_phone"})
_COLUMN_OF_FIELD = {path: column for column, path in CSV_ORDER_COLUMNS}
_COLUMN_OF_FIELD.update({"payment": "payment_number", "consignee": "consignee_name"})
MAX_FILE_ORDERS = 100_000

FileFormat = Literal["csv", "json"]
Source = bytes | Path | IO[bytes]


@contextmanager
def _binary(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    elif isinstance(source, bytes | bytearray):
        yield io.BytesIO(source)
    else:
        source.seek(0)
        yield source


def _size_of(source: Source) -> int | None:
    if isinstance(source, Path):
        return source.stat().st_size
    if isinstance(source, bytes | bytearray):
        return len(source)
    return None


@dataclass
class OrderFile:
    """A file of orders that passed the whole-file checks (``open_orders``); iterating it
    reads it again and yields each order, validated (a CSV order once its last row is
    read: rows of one order need not be adjacent)."""

    source: Source
    fmt: FileFormat
    encoding: csv_safety.Encoding | None
    limits: csv_safety.Limits
    count: int = 0  # orders in the file (refused ones included)
    _csv: _CsvPlan | None = None
    _json: list[tuple[Any, int, int]] | None = None

    def __iter__(self) -> Iterator[Incoming]:
        if self._json is not None:
            yield from _json_orders(self._json)
            return
        assert self._csv is not None
        with _binary(self.source) as raw:
            yield from _csv_orders(self._csv, _csv_rows(raw, self.encoding, self.limits))


def open_orders(
    source: Source,
    fmt: FileFormat,
    *,
    encoding: csv_safety.Encoding | None = None,
    limits: csv_safety.Limits = csv_safety.DEFAULT_LIMITS,
) -> OrderFile:
    """Check a file of orders as a whole; raises UnreadableFile for a file that is not
    orders at all (too large, bad encoding, NUL characters, broken JSON or CSV quoting,
    missing, unknown or repeated CSV columns).  ``encoding``: None reads UTF-8, or UTF-16
    / UTF-8 by their byte-order mark; "gb18030" must be said (see csv_safety)."""
    size = _size_of(source)
    if size is not None and size > limits.max_bytes:
        raise UnreadableFile(
            f"the file is {size:,} bytes, more than the {limits.max_bytes:,} one import "
            "takes: split it"
        )
    found = OrderFile(source, fmt, encoding, limits)
    with _binary(source) as raw:
        if fmt == "json":
            found._json = _read_json(_json_body(raw, encoding, limits))
            found.count = len(found._json)
        else:
            found._csv = _check_csv(_csv_rows(raw, encoding, limits), limits)
            found.count = found._csv.orders
    return found


def read_orders(
    content: Source,
    fmt: FileFormat,
    *,
    encoding: csv_safety.Encoding | None = None,
    limits: csv_safety.Limits = csv_safety.DEFAULT_LIMITS,
) -> list[Incoming]:
    """Every order of a file, validated, in the order of their first lines (a list: for
    files that fit in memory; ``open_orders`` streams).  Raises UnreadableFile as
    ``open_orders`` does."""
    found = list(open_orders(content, fmt, encoding=encoding, limits=limits))
    found.sort(key=lambda o: o.where[0])
    return found


def guess_format(filename: str) -> FileFormat:
    return "json" if filename.lower().endswith(".json") else "csv"


# --- JSON -----------------------------------------------------------------------------------


def _json_body(raw: IO[bytes], encoding: csv_safety.Encoding | None, limits: Limits) -> str:
    # JSON may be minified onto one line: only the file size bounds a line here.
    whole = replace(limits, max_line_chars=limits.max_bytes, max_lines=limits.max_bytes)
    try:
        return "".join(csv_safety.TextLines(raw, encoding=encoding, limits=whole))
    except csv_safety.UnreadableText as exc:
        raise UnreadableFile(str(exc)) from None


def _read_json(body: str) -> list[tuple[Any, int, int]]:
    """A JSON list of orders in the API's shape: each order's value with the lines where
    it starts and ends in the file."""
    decoder = json.JSONDecoder()
    pos = _skip_blank(body, 0)
    if pos >= len(body) or body[pos] != "[":
        raise UnreadableFile("a JSON order file holds a list of orders: [ {...}, {...} ]")
    pos = _skip_blank(body, pos + 1)
    raw_orders: list[tuple[Any, int, int]] = []
    if pos < len(body) and body[pos] == "]":
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(body, pos)
            except (json.JSONDecodeError, RecursionError) as exc:
                line = body.count("\n", 0, getattr(exc, "pos", pos)) + 1
                raise UnreadableFile(f"line {line}: not valid JSON ({exc})") from None
            raw_orders.append((value, _line_of(body, pos), _line_of(body, end - 1)))
            if len(raw_orders) > MAX_FILE_ORDERS:
                raise UnreadableFile(f"a file holds at most {MAX_FILE_ORDERS} orders")
            pos = _skip_blank(body, end)
            if pos < len(body) and body[pos] == ",":
                pos = _skip_blank(body, pos + 1)
                continue
            if pos < len(body) and body[pos] == "]":
                pos += 1
                break
            raise UnreadableFile(f"line {_line_of(body, pos)}: expected , or ] between orders")
    if _skip_blank(body, pos) != len(body):
        raise UnreadableFile(f"line {_line_of(body, pos)}: text after the list of orders")
    return raw_orders


def _json_orders(raw_orders: list[tuple[Any, int, int]]) -> Iterator[Incoming]:
    for value, first, last in raw_orders:
        where = tuple(range(first, last + 1))
        if not isinstance(value, dict):
            yield Incoming(where, None, None, problem=Problem("order", "must be a JSON object"))
        else:
            yield validate(value, where)


def _skip_blank(body: str, pos: int) -> int:
    while pos < len(body) and body[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(body: str, pos: int) -> int:
    return body.count("\n", 0, pos) + 1


# --- CSV: the whole-file check --------------------------------------------------------------


def _csv_rows(
    raw: IO[bytes], encoding: csv_safety.Encoding | None, limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    """(first file line, cells) of each CSV record, the header included; NUL characters
    are refused naming the line and the column (a file-level fault: they come from a
    wrong encoding or a broken file, not from one order)."""
    lines = csv_safety.TextLines(raw, encoding=encoding, limits=limits, check_nul=False)
    # strict: a quote left open is an error, never a cell that swallows the rows after it
    reader = csv.reader(lines, strict=True)
    names: list[str] = []
    last = 0
    try:
        for row in reader:
            start, last = last + 1, reader.line_num
            for index, cell in enumerate(row):
                if "\x00" in cell:
                    column = names[index] if index < len(names) else f"column {index + 1}"
                    message = csv_safety.nul_message(cell, cell.index("\x00"), f" in {column}")
                    raise UnreadableFile(f"line {start}: {message}")
            if not names:
                names = [cell.strip() for cell in row]
            yield start, row
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {_csv_error(exc, last + 1)}") from None
    except csv_safety.UnreadableText as exc:
        raise UnreadableFile(str(exc)) from None


def _csv_error(exc: csv.Error, start: int) -> str:
    message = str(exc)
    if message.startswith("unexpected end of data"):
        return f"the quoted cell opened on line {start} is never closed"
    if message.startswith("',' expected after"):
        return "text after the closing quote of a cell (a quote inside a cell is written twice)"
    if message.startswith("new-line character"):
        return "a carriage return inside a cell that is not in quotes (old Mac line endings?)"
    return message


@dataclass
class _CsvPlan:
    names: list[str]
    key_at: tuple[int, int]  # where channel and order_number are
    limits: Limits
    # Orders whose rows are not adjacent: the line of each one's last row.
    scattered: dict[bytes, int] = field(default_factory=dict)
    orders: int = 0


def _digest(key: tuple[str, str]) -> bytes:
    return hashlib.blake2b("\x1f".join(key).encode(), digest_size=12).digest()


def _header(start: int, row: list[str]) -> list[str]:
    names = [cell.strip() for cell in row]
    blank = [str(i + 1) for i, name in enumerate(names) if not name]
    if blank:
        raise UnreadableFile(f"line {start}: column(s) {', '.join(blank)} have no name")
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if unknown:
        hints = [
            f"{n} (did you mean {close[0]}?)" if close else n
            for n in unknown
            for close in [difflib.get_close_matches(n.lower(), CSV_COLUMNS, n=1)]
        ]
        raise UnreadableFile(f"line {start}: unknown column(s) {', '.join(hints)}")
    missing = [c for c in CSV_REQUIRED if c not in names]
    if missing:
        raise UnreadableFile(f"line {start}: missing column(s) {', '.join(missing)}")
    for name in dict.fromkeys(names):
        places = [str(i + 1) for i, n in enumerate(names) if n == name]
        if len(places) > 1:
            where = ", ".join(places[:-1]) + " and " + places[-1]
            raise UnreadableFile(f"line {start}: column {name} is named twice (columns {where})")
    return names


def _key(plan: _CsvPlan, row: list[str]) -> tuple[str, str] | None:
    channel_at, number_at = plan.key_at
    if len(row) <= max(channel_at, number_at):
        return None
    return row[channel_at].strip(), row[number_at].strip()


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _check_csv(rows: Iterator[tuple[int, list[str]]], limits: Limits) -> _CsvPlan:
    """Pass 1: read every row once (the encoding, the quoting, the limits), check the
    header, count the orders and note which orders' rows are not adjacent."""
    try:
        start, header = next(rows)
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    names = _header(start, header)
    plan = _CsvPlan(names, (names.index("channel"), names.index("order_number")), limits)
    seen: set[bytes] = set()
    current = b""
    for start, row in rows:
        if _blank(row):
            continue
        key = _key(plan, row)
        if key is None:
            plan.orders += 1  # a row too short to name its order: refused on its own
            current = b""
            continue
        digest = _digest(key)
        if digest in plan.scattered or (digest != current and digest in seen):
            plan.scattered[digest] = start
        elif digest not in seen:
            seen.add(digest)
            if len(seen) > MAX_FILE_ORDERS:
                raise UnreadableFile(
                    f"line {start}: a file holds at most {MAX_FILE_ORDERS:,} orders: split it"
                )
        current = digest
    plan.orders += len(seen)
    return plan


# --- CSV: orders, one by one ----------------------------------------------------------------


@dataclass
class _Group:
    """The rows of one order read so far, and the first fault of one of them."""

    key: tuple[str, str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problem: Problem | None = None

    def add(self, plan: _CsvPlan, start: int, row: list[str], limits: Limits) -> None:
        self.lines.append(start)
        if self.problem is None:
            self.problem = _row_problem(plan.names, start, row, limits)
        if self.problem is None:
            cells = {n: c.strip() for n, c in zip(plan.names, row, strict=True)}
            self.rows.append((start, cells))

    def incoming(self) -> Incoming:
        channel, number = self.key
        if self.problem is not None:
            return Incoming(
                tuple(self.lines), channel or None, number or None, problem=self.problem
            )
        return _csv_order(channel, number, self.rows)


def _row_problem(names: list[str], line: int, row: list[str], limits: Limits) -> Problem | None:
    """What is wrong with one row as such (before the order rules see it)."""
    if len(row) != len(names):
        return Problem(
            f"row (line {line})", f"has {len(row)} cells where the header names {len(names)}"
        )
    for name, raw in zip(names, row, strict=True):
        cell = raw.strip()
        if len(cell) > limits.max_cell_chars:
            return Problem(
                f"{name} (line {line})",
                f"is {len(cell):,} characters long, more than {limits.max_cell_chars:,}",
            )
        if name not in CSV_FORMULA_EXEMPT and csv_safety.is_formula(cell):
            return Problem(
                f"{name} (line {line})",
                f"starts with {cell[0]!r}: a spreadsheet would run it as a formula "
                "(refused; remove the leading character if it is data)",
            )
    return None


def _csv_orders(plan: _CsvPlan, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Incoming]:
    """Pass 2: yield each order as soon as its last row is read."""
    next(rows)  # the header, checked in pass 1
    limits = plan.limits
    waiting: dict[bytes, _Group] = {}  # orders whose rows are not adjacent
    run: _Group | None = None  # the order whose rows are being read
    run_digest = b""
    for start, row in rows:
        if _blank(row):
            continue
        key = _key(plan, row)
        if key is None or (run is not None and _digest(key) != run_digest):
            if run is not None:
                yield run.incoming()
            run, run_digest = None, b""
        if key is None:  # too few cells to name its order
            problem = _row_problem(plan.names, start, row, limits) or Problem("row", "too short")
            yield Incoming((start,), None, None, problem=problem)
            continue
        digest = _digest(key)
        last = plan.scattered.get(digest)
        if last is not None:
            group = waiting.setdefault(digest, _Group(key))
            group.add(plan, start, row, limits)
            if start == last:
                yield waiting.pop(digest).incoming()
            continue
        if run is None:
            run, run_digest = _Group(key), digest
        run.add(plan, start, row, limits)
    if run is not None:
        yield run.incoming()
    for group in waiting.values():  # only if the file changed since it was checked
        yield group.incoming()


def _csv_order(channel: str, number: str, rows: list[tuple[int, dict[str, str]]]) -> Incoming:
    where = tuple(line for line, _ in rows)
    first_line, first = rows[0]
    # Order-level columns repeat on each row of the order: they must say the same.
    for line, cells in rows[1:]:
        for column, _path in CSV_ORDER_COLUMNS:
            if column in cells and cells[column] != first[column]:
                return Incoming(
                    where,
                    channel or None,
                    number or None,
                    problem=Problem(
                        column,
                        f"line {line} says {column} differently from line {first_line} "
                        "of the same order",
                    ),
                )
    raw: dict[str, Any] = {}
    for column, path in CSV_ORDER_COLUMNS:
        value = first.get(column, "")
        if value == "":
            continue
        target = raw
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    raw["lines"] = [
        {
            name: _whole_number(cells[column]) if column == "quantity" else cells[column]
            for column, name in CSV_LINE_COLUMNS
            if cells.get(column, "") != ""
        }
        for _, cells in rows
    ]
    incoming = validate(raw, where, line_rows=where)
    if incoming.problem is not None:
        incoming.problem = _csv_problem(incoming.problem, where)
    return incoming


def _whole_number(cell: str) -> int | str:
    # Strict integers in the model: "3" becomes 3, "3.5" or "three" stay text and fail.
    return int(cell) if cell.lstrip("+-").isdigit() and len(cell) <= 12 else cell


def _csv_problem(problem: Problem, rows: tuple[int, ...]) -> Problem:
    """Name the CSV column (and the row, for a line's column) rather than the JSON path."""
    path = problem.field
    if path.startswith("lines["):
        index = int(path[len("lines[") : path.index("]")])
        column = path.split(".", 1)[1] if "." in path else "sku"
        return Problem(f"{column} (line {rows[index]})", problem.message)
    column = _COLUMN_OF_FIELD.get(path, path)
    return Problem(column, problem.message)


# --- summary ------------------------------------------------------------------------------


@dataclass
class Summary:
    new: int = 0
    existing: int = 0
    refused: list[Outcome] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.new + self.existing

    def add(self, outcome: Outcome) -> None:
        if outcome.status == "new":
            self.new += 1
        elif outcome.status == "existing":
            self.existing += 1
        else:  # kept without the order's data: a summary of a large file stays small
            item = outcome.incoming
            slim = Incoming(item.where, item.channel, item.order_number, problem=item.problem)
            self.refused.append(Outcome(slim, "refused", problem=outcome.problem))

    def lines(self) -> list[str]:
        out = [
            f"accepted {self.accepted} (new {self.new}, already there {self.existing})",
            f"refused {len(self.refused)}",
        ]
        for outcome in self.refused:
            item, problem = outcome.incoming, outcome.problem
            where = _line_ranges(item.where)
            name = item.order_number or "(no order number)"
            reason = f"{problem.field}: {problem.message}" if problem else "refused"
            out.append(f"  {where}: order {name}: {reason}")
        return out


def _line_ranges(lines: tuple[int, ...]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    if list(lines) == list(range(lines[0], lines[-1] + 1)):
        return f"lines {lines[0]}-{lines[-1]}"
    return "lines " + ", ".join(str(n) for n in lines)


__all__ = [
    "CSV_COLUMNS",
    "MAX_BATCH",
    "Incoming",
    "OrderFile",
    "OrderIn",
    "Outcome",
    "Problem",
    "Summary",
    "UnreadableFile",
    "guess_format",
    "open_orders",
    "read_orders",
    "receive_each",
    "receive_one",
    "receive_stream",
    "to_input",
    "validate",
]
