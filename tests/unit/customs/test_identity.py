"""Mainland resident ID numbers (ISO 7064 MOD 11-2) and the orderer-is-payer rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customs.identity import (
    InvalidResidentId,
    Person,
    ResidentId,
    check_orderer_is_payer,
    check_resident_id,
    id_check_character,
    normalize_id,
    same_person,
)

ON = date(2026, 3, 1)


def valid_id(first17: str) -> str:
    return first17 + id_check_character(first17)


def test_the_standard_examples():
    # The examples printed in GB 11643-1999.
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("44052418800101001") == "4"
    parsed = ResidentId.parse("11010519491231002X", ON)
    assert parsed == ResidentId("11010519491231002X", 11, date(1949, 12, 31), male=False)
    assert ResidentId.parse("31010419900307123X", ON).male is True


def test_a_valid_number_passes_and_a_lower_case_x_is_accepted():
    assert check_resident_id("11010519491231002X", ON) is None
    assert check_resident_id(" 11010519491231002x ", ON) is None
    assert normalize_id(" 11010519491231002x ") == "11010519491231002X"
    # Full-width digits, as some input methods type them, read as ASCII digits.
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002X")
    assert check_resident_id(full_width, ON) is None


@pytest.mark.parametrize(
    ("number", "complaint"),
    [
        ("11010519491231002", "18 characters, not 17"),
        ("1101051949123100211", "18 characters, not 19"),
        ("1101051949123A002X", "17 digits and a digit or X"),
        ("X10105194912310021", "17 digits and a digit or X"),
        ("110105194912310021", "the check character is 1, but ISO 7064 MOD 11-2 gives X"),
        (valid_id("99010519491231002"), "no province 99"),
        (valid_id("11010519490231002"), "birth date 19490231 is not a date"),
        (valid_id("44052418800101001"), "birth date 1880-01-01 is not plausible"),
        (valid_id("11010520260302002"), "birth date 2026-03-02 is not plausible"),
    ],
)
def test_an_invalid_number_says_why(number, complaint):
    assert complaint in check_resident_id(number, ON)
    with pytest.raises(InvalidResidentId) as raised:
        ResidentId.parse(number, ON)
    assert complaint in str(raised.value)


def test_born_today_is_plausible():
    assert check_resident_id(valid_id("11010520260301002"), ON) is None


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_computed_check_character_always_satisfies_the_check(first17):
    problem = check_resident_id(valid_id(first17), ON)
    assert problem is None or "check character" not in problem


@given(
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.integers(0, 16),
    st.integers(1, 9),
)
def test_every_single_digit_error_is_caught(first17, position, shift):
    number = valid_id(first17)
    changed = str((int(number[position]) + shift) % 10)
    wrong = number[:position] + changed + number[position + 1 :]
    assert id_check_character(wrong[:17]) != wrong[17]


def test_same_person_needs_the_same_id_and_name():
    zhang = Person("张伟", "11010519491231002X")
    assert same_person(zhang, Person(" 张伟 ", "11010519491231002x"))
    assert not same_person(zhang, Person("张伟", valid_id("31010419900307123")))
    assert not same_person(zhang, Person("张薇", "11010519491231002X"))
    assert same_person(Person("Li  Na", "1"), Person("li na", "1"))


def test_without_verified_identity_the_orderer_must_pay():
    orderer = Person("张伟", "11010519491231002X")
    spouse = Person("李娜", valid_id("31010419900307123"))
    assert check_orderer_is_payer(orderer, orderer, identity_verified=False) is None
    assert "must be the same person" in check_orderer_is_payer(
        orderer, spouse, identity_verified=False
    )
    assert check_orderer_is_payer(orderer, spouse, identity_verified=True) is None
