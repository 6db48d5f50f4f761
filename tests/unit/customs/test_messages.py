"""CEB311 / CEB621 messages: written in the public beans' shape and checked against our
own structural schema (customs.message_check), which must also catch what is wrong."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from customs.inventory_list import (
    Buyer,
    Company,
    ImportOrder,
    InventoryLine,
    InventoryList,
    OrderLine,
    Taxes,
)
from customs.message_check import check_message
from customs.messages import (
    NAMESPACE,
    Declaration,
    Transfer,
    inventory_message,
    kg_text,
    order_message,
)

D = Decimal
NS = {"ceb": NAMESPACE}
GUID = "4CDE1D39-2A2C-4A7A-9A0B-7F8E0C5B1D22"
MESSAGE_GUID = "9A1B2C3D-0000-4000-8000-00000000AB12"
PLATFORM = Company("3301960001", "天猫国际")
ECOMMERCE = Company("3105960100", "宁波保税区优选跨境电商有限公司")
LOGISTICS = Company("3301980101", "中通快递股份有限公司")
AREA = Company("3105A00001", "宁波梅山保税港区物流有限公司")
BUYER = Buyer("王小明", "110105199001011234", "13812345678", "tmall_u1234567")
TRANSFER = Transfer("3105960100", "宁波保税区优选跨境电商有限公司", "DXPENT0000012345")
DECLARED = Declaration(datetime(2026, 7, 3, 14, 5, 9), guid=GUID)


def sample_lines() -> tuple[InventoryLine, ...]:
    return (
        InventoryLine(1, "101", "SKU-001-609", "麦卢卡蜂蜜", "0409000000", "麦卢卡蜂蜜",
                      "UMF10+ 250克/瓶", "9421023450017", "609", D(2), "007", D("0.5"), "035",
                      D("168.00"), D("336.00")),
        InventoryLine(2, "102", "SKU-002-305", "保湿面霜", "3304990099", "保湿面霜", "50毫升/瓶",
                      "3600523614547", "305", D(1), "007", D("0.05"), "035", D("320.00"),
                      D("320.00")),
    )  # fmt: skip


def sample_list(**changes: object) -> InventoryList:
    invt = InventoryList(
        cop_no="NB20260703000001",
        invt_no="31052026I180000001",
        order_no="ORD2607031234567890",
        platform=PLATFORM,
        ecommerce=ECOMMERCE,
        logistics=LOGISTICS,
        logistics_no="ZT7312345678901",
        assure=ECOMMERCE,
        agent=AREA,
        area=AREA,
        ems_no="T3105W000123",
        decl_date=date(2026, 7, 3),
        ie_date=date(2026, 7, 3),
        customs_code="3105",
        port_code="3105",
        buyer=BUYER,
        consignee_address="浙江省杭州市西湖区文三路1号阳光花园3栋502室",
        trade_mode="1210",
        traf_mode="4",
        country="142",
        freight=D("0"),
        insured_fee=D("0"),
        currency="142",
        gross_weight_g=1250,
        net_weight_g=550,
        lines=sample_lines(),
        taxes=Taxes(D("0.00"), D("59.70"), D("0.00"), D("59.70")),
    )
    return replace(invt, **changes) if changes else invt  # type: ignore[arg-type]


def sample_order() -> ImportOrder:
    return ImportOrder(
        order_no="ORD2607031234567890",
        platform=PLATFORM,
        ecommerce=ECOMMERCE,
        goods_value=D("656.00"),
        freight=D("0"),
        discount=D("0"),
        tax_total=D("59.70"),
        actural_paid=D("715.70"),
        currency="142",
        buyer=BUYER,
        pay_company=Company("31222699S7", "支付宝网络技术有限公司"),
        pay_transaction_id="2026070322001400001234567890",
        consignee="王小明",
        consignee_telephone="13812345678",
        consignee_address="浙江省杭州市西湖区文三路1号阳光花园3栋502室",
        lines=(
            OrderLine(1, "SKU-001-609", "麦卢卡蜂蜜", "UMF10+ 250克/瓶", "9421023450017", "007",
                      D(2), D("168.00"), D("336.00"), "609"),
            OrderLine(2, "SKU-002-305", "保湿面霜", "50毫升/瓶", "3600523614547", "007", D(1),
                      D("320.00"), D("320.00"), "305"),
        ),
    )  # fmt: skip


def fields(element: ET.Element) -> dict[str, str]:
    return {child.tag.split("}")[1]: child.text or "" for child in element}


@pytest.fixture(scope="module")
def ceb621() -> bytes:
    return inventory_message([(sample_list(), DECLARED)], TRANSFER, guid=MESSAGE_GUID)


@pytest.fixture(scope="module")
def ceb311() -> bytes:
    return order_message([(sample_order(), DECLARED)], TRANSFER, guid=MESSAGE_GUID)


def test_the_inventory_message_conforms(ceb621):
    assert check_message(ceb621) == []


def test_the_order_message_conforms(ceb311):
    assert check_message(ceb311) == []


def test_the_inventory_message_carries_the_list(ceb621):
    root = ET.fromstring(ceb621)
    assert root.tag == f"{{{NAMESPACE}}}CEB621Message"
    assert root.get("guid") == MESSAGE_GUID and root.get("version") == "1.0"
    head = fields(root.find("ceb:Inventory/ceb:InventoryHead", NS))
    assert list(head)[:4] == ["guid", "appType", "appTime", "appStatus"]
    assert head["guid"] == GUID and head["appTime"] == "20260703140509"
    assert head["invtNo"] == "31052026I180000001"
    assert head["logisticsNo"] == "ZT7312345678901"
    assert head["emsNo"] == "T3105W000123"
    assert head["buyerIdNumber"] == "110105199001011234"  # in full: customs needs it
    assert head["declTime"] == "20260703"
    assert head["grossWeight"] == "1.25" and head["netWeight"] == "0.55"
    assert head["areaCode"] == "3105A00001" and head["tradeMode"] == "1210"
    assert "preNo" not in head  # optional and unknown: left out, not empty
    lines = [fields(e) for e in root.findall("ceb:Inventory/ceb:InventoryList", NS)]
    assert [line["gnum"] for line in lines] == ["1", "2"]
    assert lines[0]["itemRecordNo"] == "101" and lines[0]["gcode"] == "0409000000"
    assert lines[0]["qty1"] == "0.5" and lines[0]["unit1"] == "035"
    assert lines[0]["totalPrice"] == "336.00" and lines[0]["currency"] == "142"
    transfer = fields(root.find("ceb:BaseTransfer", NS))
    assert transfer == {
        "copCode": "3105960100",
        "copName": "宁波保税区优选跨境电商有限公司",
        "dxpMode": "DXP",
        "dxpId": "DXPENT0000012345",
    }
    assert b"Signature" not in ceb621  # signing is the customs client's job


def test_the_order_message_carries_the_order(ceb311):
    root = ET.fromstring(ceb311)
    head = fields(root.find("ceb:Order/ceb:OrderHead", NS))
    assert head["orderType"] == "I" and head["acturalPaid"] == "715.70"
    assert head["payTransactionId"] == "2026070322001400001234567890"
    assert list(head).index("buyerRegNo") < list(head).index("buyerIdNumber")
    lines = root.findall("ceb:Order/ceb:OrderList", NS)
    assert [fields(line)["itemNo"] for line in lines] == ["SKU-001-609", "SKU-002-305"]


def test_many_lists_in_one_message_each_keep_their_guid():
    guids = ["1" * 8 + "-0000-4000-8000-" + f"{n:012d}" for n in range(3)]
    lists = [
        (sample_list(cop_no=f"NB{n}"), replace(DECLARED, guid=guid)) for n, guid in enumerate(guids)
    ]
    xml = inventory_message(lists, TRANSFER)
    assert check_message(xml) == []
    root = ET.fromstring(xml)
    assert [e.text for e in root.findall("ceb:Inventory/ceb:InventoryHead/ceb:guid", NS)] == guids
    assert len(root.get("guid")) == 36  # a fresh message guid


def test_text_is_escaped():
    xml = inventory_message(
        [(sample_list(consignee_address="A & B <楼> 1号"), DECLARED)], TRANSFER, MESSAGE_GUID
    )
    assert check_message(xml) == []
    head = ET.fromstring(xml).find("ceb:Inventory/ceb:InventoryHead", NS)
    assert fields(head)["consigneeAddress"] == "A & B <楼> 1号"


def _broken(xml: bytes, old: bytes, new: bytes) -> list[str]:
    assert old in xml
    return check_message(xml.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (b"<ceb:logisticsNo>ZT7312345678901</ceb:logisticsNo>", b"", "logisticsNo missing"),
        (b"<ceb:grossWeight>1.25<", b"<ceb:grossWeight>1,25<", "not a plain decimal"),
        (b"<ceb:declTime>20260703<", b"<ceb:declTime>20261303<", "not a date"),
        (b"<ceb:currency>142<", b"<ceb:currency>CNY<", "not a 3-digit code"),
        (b"<ceb:appStatus>2<", b"<ceb:appStatus>9<", "not one of"),
        (b'version="1.0" xmlns', b'version="2.0" xmlns', "version"),
        (NAMESPACE.encode(), b"http://example.com/ceb", "namespace"),
        (b"<ceb:gnum>2<", b"<ceb:gnum>3<", "do not run 1, 2, 3"),
        (b"<ceb:note>", b"<ceb:extra>", "unexpected"),
    ],
)
def test_the_check_catches_what_is_wrong(ceb621, old, new, problem):
    if old == b"<ceb:note>":  # add an unknown element to the transfer block
        xml = ceb621.replace(b"</ceb:dxpId>", b"</ceb:dxpId>\n<ceb:extra>x</ceb:extra>", 1)
        problems = check_message(xml)
    else:
        problems = _broken(ceb621, old, new)
    assert any(problem in p for p in problems), problems


def test_order_of_elements_matters(ceb621):
    order_no = b"    <ceb:orderNo>ORD2607031234567890</ceb:orderNo>\n"
    swapped = ceb621.replace(order_no, b"", 1).replace(
        b"    <ceb:copNo>", order_no + b"    <ceb:copNo>", 1
    )
    assert check_message(swapped)


def test_an_empty_element_and_junk_are_refused(ceb621):
    assert any("empty" in p for p in _broken(ceb621, b">1210<", b"><"))
    assert check_message(b"<not xml")[0].startswith("not well-formed")
    assert "is not one of" in check_message(b"<CEB999Message/>")[0]


def test_weights_are_exact_kilograms():
    assert kg_text(1250) == "1.25"
    assert kg_text(1000) == "1"
    assert kg_text(1) == "0.001"
    assert kg_text(0) == "0"


def test_bad_data_is_refused_before_any_xml():
    with pytest.raises(ValueError, match="HS code"):
        replace(sample_lines()[0], gcode="12345")
    with pytest.raises(ValueError, match="line numbers"):
        sample_list(lines=sample_lines()[::-1])
    with pytest.raises(ValueError, match="total tax"):
        Taxes(D("1"), D("2"), D("3"), D("7"))
    with pytest.raises(ValueError, match="guid"):
        Declaration(datetime(2026, 7, 3), guid="lower-case-guid")
    with pytest.raises(ValueError, match="below the net"):
        sample_list(gross_weight_g=100)
