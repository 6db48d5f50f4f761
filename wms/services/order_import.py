"""Orders from outside: the one shape they must have, and reading them from files.

The pydantic model here is the rule for every way an order comes in: the JSON API
(one order, or a batch) and the CLI import of CSV or JSON files.  It lives outside
the web layer so that the CLI validates with the very same rules, without Flask.

Each order is received in its own transaction (``receive_each``): one bad order never
blocks the others, and receiving the same order again creates nothing
(``orders.receive_order`` answers with the order already there).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

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
from wms.services import orders, unit_of_work
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


def receive_each(
    database: Database,
    incoming: Iterable[Incoming],
    *,
    actor: str,
    on_each: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    """Receive every valid order, each in its own transaction; refuse the others."""
    outcomes: list[Outcome] = []
    for item in incoming:
        if item.data is None:
            outcome = Outcome(item, "refused", problem=item.problem)
        else:
            try:
                received = receive_one(database, item.data, actor=actor)
                outcome = Outcome(
                    item, "new" if received.created else "existing", received.order.id
                )
            except ServiceError as exc:
                problem = Problem(exc.field or "order", exc.message)
                if item.line_rows:  # from a CSV file: name its column and row
                    problem = _csv_problem(problem, item.line_rows)
                outcome = Outcome(item, "refused", problem=problem)
        outcomes.append(outcome)
        on_each(outcome)
    return outcomes


# --- files --------------------------------------------------------------------------------


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
_COLUMN_OF_FIELD = {path: column for column, path in CSV_ORDER_COLUMNS}
_COLUMN_OF_FIELD.update({"payment": "payment_number", "consignee": "consignee_name"})
MAX_FILE_ORDERS = 100_000


def read_orders(content: bytes, fmt: Literal["csv", "json"]) -> list[Incoming]:
    """Every order of a file, validated; raises UnreadableFile for a file that is not
    orders at all (bad encoding, broken JSON, missing CSV columns)."""
    try:
        body = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the file is not UTF-8 text (byte {exc.start})") from None
    if "\x00" in body:
        line = body.count("\n", 0, body.index("\x00")) + 1
        raise UnreadableFile(f"line {line}: the file holds a NUL character")
    return list(_read_csv(body) if fmt == "csv" else _read_json(body))


def guess_format(filename: str) -> Literal["csv", "json"]:
    return "json" if filename.lower().endswith(".json") else "csv"


def _read_json(body: str) -> Iterator[Incoming]:
    """A JSON list of orders in the API's shape; each order's line numbers come from
    where it starts and ends in the file."""
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


def _read_csv(body: str) -> Iterator[Incoming]:
    reader = csv.reader(io.StringIO(body, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    except csv.Error as exc:
        raise UnreadableFile(f"line 1: {exc}") from None
    names = [h.strip() for h in header]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if unknown:
        raise UnreadableFile(f"line 1: unknown column(s) {', '.join(unknown)}")
    missing = [c for c in CSV_REQUIRED if c not in names]
    if missing:
        raise UnreadableFile(f"line 1: missing column(s) {', '.join(missing)}")
    if len(set(names)) != len(names):
        raise UnreadableFile("line 1: a column is named twice")

    groups: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    broken: list[Incoming] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                broken.append(
                    Incoming(
                        (line,),
                        None,
                        None,
                        problem=Problem(
                            "row", f"has {len(row)} cells where the header names {len(names)}"
                        ),
                    )
                )
                continue
            cells = {n: c.strip() for n, c in zip(names, row, strict=True)}
            groups.setdefault((cells["channel"], cells["order_number"]), []).append((line, cells))
            if len(groups) > MAX_FILE_ORDERS:
                raise UnreadableFile(f"a file holds at most {MAX_FILE_ORDERS} orders")
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {exc}") from None

    found: list[Incoming] = [*broken]
    for (channel, number), rows in groups.items():
        found.append(_csv_order(channel, number, rows))
    found.sort(key=lambda o: o.where[0])
    yield from found


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
        else:
            self.refused.append(outcome)

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
    "OrderIn",
    "Outcome",
    "Problem",
    "Summary",
    "UnreadableFile",
    "guess_format",
    "read_orders",
    "receive_each",
    "receive_one",
    "to_input",
    "validate",
]
