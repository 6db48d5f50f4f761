"""GS1 identifiers: GTIN validity and check digits (python-stdnum does the arithmetic)."""

from __future__ import annotations

from stdnum import ean
from stdnum.exceptions import ValidationError

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def is_valid_gtin(code: str) -> bool:
    """GTIN-8, -12, -13 or -14 with a correct mod-10 check digit."""
    if not code.isdigit() or len(code) not in GTIN_LENGTHS:
        return False
    try:
        ean.validate(code)
    except ValidationError:
        return False
    return True


def check_digit(data: str) -> str:
    """The GS1 mod-10 check digit for ``data`` (GTIN, SSCC, GLN without their last digit)."""
    if not data.isdigit():
        raise ValueError("GS1 data must be digits")
    return ean.calc_check_digit(data)
