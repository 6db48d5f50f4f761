"""The import tax of one cross-border retail ORDER, line by line, and its channel.

Steps, all in Decimal:

1. Each line's goods value is quantity x unit price less the line discount, in the
   order's currency; it is converted to CNY at the customs rate in force on the
   declaration date (customs.exchange; a missing rate raises MissingRate, never 1:1) and
   rounded half up to the fen.  Freight, insurance and the order discount are converted
   and rounded the same way, once each.
2. Freight, insurance and the order discount are allocated to the lines in proportion to
   their CNY goods values by the largest-remainder method: each share is rounded DOWN to
   the fen, and the fen left over (fewer than the lines) go one each to the lines with
   the largest fractions cut off, ties to the larger line, then by the line's content,
   never its position.  So the shares add up exactly, a line's share is never above its
   exact share rounded up (a discount never exceeds the line's value - giving the whole
   remainder to the largest line could), and the result does not depend on the order of
   the lines.  An order whose goods are all worth 0 puts everything on one line.
   line dutiable value = goods - discount share + freight share + insurance share.
3. The order's dutiable value (the sum) and its item count (the sum of quantities) go
   through customs.limits.check_limits with the consignee's annual amount used:
   - Channel.CBEC: per line tariff 0 and customs.tax.import_tax (70% of VAT and
     consumption tax, each rounded half up to the fen);
   - Channel.FULL_TAX: per line customs.tariffs.general_trade_tax (tariff at the HS
     code's rate, full consumption tax and VAT, each rounded half up to the fen);
   - Channel.REFUSED: no tax is computed (every tax is 0.00) - the order cannot be
     declared through this channel; ``reason`` says why.
4. Order totals are the sums of the line amounts.

Public API:
    OrderLine(hs_code, tax_category, quantity, unit_price, discount=0, reference="")
    Order(lines, on, currency="CNY", freight=0, insurance=0, discount=0)
    LineTax(line, goods_value, discount, freight, insurance, dutiable_value,
            tariff_rate, tariff, consumption_tax, vat, total_tax)
    OrderTax(channel, reason, lines, exchange_rate, goods_value, discount, freight,
             insurance, dutiable_value, tariff, consumption_tax, vat, total_tax, limits)
        .allowed
    order_tax(order, annual_used_cny=0, *, exchange=None, tax_rates=None,
              tariff_rates=None, limits=None) -> OrderTax
    allocate(total, weights) -> tuple[Decimal, ...]    (the step-2 allocation)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from customs.exchange import ExchangeRates
from customs.hs import check_hs_code
from customs.limits import Channel, LimitDecision, LimitTable, check_limits
from customs.tariffs import TariffRates, general_trade_tax
from customs.tax import TaxRates, import_tax

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class OrderLine:
    hs_code: str  # China: 10 digits, optionally 3 inspection digits
    tax_category: str  # a category of customs.tax (general, cosmetics, watches, ...)
    quantity: int
    unit_price: Decimal  # in the order's currency
    discount: Decimal = Decimal(0)  # on this line, in the order's currency
    reference: str = ""  # the caller's line id (SKU, line number): carried, not used

    def __post_init__(self) -> None:
        where = f"line {self.reference or self.hs_code}"
        if problem := check_hs_code(self.hs_code, "CN"):
            raise ValueError(f"{where}: {problem}")
        if self.quantity < 1:
            raise ValueError(f"{where}: quantity {self.quantity} must be 1 or more")
        for name in ("unit_price", "discount"):
            _check_money(getattr(self, name), f"{where}: {name}")
        if self.discount > self.quantity * self.unit_price:
            raise ValueError(f"{where}: the discount is more than the line is worth")

    @property
    def value(self) -> Decimal:
        """quantity x unit price less the line discount, in the order's currency."""
        return self.quantity * self.unit_price - self.discount


@dataclass(frozen=True)
class Order:
    lines: tuple[OrderLine, ...]
    on: date  # the declaration date: exchange rate, tax rates and limits in force then
    currency: str = "CNY"
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)  # on the whole order, allocated to the lines

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an order has at least one line")
        for name in ("freight", "insurance", "discount"):
            _check_money(getattr(self, name), f"order {name}")
        if self.discount > sum((line.value for line in self.lines), Decimal(0)):
            raise ValueError("the order discount is more than the goods are worth")

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class LineTax:
    """One line's CNY amounts, each to the fen."""

    line: OrderLine
    goods_value: Decimal
    discount: Decimal
    freight: Decimal
    insurance: Decimal
    dutiable_value: Decimal
    tariff_rate: Decimal
    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total_tax: Decimal


@dataclass(frozen=True)
class OrderTax:
    """The order's tax in CNY (lines in the order given), its channel and why."""

    channel: Channel
    reason: str
    lines: tuple[LineTax, ...]
    exchange_rate: Decimal  # CNY per unit of the order's currency
    goods_value: Decimal
    discount: Decimal
    freight: Decimal
    insurance: Decimal
    dutiable_value: Decimal
    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total_tax: Decimal
    limits: LimitDecision = field(repr=False)

    @property
    def allowed(self) -> bool:
        return self.channel is not Channel.REFUSED


