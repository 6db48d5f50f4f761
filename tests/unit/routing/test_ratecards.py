import json
from decimal import Decimal

import pytest

from routing import RateCardError, demo_services, load_rate_cards, load_services, price

from .builders import parcel

HEADER = (
    "card,currency,volumetric_divisor,fuel_surcharge_pct,remote_surcharge,minimum_charge,"
    "zone,destinations,first_weight_g,first_price,additional_weight_g,additional_price,"
    "transit_days\n"
)
GOOD_ROW = "ZX,CNY,8000,0,0,4.50,1,CN-GD CN-GX,1000,4.50,1000,1.00,1\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_demo_data_has_twelve_services_of_at_least_five_couriers():
    services = demo_services()
    assert len(services) == 12
    assert len({s.courier for s in services}) >= 5
    assert {s.rate_card.currency for s in services} == {"CNY", "USD"}
    # Every domestic service prices a 1 kg parcel to Shanghai, and SF is dearer than ZTO.
    by_code = {s.code: s for s in services}
    shanghai = parcel(weight_g=1000, region="CN-SH")
    assert price(shanghai, by_code["SF-STD"].rate_card) == Decimal("18.00")
    assert price(shanghai, by_code["ZTO-STD"].rate_card) == Decimal("6.50")


def test_a_csv_rate_card_loads_with_its_zones(tmp_path):
    cards = load_rate_cards(write(tmp_path, "zx.csv", HEADER + GOOD_ROW))
    assert cards["ZX"].zones == {"CN-GD": "1", "CN-GX": "1"}
    assert cards["ZX"].rates["1"].first_price == Decimal("4.50")
    assert cards["ZX"].minimum_charge == Decimal("4.50")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("ZX,CNY,8000,0,0,4.50,2,CN-SH,1000,abc,1000,1.00,1\n", "line 3: field 'first_price'"),
        ("ZX,CNY,8000,0,0,4.50,2,CN-SH,1000,-1,1000,1.00,1\n", "line 3: field 'first_price'"),
        ("ZX,CNY,8000,0,0,4.50,2,CN-SH,1000,5,0,1.00,1\n", "line 3: field 'additional_weight_g'"),
        ("ZX,CNY,8000,0,0,4.50,2,CN-SH,1.5,5,500,1.00,1\n", "line 3: field 'first_weight_g'"),
        ("ZX,CNY,6000,0,0,4.50,2,CN-SH,1000,5,500,1.00,1\n", "line 3: field 'volumetric_divisor'"),
        ("ZX,CNY,8000,0,0,4.50,2,CN-GD,1000,5,500,1.00,1\n", "line 3: field 'destinations'"),
        ("ZX,CNY,8000,0,0,4.50,1,CN-SH,1000,5,500,1.00,1\n", "line 3: field 'zone'"),
        ("ZX,CNY,8000,0,0,4.50,2,,1000,5,500,1.00,1\n", "line 3: field 'destinations'"),
    ],
)
def test_a_bad_csv_row_is_refused_naming_line_and_field(tmp_path, row, message):
    path = write(tmp_path, "zx.csv", HEADER + GOOD_ROW + row)
    with pytest.raises(RateCardError, match=message):
        load_rate_cards(path)


def test_a_csv_without_a_column_names_it(tmp_path):
    path = write(tmp_path, "zx.csv", HEADER.replace(",first_price", "") + GOOD_ROW)
    with pytest.raises(RateCardError, match=r"line 1: missing column.*first_price"):
        load_rate_cards(path)


def json_card(**changes):
    card = {
        "code": "JX",
        "currency": "USD",
        "volumetric_divisor": 5000,
        "fuel_surcharge_pct": "27.5",
        "zones": {
            "EU": {
                "destinations": ["DE", "FR"],
                "first_weight_g": 500,
                "first_price": "52.00",
                "additional_weight_g": 500,
                "additional_price": "9.50",
            }
        },
    }
    card.update(changes)
    return card


def test_a_json_rate_card_loads(tmp_path):
    path = write(tmp_path, "jx.json", json.dumps({"rate_cards": [json_card()]}))
    (card,) = load_rate_cards(path).values()
    assert card.fuel_surcharge_pct == Decimal("27.5")
    small = parcel(weight_g=500, size_mm=(200, 100, 100), country="DE", region="")
    assert price(small, card) == Decimal("66.30")  # 52.00 x 1.275
    bulky = parcel(weight_g=500, size_mm=(200, 150, 100), country="DE", region="")
    assert price(bulky, card) == Decimal("78.41")  # 600 g volumetric: (52 + 9.5) x 1.275


def test_json_money_is_read_exactly_and_checked(tmp_path):
    text = json.dumps({"rate_cards": [json_card()]}).replace('"52.00"', "52.10")
    (card,) = load_rate_cards(write(tmp_path, "jx.json", text)).values()
    assert card.rates["EU"].first_price == Decimal("52.10")  # never through a float
    text = json.dumps({"rate_cards": [json_card()]}).replace('"52.00"', '"-1"')
    with pytest.raises(RateCardError, match=r"rate_cards\[0\]\.zones\['EU'\]: field 'first_price'"):
        load_rate_cards(write(tmp_path, "jx.json", text))


def test_a_json_card_with_a_bad_currency_is_refused(tmp_path):
    path = write(tmp_path, "jx.json", json.dumps(json_card(currency="dollars")))
    with pytest.raises(RateCardError, match="field 'currency'"):
        load_rate_cards(path)


def test_broken_json_names_the_line(tmp_path):
    with pytest.raises(RateCardError, match="line 2: not valid JSON"):
        load_rate_cards(write(tmp_path, "jx.json", '{\n"code": }'))


def test_a_service_naming_a_missing_rate_card_is_refused(tmp_path):
    services = {
        "services": [
            {
                "code": "A",
                "courier": "A",
                "rate_card": "NOPE",
                "transit_days": 2,
                "limits": {"max_weight_g": 1, "max_length_mm": 1, "max_length_plus_girth_mm": 1},
            }
        ]
    }
    path = write(tmp_path, "services.json", json.dumps(services))
    with pytest.raises(RateCardError, match=r"services\[0\]: field 'rate_card'"):
        load_services(path, {})


def test_a_service_with_a_bad_limit_is_refused(tmp_path):
    cards = load_rate_cards(write(tmp_path, "zx.csv", HEADER + GOOD_ROW))
    services = {
        "services": [
            {
                "code": "A",
                "courier": "A",
                "rate_card": "ZX",
                "transit_days": 2,
                "limits": {"max_weight_g": "heavy", "max_length_mm": 1},
            }
        ]
    }
    path = write(tmp_path, "services.json", json.dumps(services))
    with pytest.raises(RateCardError, match=r"services\[0\]\.limits: field 'max_weight_g'"):
        load_services(path, cards)
