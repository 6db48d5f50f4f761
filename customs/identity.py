"""Consignee, orderer and payer identity for China cross-border retail imports.

A mainland resident identity card number (GB 11643-1999) has 18 characters: a 6-digit
region code, an 8-digit birth date (YYYYMMDD), a 3-digit sequence (odd for men) and a
check character computed with ISO 7064 MOD 11-2 (0-9 or X for 10).  A number is accepted
when it is well formed, the check character is right, the province exists and the birth
date is a real date between 1900-01-01 and the day of the check.

Where the identity has not been verified (by the platform, against the public security
database), customs requires the orderer and the payer to be the same person: same ID
number and same name.

Public API:
    normalize_id(number) -> str                 (trimmed, upper-case X)
    normalize_name(name) -> str                 (as names are compared)
    id_check_character(first17) -> str          (ISO 7064 MOD 11-2)
    check_resident_id(number, on=None) -> str | None   (None if valid, else the reason)
    ResidentId.parse(number, on=None) -> ResidentId     (raises InvalidResidentId)
    Person(name, id_number)
    same_person(a, b) -> bool
    check_orderer_is_payer(orderer, payer, identity_verified) -> str | None
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Weight of position i (0-based, left to right) is 2^(17-i) mod 11.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
_SHAPE = re.compile(r"\d{17}[\dX]")
_EARLIEST_BIRTH = date(1900, 1, 1)
# Province-level codes (GB/T 2260): the first two digits of every mainland ID number;
# 71 Taiwan, 81 Hong Kong and 82 Macao are used on residence permits for mainland use.
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)


class InvalidResidentId(ValueError):
    """An ID number that is not a plausible mainland resident ID; the message says why."""


def normalize_id(number: str) -> str:
    """The ID number as compared and stored: no surrounding spaces, full-width digits made
    ASCII, a lower-case x made X."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("the check character is computed over 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    province: int
    birth_date: date
    male: bool

    @classmethod
    def parse(cls, number: str, on: date | None = None) -> ResidentId:
        """The parts of a valid number; ``on`` (default today) bounds the birth date."""
        text = normalize_id(number)
        if len(text) != 18:
            raise InvalidResidentId(f"a resident ID number has 18 characters, not {len(text)}")
        if not _SHAPE.fullmatch(text) or not text.isascii():
            raise InvalidResidentId(
                "a resident ID number is 17 digits and a digit or X as the check character"
            )
        expected = id_check_character(text[:17])
        if text[17] != expected:
            raise InvalidResidentId(
                f"the check character is {text[17]}, but ISO 7064 MOD 11-2 gives {expected}"
            )
        province = int(text[:2])
        if province not in PROVINCES:
            raise InvalidResidentId(f"region code {text[:6]}: no province {text[:2]}")
        try:
            born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            raise InvalidResidentId(f"birth date {text[6:14]} is not a date") from None
        latest = on or date.today()
        if not _EARLIEST_BIRTH <= born <= latest:
            raise InvalidResidentId(
                f"birth date {born.isoformat()} is not plausible (between "
                f"{_EARLIEST_BIRTH.isoformat()} and {latest.isoformat()})"
            )
        return cls(text, province, born, male=int(text[16]) % 2 == 1)


def check_resident_id(number: str, on: date | None = None) -> str | None:
    """None if ``number`` is a valid mainland resident ID number, else the reason."""
    try:
        ResidentId.parse(number, on)
    except InvalidResidentId as problem:
        return str(problem)
    return None


@dataclass(frozen=True)
class Person:
    """A party to an order (orderer, payer, consignee) as customs identifies it."""

    name: str
    id_number: str


def normalize_name(name: str) -> str:
    """The name as compared: width-normalized, spaces collapsed, case-blind."""
    # Chinese names have no case and no inner spaces; Latin names are compared case-blind
    # with runs of spaces collapsed.
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def same_person(a: Person, b: Person) -> bool:
    """The same ID number and the same name (whitespace, width and case aside)."""
    return normalize_id(a.id_number) == normalize_id(b.id_number) and normalize_name(
        a.name
    ) == normalize_name(b.name)


def check_orderer_is_payer(orderer: Person, payer: Person, identity_verified: bool) -> str | None:
    """None if the pair passes the identity rule, else the reason: without a verified
    identity the orderer and the payer must be the same person."""
    if identity_verified or same_person(orderer, payer):
        return None
    return (
        "the identity is not verified, so the orderer and the payer must be the same "
        "person (same name and ID number)"
    )
