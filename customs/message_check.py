"""Our structural check of CEB311 / CEB621 messages: a schema written down independently
of the writer in customs.messages, so a test that runs one against the other means
something.  It checks the namespace, the root's guid and version, every element's name,
order and count, that required elements are there and not empty, and the form of each
value (decimal, date, customs code, guid).  It is not customs' XSD, which is not public:
the element names and order are those of the public beans (zhengjin-me/common-customs-beans).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from customs.inventory_list import valid_guid
from customs.messages import NAMESPACE, VERSION

DSIG = "http://www.w3.org/2000/09/xmldsig#"
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Leaf:
    name: str
    required: bool = True
    kind: str = "text"  # text, decimal, int, date, datetime, code3, code4, guid, or "a|b|c"


@dataclass(frozen=True)
class Group:
    name: str
    children: tuple[Leaf | Group, ...]
    least: int = 1
    most: int = 1


def _leaves(spec: str) -> tuple[Leaf, ...]:
    """``"name:kind? other"``: ``?`` marks an optional element, kind defaults to text."""
    leaves = []
    for token in spec.split():
        optional = token.endswith("?")
        name, _, kind = token.rstrip("?").partition(":")
        leaves.append(Leaf(name, not optional, kind or "text"))
    return tuple(leaves)


DECLARED = "guid:guid appType:1|2|3 appTime:datetime appStatus:1|2"
BASE_TRANSFER = Group("BaseTransfer", _leaves("copCode copName dxpMode dxpId note?"))

ORDER_HEAD = _leaves(
    f"{DECLARED} orderType:I orderNo ebpCode ebpName ebcCode ebcName goodsValue:decimal "
    "freight:decimal discount:decimal taxTotal:decimal acturalPaid:decimal currency:code3 "
    "buyerRegNo buyerName buyerTelephone buyerIdType buyerIdNumber payCode? payName? "
    "payTransactionId? batchNumbers? consignee consigneeTelephone consigneeAddress "
    "consigneeDistrict? note?"
)
ORDER_LIST = _leaves(
    "gnum:int itemNo? itemName gmodel itemDescribe? barCode? unit:code3 qty:decimal "
    "price:decimal totalPrice:decimal currency:code3 country:code3 note?"
)
INVENTORY_HEAD = _leaves(
    f"{DECLARED} orderNo ebpCode ebpName ebcCode ebcName logisticsNo logisticsCode "
    "logisticsName copNo? preNo? assureCode emsNo? invtNo? ieFlag:I|E declTime:date "
    "customsCode:code4 portCode:code4 ieDate:date? buyerIdType buyerIdNumber buyerName "
    "buyerTelephone consigneeAddress agentCode agentName areaCode? areaName? tradeMode "
    "trafMode trafNo? voyageNo? billNo? loctNo? licenseNo? country:code3 freight:decimal "
    "insuredFee:decimal currency:code3 wrapType? packNo:int? grossWeight:decimal "
    "netWeight:decimal note?"
)
INVENTORY_LIST = _leaves(
    "gnum:int itemRecordNo? itemNo? itemName? gcode gname gmodel barCode? country:code3 "
    "tradeCountry:code3? currency:code3 qty:decimal unit:code3 qty1:decimal unit1:code3 "
    "qty2:decimal? unit2:code3? price:decimal totalPrice:decimal note?"
)

SCHEMAS: dict[str, Group] = {
    "CEB311Message": Group(
        "CEB311Message",
        (
            Group(
                "Order",
                (Group("OrderHead", ORDER_HEAD), Group("OrderList", ORDER_LIST, 1, UNBOUNDED)),
                1,
                UNBOUNDED,
            ),
            BASE_TRANSFER,
        ),
    ),
    "CEB621Message": Group(
        "CEB621Message",
        (
            Group(
                "Inventory",
                (
                    Group("InventoryHead", INVENTORY_HEAD),
                    Group("InventoryList", INVENTORY_LIST, 1, UNBOUNDED),
                ),
                1,
                UNBOUNDED,
            ),
            BASE_TRANSFER,
        ),
    ),
}

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def _value_problem(kind: str, text: str) -> str | None:
    if kind == "text":
        return None
    if kind == "decimal":
        if not _DECIMAL.fullmatch(text):
            return f"{text!r} is not a plain decimal"
        try:
            return None if Decimal(text) >= 0 else f"{text} is negative"
        except InvalidOperation:  # pragma: no cover - the pattern already rules it out
            return f"{text!r} is not a decimal"
    if kind == "int":
        return None if text.isdigit() else f"{text!r} is not a whole number"
    if kind in ("date", "datetime"):
        pattern = "%Y%m%d" if kind == "date" else "%Y%m%d%H%M%S"
        width = 8 if kind == "date" else 14
        try:
            datetime.strptime(text, pattern)
        except ValueError:
            return f"{text!r} is not a {kind} ({width} digits)"
        return None if len(text) == width else f"{text!r} is not {width} digits"
    if kind in ("code3", "code4"):
        width = int(kind[-1])
        ok = len(text) == width and text.isdigit()
        return None if ok else f"{text!r} is not a {width}-digit code"
    if kind == "guid":
        return None if valid_guid(text) else f"{text!r} is not 36 upper-case characters"
    allowed = kind.split("|")
    return None if text in allowed else f"{text!r} is not one of {allowed}"


def _local(element: ET.Element) -> tuple[str, str]:
    """(namespace, local name) of an element."""
    tag = element.tag
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def leaf(self, spec: Leaf, element: ET.Element, path: str) -> None:
        if len(element):
            self.problems.append(f"{path}: a value, not a group of elements")
            return
        text = (element.text or "").strip()
        if not text:
            self.problems.append(f"{path}: empty (leave an optional element out instead)")
            return
        if problem := _value_problem(spec.kind, text):
            self.problems.append(f"{path}: {problem}")

    def group(self, spec: Group, element: ET.Element, path: str) -> None:
        children = list(element)
        position = 0
        for child_spec in spec.children:
            most = child_spec.most if isinstance(child_spec, Group) else 1
            least = child_spec.least if isinstance(child_spec, Group) else int(child_spec.required)
            count = 0
            while position < len(children) and count < most:
                namespace, name = _local(children[position])
                if name != child_spec.name:
                    break
                count += 1
                child_path = f"{path}/{name}" + (f"[{count}]" if most > 1 else "")
                if namespace != NAMESPACE:
                    self.problems.append(f"{child_path}: not in the namespace {NAMESPACE}")
                if isinstance(child_spec, Group):
                    self.group(child_spec, children[position], child_path)
                else:
                    self.leaf(child_spec, children[position], child_path)
                position += 1
            if count < least:
                self.problems.append(f"{path}: {child_spec.name} missing (or out of order)")
        rest = children[position:]
        if spec.name in SCHEMAS and rest and _local(rest[0]) == (DSIG, "Signature"):
            rest = rest[1:]  # the customs client's signature, added after us
        for extra in rest:
            self.problems.append(f"{path}: unexpected element {_local(extra)[1]}")


def check_message(xml: bytes) -> list[str]:
    """Every structural problem of a CEB311 or CEB621 message; empty when it conforms."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        return [f"not well-formed XML: {error}"]
    namespace, name = _local(root)
    if name not in SCHEMAS:
        return [f"root {name!r} is not one of {sorted(SCHEMAS)}"]
    checker = _Checker()
    if namespace != NAMESPACE:
        checker.problems.append(f"{name}: not in the namespace {NAMESPACE}")
    guid = root.get("guid")
    if guid is None or not valid_guid(guid):
        checker.problems.append(f"{name}: guid attribute {guid!r} is not 36 upper-case characters")
    if root.get("version") != VERSION:
        checker.problems.append(f"{name}: version {root.get('version')!r} is not {VERSION!r}")
    checker.group(SCHEMAS[name], root, name)
    _check_line_numbers(root, checker.problems)
    return checker.problems


def _check_line_numbers(root: ET.Element, problems: list[str]) -> None:
    """Line numbers (gnum) run 1, 2, 3 ... within each order or list."""
    for document in root:
        numbers = [
            line.findtext(f"{{{NAMESPACE}}}gnum")
            for line in document
            if _local(line)[1] in ("OrderList", "InventoryList")
        ]
        if numbers and numbers != [str(n) for n in range(1, len(numbers) + 1)]:
            problems.append(f"{_local(document)[1]}: line numbers {numbers} do not run 1, 2, 3")
