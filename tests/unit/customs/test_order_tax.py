"""The tax of an order: allocation of freight, insurance and discount to the fen, the
CBEC rate within the limits, general-trade tax for a single item over CNY 5,000,
refusals, foreign currencies, dated rates, and independence from the order of lines."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customs.exchange import ExchangeRates, MissingRate
from customs.limits import Channel
from customs.order_tax import Order, OrderLine, allocate, order_tax
from customs.tariffs import MissingTariffRate, TariffRates, general_trade_tax
from customs.tax import TaxRates

D = Decimal
ON = date(2026, 3, 1)
FORMULA = "1901101000"
SERUM = "3304990099"
WATCH = "9102210000"


def percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)


# -- the worked examples of the published rules --------------------------------------------


def test_worked_example_13_percent_vat_no_consumption_tax_is_9_1_percent():
    # (0 + 13%) / (1 - 0) x 70% = 9.1%
    assert TaxRates.load().composite_rate("general", ON) == D("0.091")
    tax = order_tax(Order((OrderLine(FORMULA, "general", 1, D("1000.00")),), ON))
    assert tax.channel is Channel.CBEC
    assert (tax.tariff, tax.consumption_tax, tax.vat, tax.total_tax) == (
        D("0.00"),
        D("0.00"),
        D("91.00"),
        D("91.00"),
    )


def test_worked_example_cosmetics_at_15_percent_consumption_tax_is_23_06_percent():
    # (15% + 13%) / (1 - 15%) x 70% = 23.0588..% -> 23.06% to two places
    assert percent(TaxRates.load().composite_rate("premium_cosmetics", ON)) == D("23.06")
    tax = order_tax(Order((OrderLine(SERUM, "premium_cosmetics", 1, D("1000.00")),), ON))
    # consumption tax 1000 / 0.85 x 0.15 x 0.7 = 123.529.. -> 123.53 (half up to the fen)
    # VAT (1000 + 176.470..) x 0.13 x 0.7 = 107.058.. -> 107.06
    assert (tax.consumption_tax, tax.vat, tax.total_tax) == (D("123.53"), D("107.06"), D("230.59"))


def test_worked_example_of_full_tax_on_a_single_watch_over_5000():
    # General trade: tariff 8% on 8,010.00 = 640.80; consumption tax (8010 + 640.80) / 0.8
    # x 0.2 = 2,162.70; VAT (8010 + 640.80 + 2162.70) x 13% = 1,405.755 -> 1,405.76.
    order = Order((OrderLine(WATCH, "watches", 1, D("8000.00")),), ON, freight=D("10.00"))
    tax = order_tax(order)
    assert tax.channel is Channel.FULL_TAX
    (line,) = tax.lines
    assert line.tariff_rate == D("0.08")
    assert (tax.tariff, tax.consumption_tax, tax.vat, tax.total_tax) == (
        D("640.80"),
        D("2162.70"),
        D("1405.76"),
        D("4209.26"),
    )
    assert "taxed in full" in tax.reason
    assert tax.limits.counts_toward_annual


def test_general_trade_tax_without_consumption_tax():
    # Infant formula 190110 at 15% (longer prefix than 1901 at 10%): 1000 -> 150 tariff,
    # VAT 1150 x 13% = 149.50.
    full = general_trade_tax(D("1000.00"), FORMULA, "general", ON)
    assert (full.tariff_rate, full.tariff, full.consumption_tax, full.vat, full.total) == (
        D("0.15"),
        D("150.00"),
        D("0.00"),
        D("149.50"),
        D("299.50"),
    )


# -- allocation ------------------------------------------------------------------------------


def test_allocate_by_largest_remainder():
    assert allocate(D("10.00"), [D(1), D(1), D(1)]) == (D("3.34"), D("3.33"), D("3.33"))
    # Leftover fen go to the largest fractions cut off, one each: 0.0833 / 0.0083 / 0.0083
    assert allocate(D("0.10"), [D(10), D(1), D(1)]) == (D("0.08"), D("0.01"), D("0.01"))
    # A discount of 2.99 over three lines of 1.00: no line gets more than its 1.00 (the
    # whole remainder of 0.02 on one line would make it 1.01).
    assert allocate(D("2.99"), [D(1), D(1), D(1)]) == (D("1.00"), D("1.00"), D("0.99"))
    assert allocate(D("10.00"), [D(1), D(3)]) == (D("2.50"), D("7.50"))
    assert allocate(D("0.05"), [D(100), D(300), D(1)]) == (D("0.01"), D("0.04"), D("0.00"))
    assert allocate(D("7.00"), [D(0), D(0)]) == (D("7.00"), D("0.00"))
    assert allocate(D("0.00"), [D(5), D(7)]) == (D("0.00"), D("0.00"))


def test_freight_insurance_and_discount_are_allocated_in_proportion():
    order = Order(
        (
            OrderLine(SERUM, "premium_cosmetics", 2, D("300.00"), reference="serum"),
            OrderLine(FORMULA, "general", 1, D("250.00"), reference="formula"),
        ),
        ON,
        freight=D("10.00"),
        insurance=D("1.00"),
        discount=D("20.00"),
    )
    tax = order_tax(order)
    serum, formula = tax.lines
    # 600 : 250 -> freight 7.0588.. / 2.9411..: rounded down 7.05 / 2.94, the fen left
    # to the larger fraction cut off (0.0088 > 0.0011), the serum line.
    assert (serum.freight, formula.freight) == (D("7.06"), D("2.94"))
    assert (serum.insurance, formula.insurance) == (D("0.71"), D("0.29"))
    assert (serum.discount, formula.discount) == (D("14.12"), D("5.88"))
    assert serum.dutiable_value == D("600.00") - D("14.12") + D("7.06") + D("0.71")
    assert tax.dutiable_value == D("841.00")
    assert (tax.freight, tax.insurance, tax.discount) == (D("10.00"), D("1.00"), D("20.00"))
    assert tax.total_tax == sum(line.total_tax for line in tax.lines)
    assert tax.channel is Channel.CBEC


def test_a_discount_of_nearly_everything_leaves_no_line_negative():
    lines = tuple(OrderLine(FORMULA, "general", 1, D("1.00"), reference=r) for r in "abc")
    tax = order_tax(Order(lines, ON, discount=D("2.99")))
    assert sorted(line.discount for line in tax.lines) == [D("0.99"), D("1.00"), D("1.00")]
    assert tax.dutiable_value == D("0.01")


def test_line_discounts_reduce_the_line_value():
    line = OrderLine(FORMULA, "general", 3, D("100.00"), discount=D("30.00"))
    assert line.value == D("270.00")
    assert order_tax(Order((line,), ON)).lines[0].goods_value == D("270.00")


# -- limits and the quota ----------------------------------------------------------------------


def test_several_items_over_5000_are_refused_and_not_taxed():
    order = Order((OrderLine(WATCH, "watches", 2, D("2600.00")),), ON)
    tax = order_tax(order)
    assert tax.channel is Channel.REFUSED
    assert not tax.allowed
    assert "only a single item" in tax.reason
    assert tax.total_tax == D("0.00")
    assert tax.dutiable_value == D("5200.00")


def test_the_annual_quota_passed_in_decides():
    order = Order((OrderLine(FORMULA, "general", 2, D("750.00")),), ON)
    assert order_tax(order, D("24500.00")).channel is Channel.CBEC
    refused = order_tax(order, D("24500.01"))
    assert refused.channel is Channel.REFUSED
    assert "annual CBEC remainder of CNY 1499.99" in refused.reason


# -- currencies and dated rates -----------------------------------------------------------------


def test_a_foreign_currency_is_converted_at_the_rate_of_the_declaration_date():
    order = Order(
        (OrderLine(SERUM, "premium_cosmetics", 1, D("72.00")),),
        date(2026, 7, 1),
        currency="EUR",
        freight=D("5.00"),
    )
    tax = order_tax(order)
    assert tax.exchange_rate == D("7.7739")  # July's EUR rate
    assert tax.lines[0].goods_value == D("559.72")  # 72 x 7.7739 = 559.7208
    assert tax.freight == D("38.87")  # 5 x 7.7739 = 38.8695 -> half up
    assert tax.dutiable_value == D("598.59")


def test_a_missing_exchange_rate_is_an_error_never_one_to_one():
    order = Order((OrderLine(FORMULA, "general", 1, D("599.00")),), ON, currency="SEK")
    with pytest.raises(MissingRate, match="SEK"):
        order_tax(order)


def test_a_tax_rate_change_changes_results_from_its_date(tmp_path: Path):
    path = tmp_path / "rates.csv"
    path.write_text(
        "tax_category,effective_from,vat_rate,consumption_tax_rate\n"
        "general,2019-04-01,0.13,0\n"
        "general,2026-07-01,0.09,0\n",
        encoding="utf-8",
    )
    rates = TaxRates.load(path)
    line = OrderLine(FORMULA, "general", 1, D("1000.00"))
    before = order_tax(Order((line,), date(2026, 6, 30)), tax_rates=rates)
    after = order_tax(Order((line,), date(2026, 7, 1)), tax_rates=rates)
    assert (before.total_tax, after.total_tax) == (D("91.00"), D("63.00"))


def test_a_tariff_rate_change_and_the_longest_prefix(tmp_path: Path):
    path = tmp_path / "tariffs.csv"
    path.write_text(
        "hs_prefix,effective_from,mfn_rate,description\n"
        "9102,2019-01-01,0.08,watches\n"
        "9102,2027-01-01,0.06,watches after a cut\n"
        "910221,2028-01-01,0.05,automatic watches from 2028\n",
        encoding="utf-8",
    )
    tariffs = TariffRates.load(path)
    assert tariffs.rate(WATCH, date(2026, 12, 31)).rate == D("0.08")
    assert tariffs.rate(WATCH, date(2027, 1, 1)).rate == D("0.06")
    assert tariffs.rate(WATCH, date(2028, 1, 1)).rate == D("0.05")  # longer prefix wins
    assert tariffs.rate("9102110000", date(2028, 1, 1)).rate == D("0.06")
    assert tariffs.rate(WATCH + "101", date(2028, 1, 1)).prefix == "910221"
    with pytest.raises(MissingTariffRate, match="HS 8471300000"):
        tariffs.rate("8471300000", ON)


def test_every_demo_kind_of_goods_has_a_bundled_tariff_rate():
    tariffs = TariffRates.load()
    for code in ("0402210000", FORMULA, SERUM, "3303000000", WATCH, "2204210000",
                 "2106909090", "6403990000", "4202210000"):  # fmt: skip
        assert D(0) <= tariffs.rate(code, ON).rate < D("0.5")
    assert tariffs.rate(FORMULA, ON).prefix == "190110"


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda: OrderLine("040221", "general", 1, D(1)), "10 or 13 digits"),
        (lambda: OrderLine(FORMULA, "general", 0, D(1)), "quantity 0"),
        (lambda: OrderLine(FORMULA, "general", 1, D(-1)), "zero or more"),
        (lambda: OrderLine(FORMULA, "general", 1, D(5), discount=D(6)), "more than the line"),
        (lambda: Order((), ON), "at least one line"),
        (
            lambda: Order((OrderLine(FORMULA, "general", 1, D(5)),), ON, discount=D(6)),
            "more than the goods",
        ),
    ],
)
def test_bad_orders_are_refused_with_the_reason(make, complaint):
    with pytest.raises(ValueError, match=complaint):
        make()


def test_money_must_be_decimal():
    with pytest.raises(TypeError):
        OrderLine(FORMULA, "general", 1, 9.99)  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------------------------

CATEGORIES = {
    FORMULA: "general",
    SERUM: "premium_cosmetics",
    WATCH: "watches",
    "7113119000": "jewellery",
    "2204210000": "alcohol",
}
MONEY = st.integers(min_value=0, max_value=400_000).map(lambda fen: D(fen) / 100)
LINES = st.builds(
    lambda code, quantity, price: OrderLine(code, CATEGORIES[code], quantity, price),
    st.sampled_from(sorted(CATEGORIES)),
    st.integers(1, 4),
    MONEY,
)


@st.composite
def orders_and_permutations(draw: st.DrawFn) -> tuple[Order, Order]:
    lines = draw(st.lists(LINES, min_size=1, max_size=6))
    goods = sum(line.value for line in lines)
    discount = draw(st.integers(0, int(goods * 100)).map(lambda fen: D(fen) / 100))
    currency = draw(st.sampled_from(["CNY", "EUR", "JPY"]))
    fields = {
        "on": ON,
        "currency": currency,
        "freight": draw(MONEY),
        "insurance": draw(MONEY) / 10,
        "discount": discount,
    }
    shuffled = draw(st.permutations(lines))
    return Order(tuple(lines), **fields), Order(tuple(shuffled), **fields)


def line_results(tax):  # -> sorted per-line outcomes, position aside
    return sorted(
        (repr(line.line), line.dutiable_value, line.total_tax, line.vat) for line in tax.lines
    )


@settings(max_examples=150, deadline=None)
@given(orders_and_permutations(), MONEY.map(lambda value: value * 10))
def test_the_tax_never_depends_on_the_order_of_the_lines(orders, used):
    exchange = ExchangeRates.load()
    first, second = (order_tax(order, used, exchange=exchange) for order in orders)
    assert first.channel is second.channel
    assert first.total_tax == second.total_tax
    assert first.dutiable_value == second.dutiable_value
    assert line_results(first) == line_results(second)


@settings(max_examples=150, deadline=None)
@given(orders_and_permutations())
def test_the_allocated_shares_add_up_to_the_fen(orders):
    order, _ = orders
    tax = order_tax(order)
    rate = tax.exchange_rate

    def cny(amount: Decimal) -> Decimal:
        return (amount * rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)

    assert tax.freight == cny(order.freight)
    assert tax.insurance == cny(order.insurance)
    # The discount is capped at the goods (each line converted on its own).
    assert tax.discount == min(cny(order.discount), tax.goods_value)
    assert tax.dutiable_value == tax.goods_value - tax.discount + tax.freight + tax.insurance
    assert all(line.discount <= line.goods_value for line in tax.lines)
    assert all(line.dutiable_value >= 0 for line in tax.lines)
    for name in ("tariff", "consumption_tax", "vat", "total_tax"):
        assert getattr(tax, name) == sum(getattr(line, name) for line in tax.lines)
