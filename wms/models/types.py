"""Column types that behave the same on SQLite and PostgreSQL.

- ``UTCDateTime``: aware datetimes in, aware UTC datetimes out; naive values are
  refused so that local time can never slip into the database.
- ``Money``: ``Decimal`` with a fixed scale.  PostgreSQL stores NUMERIC; SQLite has no
  decimal type (it would round-trip through float), so there the value is stored as a
  scaled integer, which keeps sums exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 4


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the database holds UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    impl = Numeric(18, MONEY_SCALE)
    cache_ok = True

    _factor = Decimal(10) ** MONEY_SCALE
    _quantum = Decimal(1).scaleb(-MONEY_SCALE)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        exact = value.quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {MONEY_SCALE} decimal places")
        return int(exact * self._factor) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


def money_text(value: Decimal) -> str:
    """Money as text at its stored scale, so an answer reads the same before and after
    the database has seen it."""
    return str(value.quantize(Money._quantum))
