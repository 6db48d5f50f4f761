"""How each kind of move changes the customs account book."""

from __future__ import annotations

import pytest

from wms.models import LocationKind as K
from wms.services.book_rules import Place, book_delta

BIN = Place(1, K.BIN, is_bonded=True, is_sellable=True)
BIN_2 = Place(2, K.BIN, is_bonded=True, is_sellable=True)
DOCK = Place(3, K.DOCK, is_bonded=True, is_sellable=False)
SHOWROOM = Place(4, K.SHOWROOM, is_bonded=True, is_sellable=False)
DUTY_PAID_BIN = Place(5, K.BIN, is_bonded=False, is_sellable=True)
SUPPLIER = Place(10, K.SUPPLIER, is_bonded=False, is_sellable=False)
CUSTOMER = Place(11, K.CUSTOMER, is_bonded=False, is_sellable=False)
SCRAP = Place(12, K.SCRAP, is_bonded=False, is_sellable=False)
COUNT = Place(13, K.COUNT_DIFF, is_bonded=False, is_sellable=False)
DOMESTIC = Place(14, K.DOMESTIC, is_bonded=False, is_sellable=False)


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        (SUPPLIER, DOCK, {"received": 5}),
        (DOCK, SUPPLIER, {"received": -5}),
        (DOCK, BIN, {}),
        (BIN, BIN_2, {}),
        (BIN, CUSTOMER, {"released": 5}),
        (CUSTOMER, BIN, {"released": -5}),
        (BIN, DOMESTIC, {"released": 5}),
        (BIN, DUTY_PAID_BIN, {"released": 5}),
        (BIN, SHOWROOM, {"on_display_loan": 5}),
        (SHOWROOM, BIN, {"on_display_loan": -5, "returned": 5}),
        (SHOWROOM, SCRAP, {"on_display_loan": -5, "written_off": 5}),
        (CUSTOMER, SHOWROOM, {"on_display_loan": 5, "released": -5}),
        (BIN, SCRAP, {"written_off": 5}),
        (SCRAP, BIN, {"written_off": -5}),
        (BIN, COUNT, {"adjusted": -5}),
        (COUNT, BIN, {"adjusted": 5}),
        (SUPPLIER, DUTY_PAID_BIN, {}),
        (DUTY_PAID_BIN, CUSTOMER, {}),
    ],
)
def test_each_kind_of_move_books_where_customs_expects_it(src, dst, expected):
    assert book_delta(src, dst, 5) == expected


def test_the_balance_is_what_stays_in_the_bonded_account():
    # received 10, released 3, 2 lent out (still in balance), 1 scrapped
    moves = [
        (SUPPLIER, DOCK, 10),
        (DOCK, BIN, 10),
        (BIN, CUSTOMER, 3),
        (BIN, SHOWROOM, 2),
        (BIN, SCRAP, 1),
    ]
    book: dict[str, int] = {}
    for src, dst, q in moves:
        for col, n in book_delta(src, dst, q).items():
            book[col] = book.get(col, 0) + n
    balance = book["received"] - book["released"] - book["written_off"] + book.get("adjusted", 0)
    assert balance == 10 - 3 - 1
    assert book["on_display_loan"] == 2


@pytest.mark.parametrize(
    ("src", "dst"),
    [(SUPPLIER, DOCK), (BIN, SHOWROOM), (SHOWROOM, BIN), (BIN, CUSTOMER), (COUNT, BIN)],
)
def test_a_reversal_undoes_exactly_what_the_move_did(src, dst):
    forward = book_delta(src, dst, 4)
    undo = book_delta(dst, src, 4, reversal=True)
    assert {k: forward.get(k, 0) + undo.get(k, 0) for k in forward | undo} == dict.fromkeys(
        forward | undo, 0
    )


def test_a_reversed_loan_return_is_not_counted_as_returned():
    assert book_delta(BIN, SHOWROOM, 2, reversal=True) == {"on_display_loan": 2, "returned": -2}
