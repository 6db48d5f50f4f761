"""Harmonized System codes as each regime writes them."""

from __future__ import annotations

# HS chapter 77 is reserved for future use; chapters run 01-97.
_VALID_CHAPTERS = frozenset(range(1, 98)) - {77}

# China declares 10 digits, optionally followed by 3 inspection-and-quarantine digits;
# the international nomenclature stops at the 6-digit subheading; the EU writes the HS
# subheading, its 8-digit Combined Nomenclature code or its 10-digit TARIC code.
LENGTHS = {"CN": (10, 13), "INTL": (6,), "EU": (6, 8, 10)}


def check_hs_code(code: str, regime: str = "CN") -> str | None:
    """None if ``code`` is a well-formed HS code for ``regime``, else the reason it is not."""
    lengths = LENGTHS[regime]
    if not code.isdigit():
        return "an HS code is digits only"
    if len(code) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        return f"an HS code for {regime} has {expected} digits, not {len(code)}"
    if int(code[:2]) not in _VALID_CHAPTERS:
        return f"HS chapter {code[:2]} does not exist"
    return None


def subheading(code: str) -> str:
    """The 6-digit HS subheading of a code of any regime (the level every country shares)."""
    if len(code) < 6 or not code[:6].isdigit():
        raise ValueError(f"{code!r} has no 6-digit HS subheading")
    return code[:6]
