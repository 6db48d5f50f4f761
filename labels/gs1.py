"""GS1 identifiers: GTIN validity and check digits (python-stdnum does the arithmetic),
and reading what scanners send (biip parses GS1 element strings)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date

import biip
from biip.gs1_messages import GS1Message
from stdnum import ean
from stdnum.exceptions import ValidationError

# FNC1 as ReportLab's Code128 takes it, and the GS separator scanners send for it.
FNC1 = "\xf1"
GS = "\x1d"
# AIs whose values have a predefined length, so no FNC1 follows them (GS1 General
# Specifications 5.10), with those lengths.
PREDEFINED_LENGTHS = {"00": 18, "01": 14, "17": 6}
PREDEFINED_LENGTH_AIS = frozenset(PREDEFINED_LENGTHS)
# GS1 AI encodable character set 82: what a (10) batch/lot may hold.
CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")

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


@dataclass(frozen=True)
class Gs1Scan:
    """What one scan said, in GS1 terms."""

    raw: str
    gtin: str | None = None  # always the 14-digit form
    lot: str | None = None
    expiry: date | None = None
    sscc: str | None = None
    serial: str | None = None


def parse_scan(text: str) -> Gs1Scan:
    """Read a scan: a GS1-128 / DataMatrix element string (with its symbology prefix such
    as ``]C1`` and GS separators, or in the ``(01)...(10)...`` human-readable form), or a
    plain GTIN.  Raises ValueError saying why when it is none of these."""
    raw = text.strip()
    if not raw:
        raise ValueError("the scan is empty")
    try:
        if raw.startswith("("):
            message = GS1Message.parse_hri(raw)
        else:
            result = biip.parse(raw)
            # A bare number is a product or container code, not an element string.
            if raw.isdigit() and len(raw) in GTIN_LENGTHS and result.gtin is not None:
                return Gs1Scan(raw=raw, gtin=result.gtin.value.zfill(14))
            if raw.isdigit() and len(raw) == 18 and result.sscc is not None:
                return Gs1Scan(raw=raw, sscc=result.sscc.value)
            if result.gs1_message is None:
                raise ValueError(f"{raw!r} is neither a GS1 element string nor a GTIN")
            message = result.gs1_message
    except biip.ParseError as exc:
        raise ValueError(f"{raw!r} is not a valid GS1 scan: {exc}") from None
    found: dict[str, object] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai == "01":
            found["gtin"] = element.value
        elif ai == "10":
            found["lot"] = element.value
        elif ai == "17":
            found["expiry"] = element.date
        elif ai == "00":
            found["sscc"] = element.value
        elif ai == "21":
            found["serial"] = element.value
    if not found:
        raise ValueError(f"{raw!r} carries none of the identifiers (00), (01), (10), (17), (21)")
    return Gs1Scan(raw=raw, **found)  # type: ignore[arg-type]


def element_string(*pairs: tuple[str, str]) -> str:
    """GS1-128 data for ReportLab's Code128: FNC1 first, then each AI and value, with an
    FNC1 after every variable-length value that is not last."""
    parts = [FNC1]
    for i, (ai, value) in enumerate(pairs):
        parts.append(ai + value)
        if ai not in PREDEFINED_LENGTH_AIS and i < len(pairs) - 1:
            parts.append(FNC1)
    return "".join(parts)


def hri(*pairs: tuple[str, str]) -> str:
    """The human-readable line printed under a GS1 barcode: (01)...(10)..."""
    return "".join(f"({ai}){value}" for ai, value in pairs)


def check_value(ai: str, value: str) -> None:
    """Raise ValueError unless ``value`` is valid for ``ai`` (the AIs our labels use)."""
    if ai in PREDEFINED_LENGTHS:
        length = PREDEFINED_LENGTHS[ai]
        if not value.isdigit() or len(value) != length:
            raise ValueError(f"GS1 ({ai}) takes {length} digits, not {value!r}")
        if ai == "01" and not is_valid_gtin(value):
            raise ValueError(f"{value} is not a valid GTIN (check digit)")
    elif ai == "10":
        if not 1 <= len(value) <= 20 or not set(value) <= CSET82:
            raise ValueError(
                f"lot {value!r} cannot be GS1 (10): 1 to 20 characters of GS1 character set 82"
            )
    else:
        raise ValueError(f"GS1 AI ({ai}) is not used on our labels")
