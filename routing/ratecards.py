"""Rate cards and services from files, with errors that name the file, line and field.

Rate-card CSV: one row per zone; the card-level columns repeat on every row of a card
and must agree.  `destinations` is a space-separated list of ISO 3166-2 regions or
country codes.

    card,currency,volumetric_divisor,fuel_surcharge_pct,remote_surcharge,minimum_charge,
    zone,destinations,first_weight_g,first_price,additional_weight_g,additional_price,
    transit_days

Rate-card JSON: {"rate_cards": [{"code", "currency", "volumetric_divisor",
"fuel_surcharge_pct", "remote_surcharge", "minimum_charge", "zones": {NAME: {"destinations",
"first_weight_g", "first_price", "additional_weight_g", "additional_price",
"transit_days"}}}]} (or one card object).  Money is a string or a JSON number; numbers
are read as Decimal, never through a float.

Services JSON: {"services": [{"code", "courier", "rate_card", "transit_days",
"capacity_parcels", "capacity_g", "limits": {"max_weight_g", "max_length_mm",
"max_length_plus_girth_mm"}, "serves_remote", "accepts_batteries", "max_liquid_ml",
"max_cosmetic_ml", "excluded_regions"}]}.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from routing.model import CourierService, ParcelLimits, RateCard, ZoneRate

CSV_COLUMNS = (
    "card",
    "currency",
    "volumetric_divisor",
    "fuel_surcharge_pct",
    "remote_surcharge",
    "minimum_charge",
    "zone",
    "destinations",
    "first_weight_g",
    "first_price",
    "additional_weight_g",
    "additional_price",
    "transit_days",
)
CARD_FIELDS = CSV_COLUMNS[1:6]


class RateCardError(ValueError):
    """A rate-card or services file is wrong; the message names where and which field."""


class _Fields:
    """Reads typed fields out of one record, naming the record in every error."""

    def __init__(self, record: Mapping[str, Any], where: str) -> None:
        self.record = record
        self.where = where

    def fail(self, field: str, problem: str) -> RateCardError:
        return RateCardError(f"{self.where}: field {field!r}: {problem}")

    def raw(self, field: str, *, required: bool = True) -> Any:
        value = self.record.get(field)
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            raise self.fail(field, "is missing")
        return value

    def text(self, field: str) -> str:
        value = self.raw(field)
        if not isinstance(value, str):
            raise self.fail(field, f"must be text, not {value!r}")
        return value.strip()

    def integer(
        self, field: str, *, minimum: int = 0, required: bool = True, default: int | None = None
    ) -> int | None:
        value = self.raw(field, required=required)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, bool):
            raise self.fail(field, f"must be a whole number, not {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(field, f"must be a whole number, not {value!r}") from None
        if number != number.to_integral_value():
            raise self.fail(field, f"must be a whole number, not {value!r}")
        if number < minimum:
            raise self.fail(field, f"must be at least {minimum}, not {value!r}")
        return int(number)

    def required_integer(self, field: str, *, minimum: int = 0) -> int:
        value = self.integer(field, minimum=minimum)
        assert value is not None
        return value

    def money(self, field: str, *, default: Decimal | None = None) -> Decimal:
        value = self.raw(field, required=default is None)
        if value is None or (isinstance(value, str) and not value.strip()):
            assert default is not None
            return default
        if isinstance(value, (bool, float)):
            raise self.fail(field, f'write money as a string such as "12.50", not {value!r}')
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(field, f"is not an amount: {value!r}") from None
        if not amount.is_finite() or amount < 0:
            raise self.fail(field, f"must be a non-negative amount, not {value!r}")
        return amount

    def flag(self, field: str, *, default: bool) -> bool:
        value = self.record.get(field, default)
        if not isinstance(value, bool):
            raise self.fail(field, f"must be true or false, not {value!r}")
        return value


def load_rate_cards(path: str | Path) -> dict[str, RateCard]:
    """Every rate card in a .csv or .json file, or in every such file of a folder."""
    path = Path(path)
    files = (
        sorted(p for p in path.iterdir() if p.suffix in {".csv", ".json"} and p.stem != "services")
        if path.is_dir()
        else [path]
    )
    cards: dict[str, RateCard] = {}
    for file in files:
        if not file.exists():
            raise RateCardError(f"{file}: no such file")
        loaded = _load_csv(file) if file.suffix == ".csv" else _load_json(file)
        for code, card in loaded.items():
            if code in cards:
                raise RateCardError(f"{file}: rate card {code!r} is defined twice")
            cards[code] = card
    return cards


def load_services(path: str | Path, rate_cards: Mapping[str, RateCard]) -> list[CourierService]:
    path = Path(path)
    document = _read_json(path)
    records = document.get("services") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise RateCardError(f'{path}: expected {{"services": [...]}}')
    services = []
    for index, record in enumerate(records):
        fields = _Fields(record, f"{path}: services[{index}]")
        card_code = fields.text("rate_card")
        if card_code not in rate_cards:
            raise fields.fail("rate_card", f"no rate card {card_code!r} is loaded")
        limits = _Fields(fields.raw("limits"), f"{path}: services[{index}].limits")
        excluded = record.get("excluded_regions", [])
        if not isinstance(excluded, list) or not all(isinstance(r, str) for r in excluded):
            raise fields.fail("excluded_regions", "must be a list of region codes")
        services.append(
            CourierService(
                code=fields.text("code"),
                courier=fields.text("courier"),
                rate_card=rate_cards[card_code],
                transit_days=fields.required_integer("transit_days"),
                limits=ParcelLimits(
                    max_weight_g=limits.required_integer("max_weight_g", minimum=1),
                    max_length_mm=limits.required_integer("max_length_mm", minimum=1),
                    max_length_plus_girth_mm=limits.required_integer(
                        "max_length_plus_girth_mm", minimum=1
                    ),
                ),
                capacity_parcels=fields.integer("capacity_parcels", required=False),
                capacity_g=fields.integer("capacity_g", required=False),
                serves_remote=fields.flag("serves_remote", default=True),
                accepts_batteries=fields.flag("accepts_batteries", default=False),
                max_liquid_ml=fields.integer("max_liquid_ml", required=False, default=0) or 0,
                max_cosmetic_ml=fields.integer("max_cosmetic_ml", required=False, default=0) or 0,
                excluded_regions=frozenset(excluded),
            )
        )
    return services


def demo_services() -> list[CourierService]:
    """The demo couriers shipped in routing/data (rates as published in 2025, simplified)."""
    folder = Path(str(resources.files("routing") / "data"))
    return load_services(folder / "services.json", load_rate_cards(folder))


def _read_json(path: Path) -> Any:
    try:
        # Decimal for every non-integer number: money never passes through a float.
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise RateCardError(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise RateCardError(f"{path}: line {error.lineno}: not valid JSON: {error.msg}") from None


def _load_json(path: Path) -> dict[str, RateCard]:
    document = _read_json(path)
    records = document.get("rate_cards", [document]) if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise RateCardError(f'{path}: expected a rate card object or {{"rate_cards": [...]}}')
    cards = {}
    for index, record in enumerate(records):
        where = f"{path}: rate_cards[{index}]"
        if not isinstance(record, dict):
            raise RateCardError(f"{where}: expected an object")
        fields = _Fields(record, where)
        zones = record.get("zones")
        if not isinstance(zones, dict) or not zones:
            raise fields.fail("zones", "must map zone names to their rates")
        rows = [
            ({**record, **zone, "zone": name}, f"{where}.zones[{name!r}]")
            for name, zone in zones.items()
        ]
        card = _card(fields.text("code"), rows, where)
        cards[card.code] = card
    return cards


def _load_csv(path: Path) -> dict[str, RateCard]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RateCardError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        rows: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for record in reader:
            where = f"{path}: line {reader.line_num}"
            fields = _Fields(record, where)
            entry = {**record, "destinations": fields.text("destinations").split()}
            rows.setdefault(fields.text("card"), []).append((entry, where))
    return {code: _card(code, card_rows, str(path)) for code, card_rows in rows.items()}


def _card(code: str, rows: list[tuple[dict[str, Any], str]], where: str) -> RateCard:
    first = _Fields(rows[0][0], rows[0][1])
    currency = first.text("currency")
    if len(currency) != 3 or not currency.isalpha():
        raise first.fail("currency", f"must be a three-letter code, not {currency!r}")
    settings = {
        "volumetric_divisor": first.required_integer("volumetric_divisor"),
        "fuel_surcharge_pct": first.money("fuel_surcharge_pct", default=Decimal(0)),
        "remote_surcharge": first.money("remote_surcharge", default=Decimal(0)),
        "minimum_charge": first.money("minimum_charge", default=Decimal(0)),
    }
    zones: dict[str, str] = {}
    rates: dict[str, ZoneRate] = {}
    for record, row_where in rows:
        fields = _Fields(record, row_where)
        for name in CARD_FIELDS:
            if str(record.get(name, "")).strip() != str(rows[0][0].get(name, "")).strip():
                raise fields.fail(name, f"differs from the first row of card {code!r}")
        zone = str(fields.raw("zone")).strip()
        if zone in rates:
            raise fields.fail("zone", f"zone {zone!r} appears twice in card {code!r}")
        destinations = fields.raw("destinations")
        if not isinstance(destinations, list) or not destinations:
            raise fields.fail("destinations", "must list at least one region or country")
        for destination in destinations:
            if destination in zones:
                raise fields.fail(
                    "destinations", f"{destination!r} is already in zone {zones[destination]!r}"
                )
            zones[destination] = zone
        rates[zone] = ZoneRate(
            first_weight_g=fields.required_integer("first_weight_g", minimum=1),
            first_price=fields.money("first_price"),
            additional_weight_g=fields.required_integer("additional_weight_g", minimum=1),
            additional_price=fields.money("additional_price"),
            transit_days=fields.integer("transit_days", required=False),
        )
    if not rates:
        raise RateCardError(f"{where}: card {code!r} has no zones")
    return RateCard(code=code, currency=currency, zones=zones, rates=rates, **settings)