def allocate(total: Decimal, weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """``total`` (to the fen, zero or more) split over ``weights`` in proportion, by the
    largest-remainder method: shares rounded down to the fen, then one fen each to the
    largest fractions cut off, ties to the larger weight, then the earlier one (order_tax
    passes the lines in a canonical order).  All weights 0: everything to the first."""
    if not weights:
        raise ValueError("nothing to allocate to")
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return tuple(total if i == 0 else ZERO for i in range(len(weights)))
    with localcontext(_EXACT):
        exact = [total * weight / whole for weight in weights]
    shares = [share.quantize(FEN, rounding=ROUND_DOWN) for share in exact]
    left = int((total - sum(shares, ZERO)) / FEN)
    by_fraction = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], -weights[i], i))
    for i in by_fraction[:left]:
        shares[i] += FEN
    return tuple(shares)


def order_tax(
    order: Order,
    annual_used_cny: Decimal = ZERO,
    *,
    exchange: ExchangeRates | None = None,
    tax_rates: TaxRates | None = None,
    tariff_rates: TariffRates | None = None,
    limits: LimitTable | None = None,
) -> OrderTax:
    """The tax and channel of ``order`` for a consignee who has used ``annual_used_cny``
    of this calendar year's quota (customs.quota.QuotaLedger.used)."""
    rate = (exchange or ExchangeRates.load()).rate(order.currency, order.on)

    def to_cny(amount: Decimal) -> Decimal:
        return (amount * rate).quantize(FEN, rounding=ROUND_HALF_UP)

    # Canonical order: largest line first, ties by content, so the allocation (and so the
    # tax) cannot depend on the order the caller listed the lines in.
    goods = [to_cny(line.value) for line in order.lines]
    canonical = sorted(
        range(len(order.lines)), key=lambda i: (-goods[i], _line_key(order.lines[i]))
    )
    weights = [goods[i] for i in canonical]
    shares: dict[str, dict[int, Decimal]] = {}
    # Each line is converted on its own, so a discount of the whole goods value can come
    # out a fen above their sum: it is capped there, never making the goods negative.
    for name, amount in (
        ("discount", min(to_cny(order.discount), sum(goods, ZERO))),
        ("freight", to_cny(order.freight)),
        ("insurance", to_cny(order.insurance)),
    ):
        split = allocate(amount, weights)
        shares[name] = {index: split[position] for position, index in enumerate(canonical)}

    dutiable = [
        goods[i] - shares["discount"][i] + shares["freight"][i] + shares["insurance"][i]
        for i in range(len(order.lines))
    ]
    decision = check_limits(
        sum(dutiable, ZERO), order.item_count, annual_used_cny, order.on, limits
    )

    lines = []
    for i, line in enumerate(order.lines):
        tariff_rate, tariff, consumption, vat = _line_taxes(
            decision.channel, line, dutiable[i], order.on, tax_rates, tariff_rates
        )
        lines.append(
            LineTax(
                line=line,
                goods_value=goods[i],
                discount=shares["discount"][i],
                freight=shares["freight"][i],
                insurance=shares["insurance"][i],
                dutiable_value=dutiable[i],
                tariff_rate=tariff_rate,
                tariff=tariff,
                consumption_tax=consumption,
                vat=vat,
                total_tax=tariff + consumption + vat,
            )
        )

    def total(name: str) -> Decimal:
        return sum((getattr(line, name) for line in lines), ZERO)

    return OrderTax(
        channel=decision.channel,
        reason=decision.reason,
        lines=tuple(lines),
        exchange_rate=rate,
        goods_value=total("goods_value"),
        discount=total("discount"),
        freight=total("freight"),
        insurance=total("insurance"),
        dutiable_value=total("dutiable_value"),
        tariff=total("tariff"),
        consumption_tax=total("consumption_tax"),
        vat=total("vat"),
        total_tax=total("total_tax"),
        limits=decision,
    )


def _line_taxes(
    channel: Channel,
    line: OrderLine,
    dutiable: Decimal,
    on: date,
    tax_rates: TaxRates | None,
    tariff_rates: TariffRates | None,
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(tariff rate, tariff, consumption tax, VAT) of one line in the channel."""
    if channel is Channel.CBEC:
        tax = import_tax(dutiable, line.tax_category, on, tax_rates)
        return Decimal(0), ZERO, tax.consumption_tax, tax.vat
    if channel is Channel.FULL_TAX:
        full = general_trade_tax(
            dutiable, line.hs_code, line.tax_category, on, tariff_rates, tax_rates
        )
        return full.tariff_rate, full.tariff, full.consumption_tax, full.vat
    return Decimal(0), ZERO, ZERO, ZERO


def _line_key(line: OrderLine) -> tuple[str, str, int, Decimal, Decimal, str]:
    return (
        line.hs_code,
        line.tax_category,
        line.quantity,
        line.unit_price,
        line.discount,
        line.reference,
    )


def _check_money(amount: Decimal, name: str) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} {amount} must be zero or more")
