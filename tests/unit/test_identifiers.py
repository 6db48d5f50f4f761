"""GS1 identifiers and HS codes."""

from __future__ import annotations

import pytest

from customs.hs import check_hs_code
from labels.gs1 import check_digit, is_valid_gtin


def test_sscc_check_digit_matches_the_gs1_published_example():
    assert check_digit("10614141123456789") == "7"


@pytest.mark.parametrize("gtin", ["4006381333931", "96385074", "036000291452", "10614141000415"])
def test_valid_gtins_are_accepted(gtin):
    assert is_valid_gtin(gtin)


@pytest.mark.parametrize("gtin", ["4006381333932", "400638133393", "40063813339a1", "", "123"])
def test_wrong_gtins_are_refused(gtin):
    assert not is_valid_gtin(gtin)


def test_chinese_hs_codes_have_ten_or_thirteen_digits():
    assert check_hs_code("0402210000") is None
    assert check_hs_code("3304990099101") is None
    assert "10 or 13 digits" in check_hs_code("040221")
    assert check_hs_code("04022100ab") == "an HS code is digits only"
    assert "chapter 77" in check_hs_code("7701000000")


def test_international_hs_codes_have_six_digits():
    assert check_hs_code("040221", "INTL") is None
    assert check_hs_code("0402210000", "INTL") is not None
