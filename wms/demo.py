"""Demonstration data: a Waigaoqiao bonded warehouse, a Tmall Global-style catalogue and two
entry declarations that are received, closed and put away.

Everything goes through the services, one transaction per business step, the way the
scanners would do it, so the ledger, the quants and the customs account book agree.
Idempotency keys are derived from the data: a load that was interrupted half-way is
simply run again and finishes, and a finished load is never repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labels.gs1 import check_digit
from wms.db import Database
from wms.models import (
    ApiToken,
    BoxType,
    BrokerOrganisation,
    Channel,
    DeclarationStatus,
    EntryDeclaration,
    Loan,
    Location,
    LocationKind,
    Merchant,
    Move,
    Product,
    ReceiptDiscrepancy,
    StockOperation,
    Warehouse,
)
from wms.services import brokers, catalog, domestic, inbound, loans, orders, stock

ACTOR = "demo"
WAREHOUSE_CODE = "SHA-WGQ"
WAREHOUSE = catalog.WarehouseInput(
    code=WAREHOUSE_CODE,
    name="Shanghai Waigaoqiao Bonded Logistics Centre",
    customs_area_code="2218",
    address="No. 55 Fute North Road, Waigaoqiao Free Trade Zone, Pudong, Shanghai 200131, China",
)

# (code, name, bonded).  Only D is outside the customs account: stock gets there by release.
ZONES: tuple[tuple[str, str, bool], ...] = (
    ("A", "Bonded ambient storage", True),
    ("B", "Bonded high-value cage", True),
    ("C", "Bonded cosmetics, climate-controlled 15-25 C", True),
    ("Q", "Bonded quarantine and damaged goods", True),
    ("S", "Bonded display-loan showrooms", True),
    ("D", "Domestic duty-paid (general trade)", False),
)
# Bins per zone as (aisles, bays, levels); codes read aisle-bay-level, e.g. A-01-02-3.
BIN_GRID: dict[str, tuple[int, int, int]] = {
    "A": (2, 3, 3),
    "B": (1, 3, 2),
    "C": (2, 2, 2),
    "Q": (1, 1, 2),
    "D": (1, 2, 2),
}
DOCK_CODE = "DOCK-01"
DOCK_BARCODE = f"{WAREHOUSE_CODE}-{DOCK_CODE}"
QUARANTINE_BIN = "Q-01-01-1"
SHOWROOMS: tuple[tuple[str, str], ...] = (
    ("SR-HZ", "Hangzhou Binjiang cross-border showroom"),
    ("SR-SH", "Shanghai Jing'an cross-border experience store"),
)
# Where each tax category is stored; anything else goes to ambient A.
ZONE_BY_TAX = {
    "cosmetics": "C",
    "premium_cosmetics": "C",
    "watches": "B",
    "jewellery": "B",
}
# Units a receiver counts and scans in one go (a few cartons): bigger lots take several scans.
SCAN_MAX = 60


class State(StrEnum):
    ABSENT = "absent"  # no demo warehouse: load everything
    PARTIAL = "partial"  # an earlier load stopped half-way: finish it
    COMPLETE = "complete"  # loaded: write nothing
    FOREIGN = "foreign"  # someone else's warehouse has the demo code: leave it alone


@dataclass(frozen=True)
class ProductRow:
    """One catalogue line.  ``value`` is "amount currency", ``dims`` is "LxWxH" in mm, and
    the GTIN's check digit is computed, so a typo cannot slip an invalid GTIN in."""

    sku: str
    name: str
    tax_category: str
    gtin12: str
    hs_code: str
    origin: str
    value: str
    net_g: int
    gross_g: int
    dims: str
    life: int | None = None  # shelf life in months; None for durable goods
    battery: bool = False
    liquid: bool = False
    zone: str | None = None  # storage zone when the tax category does not decide it

    @property
    def gtin(self) -> str:
        return self.gtin12 + check_digit(self.gtin12)

    @property
    def unit_value(self) -> Decimal:
        return Decimal(self.value.split()[0])

    @property
    def currency(self) -> str:
        return self.value.split()[1]

    @property
    def home_zone(self) -> str:
        return self.zone or ZONE_BY_TAX.get(self.tax_category, "A")

    def as_input(self) -> catalog.ProductInput:
        length, width, height = (int(n) for n in self.dims.split("x"))
        return catalog.ProductInput(
            sku=self.sku,
            name=self.name,
            hs_code=self.hs_code,
            origin_country=self.origin,
            declared_unit_value=self.unit_value,
            currency=self.currency,
            net_weight_g=self.net_g,
            gross_weight_g=self.gross_g,
            length_mm=length,
            width_mm=width,
            height_mm=height,
            tax_category=self.tax_category,
            gtin=self.gtin,
            has_battery=self.battery,
            is_liquid=self.liquid,
            # Where the showroom display tags lead; a placeholder shop domain (RFC 2606).
            listing_url=f"https://shop.example.com/global/{self.sku.lower()}",
        )


P = ProductRow

# GS1 prefixes follow the origin: 94 NZ, 93 AU, 45/49 JP, 880 KR, 30-37 FR, 40-44 DE,
# 0 + UPC-A for the USA, 76 CH, 80-83 IT, 87 NL, 50 UK, 57 DK.
# Each row: sku, name, tax category /
#   GTIN without check digit, HS code (CN, 10 digits), origin, declared value, net g, gross g,
#   L x W x H mm, then shelf life in months and flags.
# The formatter is off for the table: two lines per product read better than one per field.
# fmt: off
PRODUCTS: tuple[ProductRow, ...] = (
    # Infant formula and baby care
    P("NZ-KP-A2-S1-900", "Kiwi Pasture A2 infant formula stage 1, 900 g", "general",
      "942104370011", "1901101000", "NZ", "38.50 NZD", 900, 1095, "128x128x178", life=24),
    P("NZ-KP-A2-S3-900", "Kiwi Pasture A2 toddler milk drink stage 3, 900 g", "general",
      "942104370035", "1901101000", "NZ", "35.90 NZD", 900, 1095, "128x128x178", life=24),
    P("NZ-SA-GOAT-S1-800", "Southern Alps goat milk infant formula stage 1, 800 g", "general",
      "942167820104", "1901101000", "NZ", "42.00 NZD", 800, 985, "127x127x168", life=24),
    P("NL-LL-ORG-S1-800", "Lowlands organic infant formula stage 1, 800 g", "general",
      "871960210081", "1901101000", "NL", "21.90 EUR", 800, 960, "127x127x170", life=18),
    P("DE-BK-PRE-600", "Bio-Kinder organic infant formula Pre, 600 g box", "general",
      "406218801006", "1901101000", "DE", "15.95 EUR", 600, 690, "165x95x195", life=18),
    P("AU-OD-WMP-1KG", "Outback Dairy full cream milk powder, 1 kg", "general",
      "931215400107", "0402210000", "AU", "14.50 AUD", 1000, 1060, "200x90x300", life=18),
    P("JP-SK-DIAPER-M64", "Sakura Soft baby tape diapers size M, 64 pcs", "general",
      "490258311642", "9619001100", "JP", "1580 JPY", 1850, 2000, "380x250x180"),
    P("JP-SK-PPSU-240", "Sakura Soft PPSU wide-neck feeding bottle, 240 ml", "general",
      "490258310478", "3924100000", "JP", "2200 JPY", 120, 190, "90x90x200"),
    P("KR-LB-BABYWASH-400", "Little Bloom baby top-to-toe wash, 400 ml", "cosmetics",
      "880920147305", "3401300000", "KR", "18000 KRW", 420, 470, "75x55x210", life=36,
      liquid=True),
    # Health supplements
    P("AU-SC-FISHOIL-400", "Sunburnt Country odourless fish oil 1000 mg, 400 caps", "general",
      "931456700400", "2106909090", "AU", "22.00 AUD", 560, 720, "110x110x180", life=36),
    P("AU-SC-KIDS-VITC-60", "Sunburnt Country kids vitamin C + zinc gummies, 60 pcs", "general",
      "931456701063", "2106909090", "AU", "12.95 AUD", 180, 240, "70x70x120", life=24),
    P("US-GM-D3-240", "Green Meadow vitamin D3 5000 IU, 240 softgels", "general",
      "075338100524", "2106909090", "US", "14.99 USD", 120, 180, "65x65x125", life=30),
    P("US-GM-PROBIO-30", "Green Meadow probiotic 50 billion CFU, 30 capsules", "general",
      "075338100830", "2106909090", "US", "24.99 USD", 45, 110, "60x60x110", life=18),
    P("NZ-HM-MANUKA-500", "Hinemoa Manuka honey UMF 10+, 500 g", "general",
      "942250910502", "0409000000", "NZ", "39.90 NZD", 500, 780, "90x90x130", life=36),
    P("KR-JG-REDGINSENG-30", "Jeju Green 6-year red ginseng extract, 30 x 10 ml", "general",
      "880930520315", "2106909090", "KR", "89000 KRW", 300, 520, "200x120x70", life=24,
      liquid=True),
    # Skincare, make-up and fragrance
    P("FR-ML-DAYCREAM-50", "Maison Lumiere hydrating day cream, 50 ml", "cosmetics",
      "360512401050", "3304990099", "FR", "38.00 EUR", 55, 210, "70x70x60", life=30),
    P("FR-ML-SERUM-30", "Maison Lumiere night repair serum, 30 ml", "premium_cosmetics",
      "360512401302", "3304990099", "FR", "72.00 EUR", 35, 190, "45x45x120", life=30,
      liquid=True),
    P("FR-ML-ROUGE-999", "Maison Lumiere satin lipstick shade 999, 3.5 g", "premium_cosmetics",
      "360512403993", "3304100090", "FR", "28.00 EUR", 4, 45, "25x25x90", life=36),
    P("FR-ML-EDP-JARDIN-50", "Maison Lumiere Jardin eau de parfum, 50 ml", "premium_cosmetics",
      "360512405508", "3303000000", "FR", "68.00 EUR", 42, 330, "85x55x130", life=60,
      liquid=True),
    P("FR-SA-MIST-300", "Source d'Auvergne thermal water face mist, 300 ml", "cosmetics",
      "335762000300", "3304990099", "FR", "8.90 EUR", 300, 360, "60x60x190", life=36,
      liquid=True),
    P("IT-RV-EDT-100", "Riviera Blu eau de toilette, 100 ml", "premium_cosmetics",
      "802430551008", "3303000000", "IT", "55.00 EUR", 85, 420, "95x60x150", life=60,
      liquid=True),
    P("JP-HG-ESSENCE-230", "Hanagasumi facial treatment essence, 230 ml", "premium_cosmetics",
      "497131523001", "3304990099", "JP", "17600 JPY", 230, 420, "70x70x170", life=36,
      liquid=True),
    P("JP-HG-UVMILK-60", "Hanagasumi UV sunscreen milk SPF50+ PA++++, 60 ml", "cosmetics",
      "497131526064", "3304990099", "JP", "2980 JPY", 60, 95, "40x30x130", life=36,
      liquid=True),
    P("JP-HG-FOAM-120", "Hanagasumi whip facial cleansing foam, 120 g", "cosmetics",
      "497131524121", "3401300000", "JP", "880 JPY", 120, 145, "50x40x175", life=36),
    P("KR-JG-MASK-10", "Jeju Green green-tea sheet mask, box of 10", "cosmetics",
      "880930510217", "3304990099", "KR", "15000 KRW", 250, 300, "180x130x40", life=30),
    P("KR-JG-LIPMASK-20", "Jeju Green berry lip sleeping mask, 20 g", "cosmetics",
      "880930510408", "3304100090", "KR", "22000 KRW", 20, 60, "60x60x40", life=30),
    P("KR-HB-GINSENG-60", "Hanbang ginseng renewing cream, 60 ml", "premium_cosmetics",
      "880978630601", "3304990099", "KR", "250000 KRW", 65, 380, "90x90x80", life=36),
    P("US-NY-EYEGEL-15", "Northern Yard advanced night repair eye gel, 15 ml",
      "premium_cosmetics",
      "088774502150", "3304990099", "US", "58.00 USD", 15, 110, "50x40x110", life=30),
    P("US-NY-LOTION-125", "Northern Yard moisture surge lotion, 125 ml", "cosmetics",
      "088774501258", "3304990099", "US", "24.00 USD", 125, 190, "50x50x160", life=30,
      liquid=True),
    P("IT-MS-TOOTHPASTE-75", "Milano Smile whitening toothpaste, 75 ml", "general",
      "800678300759", "3306101000", "IT", "8.50 EUR", 100, 130, "40x45x190", life=36),
    # Watches and jewellery
    P("CH-HV-AUTO-40", "Helvetia automatic wristwatch 40 mm, steel bracelet", "watches",
      "761109240407", "9102210000", "CH", "495.00 CHF", 150, 620, "120x110x90"),
    P("CH-HV-QUARTZ-34", "Helvetia quartz ladies' wristwatch 34 mm, leather strap", "watches",
      "761109240346", "9102110000", "CH", "220.00 CHF", 45, 480, "120x110x90"),
    P("JP-TK-SOLAR-42", "Tokiwa solar chronograph 42 mm, titanium", "watches",
      "497484120425", "9102110000", "JP", "48000 JPY", 90, 420, "110x100x85", battery=True),
    P("JP-TK-DIVER-42", "Tokiwa automatic diver's watch 42 mm", "watches",
      "497484120609", "9102210000", "JP", "55000 JPY", 170, 560, "110x100x85"),
    P("IT-AR-BRACELET-19", "Argento Roma sterling silver charm bracelet, 19 cm", "jewellery",
      "803761900195", "7113119000", "IT", "69.00 EUR", 20, 160, "100x100x40"),
    P("DK-NL-NECKLACE-45", "Nordlys sterling silver pendant necklace, 45 cm", "jewellery",
      "570823010450", "7113119000", "DK", "599.00 DKK", 12, 140, "90x90x35"),
    # Small electrical goods (lithium batteries ship and store as dangerous goods)
    P("US-SW-EARBUDS-ANC", "SoundWave true wireless noise-cancelling earbuds", "general",
      "084365120901", "8518300000", "US", "129.00 USD", 60, 330, "110x110x50",
      battery=True, zone="B"),
    P("DE-DS-SONIC-T5", "Dentaschoen sonic electric toothbrush with travel case", "general",
      "421012350057", "8509800000", "DE", "59.99 EUR", 250, 620, "230x110x70", battery=True),
    P("NL-GR-SHAVER-S5", "Groningen wet and dry electric shaver", "general",
      "871010450502", "8510100000", "NL", "89.00 EUR", 180, 690, "200x150x80", battery=True),
    P("GB-AW-DRYER-HD", "Airwell supersonic hair dryer", "general",
      "503624400018", "8516310000", "GB", "249.00 GBP", 700, 2000, "330x220x110", zone="B"),
    P("JP-ZM-RICECOOKER-10", "Zoumaru IH pressure rice cooker, 1.0 L", "general",
      "497480400105", "8516603000", "JP", "39800 JPY", 5200, 6900, "420x320x300"),
    # Kitchenware
    P("DE-RH-POT-20", "Rheinhaus stainless steel casserole 20 cm with lid", "general",
      "400399202003", "7323930000", "DE", "79.00 EUR", 1850, 2300, "320x230x160"),
    P("DE-RH-CHEF-20", "Rheinhaus forged chef's knife, 20 cm", "general",
      "400399220205", "8211920000", "DE", "89.00 EUR", 240, 420, "360x80x35"),
    P("FR-LF-COCOTTE-24", "La Fonderie enamelled cast-iron round cocotte, 24 cm", "general",
      "302456240245", "7323920000", "FR", "189.00 EUR", 4300, 5600, "330x290x190"),
    # Wine and spirits
    P("FR-CB-BDXSUP-19", "Chateau Belair-Rives Bordeaux Superieur 2019, 750 ml", "alcohol",
      "376003200192", "2204210000", "FR", "12.50 EUR", 750, 1300, "80x80x305", liquid=True),
    P("AU-BV-SHIRAZ-21", "Barossa Ridge Shiraz 2021, 750 ml", "alcohol",
      "935011202114", "2204210000", "AU", "18.00 AUD", 750, 1350, "80x80x300", liquid=True),
    P("FR-MD-BRUT-NV", "Maison Dorval Brut Champagne NV, 750 ml", "alcohol",
      "301290007508", "2204100000", "FR", "29.00 EUR", 750, 1650, "90x90x310", liquid=True),
    P("GB-GL-SPEY12-700", "Glenlaird 12 year old Speyside single malt, 700 ml", "alcohol",
      "501030901207", "2208300000", "GB", "32.00 GBP", 700, 1450, "95x95x310", liquid=True),
    # Pantry
    P("IT-TR-ESPRESSO-1KG", "Torrefazione Romano espresso roasted beans, 1 kg", "general",
      "801339010007", "0901210000", "IT", "14.90 EUR", 1000, 1040, "250x120x70", life=18),
    P("CH-AL-DARK72-100", "Alpenlicht Swiss dark chocolate 72%, 100 g", "general",
      "761230072100", "1806320000", "CH", "3.20 CHF", 100, 110, "160x80x10", life=18),
)
# fmt: on

PRODUCT_BY_SKU: dict[str, ProductRow] = {p.sku: p for p in PRODUCTS}


@dataclass(frozen=True)
class LineRow:
    """A declaration line and what actually arrived: one quantity per supplier lot."""

    sku: str
    declared: int
    lots: tuple[int, ...]
    damaged: int = 0  # units of the first lot found damaged: put away to quarantine


@dataclass(frozen=True)
class DeclarationRow:
    number: str  # customs code 2218, year, 1 = import, 9-digit serial
    importer: str
    arrival: date
    lines: tuple[LineRow, ...]


L = LineRow

DECLARATIONS: tuple[DeclarationRow, ...] = (
    # Sea freight from Oceania and Europe.
    DeclarationRow(
        "221820261000412687",
        "Shanghai Hengyuan Cross-Border Supply Chain Co., Ltd.",
        date(2026, 11, 9),
        (
            L("NZ-KP-A2-S1-900", 480, (240, 240)),
            L("NZ-KP-A2-S3-900", 480, (480,)),
            L("NZ-SA-GOAT-S1-800", 240, (240,)),
            L("NL-LL-ORG-S1-800", 360, (180, 180)),
            L("DE-BK-PRE-600", 240, (240,)),
            L("AU-OD-WMP-1KG", 300, (300,)),
            L("AU-SC-FISHOIL-400", 360, (144, 192)),  # two cartons of 12 missing: short 24
            L("AU-SC-KIDS-VITC-60", 288, (288,)),
            L("NZ-HM-MANUKA-500", 144, (96, 48)),
            L("FR-ML-DAYCREAM-50", 120, (120,)),
            L("FR-ML-SERUM-30", 96, (60, 36)),
            L("FR-ML-ROUGE-999", 200, (200,)),
            L("FR-ML-EDP-JARDIN-50", 60, (60,)),
            L("FR-SA-MIST-300", 240, (240,)),
            L("IT-RV-EDT-100", 48, (48,)),
            L("IT-MS-TOOTHPASTE-75", 360, (360,)),
            L("CH-HV-AUTO-40", 24, (24,)),
            L("CH-HV-QUARTZ-34", 30, (30,)),
            L("IT-AR-BRACELET-19", 40, (40,)),
            L("DE-DS-SONIC-T5", 60, (60,)),
            L("DE-RH-POT-20", 36, (36,)),
            L("FR-LF-COCOTTE-24", 24, (24,)),
            L("FR-CB-BDXSUP-19", 600, (600,), damaged=6),  # one crushed case
            L("AU-BV-SHIRAZ-21", 300, (300,)),
            L("FR-MD-BRUT-NV", 120, (120,)),
        ),
    ),
    # Air freight from Japan, Korea, the USA and the UK, plus a formula top-up.
    DeclarationRow(
        "221820261000436015",
        "Zhejiang Xihu Global Trading Co., Ltd.",
        date(2026, 11, 16),
        (
            L("JP-SK-DIAPER-M64", 200, (200,)),
            L("JP-SK-PPSU-240", 120, (120,)),
            L("KR-LB-BABYWASH-400", 144, (144,)),
            L("US-GM-D3-240", 240, (240,)),
            L("US-GM-PROBIO-30", 180, (90, 90)),
            L("KR-JG-REDGINSENG-30", 60, (60,)),
            L("JP-HG-ESSENCE-230", 96, (48, 48)),
            L("JP-HG-UVMILK-60", 360, (240, 120)),
            L("JP-HG-FOAM-120", 240, (240,)),
            L("KR-JG-MASK-10", 400, (220, 200)),  # supplier added a free inner pack: over 20
            L("KR-JG-LIPMASK-20", 240, (240,)),
            L("KR-HB-GINSENG-60", 36, (36,)),
            L("US-NY-EYEGEL-15", 72, (72,)),
            L("US-NY-LOTION-125", 120, (120,)),
            L("JP-TK-SOLAR-42", 20, (20,)),
            L("JP-TK-DIVER-42", 12, (12,)),
            L("DK-NL-NECKLACE-45", 30, (30,)),
            L("US-SW-EARBUDS-ANC", 100, (100,)),
            L("GB-AW-DRYER-HD", 24, (24,)),
            L("JP-ZM-RICECOOKER-10", 16, (16,)),
            L("NZ-KP-A2-S1-900", 240, (240,)),
            L("GB-GL-SPEY12-700", 120, (120,)),
        ),
    ),
)


@dataclass(frozen=True)
class LotPlan:
    line_no: int
    line: LineRow
    product: ProductRow
    index: int  # position of the lot within its line
    quantity: int
    lot_number: str
    production: date
    expiry: date | None


# Sales channels: (code, name, minimum shelf life in days, platform code, e-commerce code).
CHANNELS: tuple[orders.ChannelInput, ...] = (
    orders.ChannelInput("TMALLG", "Tmall Global", 90, "3301960000", "31149679BN"),
    orders.ChannelInput("JDWW", "JD Worldwide", 60, "1105910159", "31149679BN"),
    orders.ChannelInput("KIWISHOP", "Kiwi Pasture official domestic store", 30),
    orders.ChannelInput("EXPORTSHOP", "Tmall World export store", 0),
)
# Cartons the packers use: (code, name, length, width, height in mm, tare in g).
BOX_TYPES: tuple[tuple[str, str, int, int, int, int], ...] = (
    ("S", "Small carton", 200, 150, 100, 90),
    ("M", "Medium carton", 300, 220, 150, 180),
    ("L", "Large carton", 400, 300, 250, 320),
    ("XL", "Extra-large carton", 550, 400, 350, 560),
)


# The merchant that sells through every demo channel, the broker that acts for it, and a
# second broker without that mandate (it sees no declaration: the portal's 404s).
MERCHANT = ("HENGYUAN", "Shanghai Hengyuan Cross-Border Supply Chain Co., Ltd.", "31149679BN")
BROKER = ("EASTPORT", "Shanghai Eastport Customs Brokerage Co., Ltd.")
OTHER_BROKER = ("HUANGPU", "Huangpu River Customs Declaration Services Co., Ltd.")


def _customs_setup(database: Database, progress: Callable[[str], None]) -> int:
    """The merchant, its channels, both brokers and the mandate, added where missing;
    the demo broker's portal token is issued (and printed) only if it never had one."""
    with database.transaction() as session:
        added = 0
        merchants = set(session.scalars(select(Merchant.code)))
        if MERCHANT[0] not in merchants:
            brokers.create_merchant(session, MERCHANT[0], MERCHANT[1], customs_code=MERCHANT[2])
            added += 1
        known = set(session.scalars(select(BrokerOrganisation.code)))
        for code, name in (BROKER, OTHER_BROKER):
            if code not in known:
                brokers.create_broker(session, code, name)
                added += 1
        for channel in CHANNELS:
            current = session.scalar(select(Channel).where(Channel.code == channel.code))
            if current is not None and current.merchant_id is None:
                brokers.assign_channel(session, channel.code, MERCHANT[0])
                added += 1
        brokers.grant_mandate(session, BROKER[0], MERCHANT[0])  # returns an existing one
        broker_id = brokers.broker_by_code(session, BROKER[0]).id
        token = None
        if session.scalar(select(ApiToken.id).where(ApiToken.broker_id == broker_id)) is None:
            token = brokers.issue_token(session, "demo portal", broker_code=BROKER[0])
            added += 1
    if added:
        progress(
            f"customs: merchant {MERCHANT[0]} with {len(CHANNELS)} channels, brokers "
            f"{BROKER[0]} (acts for it) and {OTHER_BROKER[0]} (does not)"
        )
    if token:  # printed once: only its hash is kept
        progress(f"API token for broker {BROKER[0]} (shown once; Authorization: Bearer): {token}")
    return added


# Demo accounts, one per role; the passwords are public (README), so demo mode only.
DEMO_USERS = (
    ("staff", "staff-demo-2026", "staff", None, "Li Wei (warehouse)"),
    ("planner", "planner-demo-2026", "planner", None, "Zhang Min (planning)"),
    ("broker", "broker-demo-2026", "broker", BROKER[0], "Chen Jie (Eastport)"),
    ("admin", "admin-demo-2026", "admin", None, "Demo administrator"),
)


def _people_setup(database: Database, progress: Callable[[str], None]) -> int:
    """One user per role with a documented password, added where missing."""
    from wms.models import User
    from wms.services import people

    with database.transaction() as session:
        known = set(session.scalars(select(User.username)))
        added = [
            people.create_user(
                session, name, password, role, broker_code=broker, display_name=display
            ).username
            for name, password, role, broker, display in DEMO_USERS
            if name not in known
        ]
    if added:
        progress(f"demo users (passwords in the README): {', '.join(added)}")
    return len(added)


def _sales_setup(database: Database, progress: Callable[[str], None]) -> int:
    """Channels and box types, added where missing (safe to run on every load)."""
    with database.transaction() as session:
        channels = set(session.scalars(select(Channel.code)))
        boxes = set(session.scalars(select(BoxType.code)))
        added = 0
        for channel in CHANNELS:
            if channel.code not in channels:
                orders.create_channel(session, channel)
                added += 1
        for code, name, length, width, height, tare in BOX_TYPES:
            if code not in boxes:
                session.add(
                    BoxType(
                        code=code,
                        name=name,
                        length_mm=length,
                        width_mm=width,
                        height_mm=height,
                        tare_g=tare,
                    )
                )
                added += 1
    if added:
        progress(f"sales channels: {len(CHANNELS)}, box types: {len(BOX_TYPES)}")
    return added


# Duty-paid (general trade) stock for the domestic and export sample orders
# (demo/orders-sample.*): (sku, lot, quantity, expiry).
DUTY_PAID: tuple[tuple[str, str, int, date], ...] = (
    ("NZ-KP-A2-S1-900", "GT-KP1-2611", 24, date(2028, 3, 31)),
    ("NZ-KP-A2-S3-900", "GT-KP3-2611", 24, date(2028, 3, 31)),
    ("JP-ZM-RICECOOKER-10", "GT-ZM-2610", 6, date(2031, 12, 31)),
    ("IT-TR-ESPRESSO-1KG", "GT-TR-2610", 20, date(2028, 4, 30)),
    ("CH-AL-DARK72-100", "GT-AL-2610", 60, date(2028, 1, 31)),
)


def _duty_paid_setup(database: Database, progress: Callable[[str], None]) -> int:
    """Duty-paid stock in the domestic zone, received once (the keys make reloads no-ops)."""
    bins = [f"{WAREHOUSE_CODE}-{code}" for code in _bin_codes("D")]
    added = 0
    with database.transaction() as session:
        for i, (sku, lot, quantity, expiry) in enumerate(DUTY_PAID):
            result = domestic.receive_duty_paid(
                session,
                domestic.DutyPaidReceipt(
                    product_code=sku,
                    lot_number=lot,
                    quantity=quantity,
                    bin_barcode=bins[i % len(bins)],
                    reference="GT-IMPORT-2026-1107",
                    idempotency_key=f"demo-duty-paid-{sku}",
                    actor="demo",
                    expiry_date=expiry,
                ),
            )
            added += not result["replayed"]
    if added:
        progress(f"duty-paid stock received for {added} products")
    return added


def load(database: Database, progress: Callable[[str], None] = lambda _m: None) -> str:
    """Load the demo once; return a short summary of what the database then holds."""
    with database.reading() as session:
        state = _state(session)
        lent = session.scalar(select(func.count()).select_from(Loan)) > 0
    if state is State.FOREIGN:
        return f"Warehouse {WAREHOUSE_CODE} exists but was not created by the demo; nothing loaded."
    sales_added = _sales_setup(database, progress)
    sales_added += _customs_setup(database, progress)
    sales_added += _people_setup(database, progress)
    if state is State.COMPLETE and lent:
        sales_added += _duty_paid_setup(database, progress)
        headline = "Demo sales and customs data added." if sales_added else "nothing written."
        return _summary(database, f"Demo data already loaded; {headline}")
    if state is State.ABSENT:
        _master_data(database, progress)
    if state is not State.COMPLETE:
        for declaration in DECLARATIONS:
            _declare(database, declaration, progress)
            _receive(database, declaration, progress)
            _close(database, declaration, progress)
            _put_away(database, declaration, progress)
    if not lent:
        _lend(database, progress)
    _duty_paid_setup(database, progress)
    headline = "Demo data loaded." if state is State.ABSENT else "Interrupted demo load finished."
    return _summary(database, headline)


def _state(session: Session) -> State:
    if session.scalar(select(Warehouse.id).where(Warehouse.code == WAREHOUSE_CODE)) is None:
        return State.ABSENT
    skus = {p.sku for p in PRODUCTS}
    if session.scalar(select(func.count()).where(Product.sku.in_(skus))) != len(skus):
        return State.FOREIGN
    keys = [step.idempotency_key for d in DECLARATIONS for step in _receive_steps(d)]
    keys += [step.idempotency_key for d in DECLARATIONS for step in _putaway_steps(d)]
    done = session.scalar(select(func.count()).where(StockOperation.idempotency_key.in_(keys)))
    closed = session.scalar(
        select(func.count()).where(
            EntryDeclaration.number.in_([d.number for d in DECLARATIONS]),
            EntryDeclaration.status == DeclarationStatus.CLOSED,
        )
    )
    if done == len(keys) and closed == len(DECLARATIONS):
        return State.COMPLETE
    return State.PARTIAL


def _bin_codes(zone: str) -> list[str]:
    aisles, bays, levels = BIN_GRID[zone]
    return [
        f"{zone}-{aisle:02d}-{bay:02d}-{level}"
        for aisle in range(1, aisles + 1)
        for bay in range(1, bays + 1)
        for level in range(1, levels + 1)
    ]


def _home_bins() -> dict[str, str]:
    """Each product's bin barcode: round-robin over its zone, so zones fill evenly."""
    taken: dict[str, int] = {}
    homes: dict[str, str] = {}
    for product in PRODUCTS:
        zone = product.home_zone
        bins = _bin_codes(zone)
        homes[product.sku] = f"{WAREHOUSE_CODE}-{bins[taken.get(zone, 0) % len(bins)]}"
        taken[zone] = taken.get(zone, 0) + 1
    return homes


HOME_BINS = _home_bins()


def _master_data(database: Database, progress: Callable[[str], None]) -> None:
    # One transaction: the warehouse existing then means its layout and catalogue do too.
    with database.transaction() as session:
        catalog.create_warehouse(session, WAREHOUSE)
        for code, name, bonded in ZONES:
            catalog.create_zone(session, WAREHOUSE_CODE, code, name, is_bonded=bonded)
        loc = catalog.LocationInput
        catalog.create_location(
            session,
            loc(WAREHOUSE_CODE, DOCK_CODE, LocationKind.DOCK, "Inbound dock 1", zone_code="A"),
        )
        bins = 0
        for zone in BIN_GRID:
            for code in _bin_codes(zone):
                # Quarantined goods stay in the account but must never be allocated.
                sellable = False if zone == "Q" else None
                catalog.create_location(
                    session,
                    loc(
                        WAREHOUSE_CODE, code, LocationKind.BIN, zone_code=zone, is_sellable=sellable
                    ),
                )
                bins += 1
        for code, name in SHOWROOMS:
            catalog.create_location(
                session, loc(WAREHOUSE_CODE, code, LocationKind.SHOWROOM, name, zone_code="S")
            )
        progress(
            f"warehouse {WAREHOUSE_CODE}: {len(ZONES)} zones, {bins} bins, 1 dock, "
            f"{len(SHOWROOMS)} showrooms"
        )
        for product in PRODUCTS:
            catalog.create_product(session, product.as_input())
        progress(f"products: {len(PRODUCTS)}")


def _declare(
    database: Database, declaration: DeclarationRow, progress: Callable[[str], None]
) -> None:
    with database.transaction() as session:
        exists = session.scalar(
            select(EntryDeclaration.id).where(EntryDeclaration.number == declaration.number)
        )
        if exists is not None:
            return
        lines = tuple(
            inbound.DeclarationLineInput(
                line_no=n,
                sku=line.sku,
                declared_quantity=line.declared,
                unit_value=PRODUCT_BY_SKU[line.sku].unit_value,
                currency=PRODUCT_BY_SKU[line.sku].currency,
                origin_country=PRODUCT_BY_SKU[line.sku].origin,
            )
            for n, line in enumerate(declaration.lines, start=1)
        )
        inbound.create_declaration(
            session,
            inbound.DeclarationInput(
                number=declaration.number,
                warehouse_code=WAREHOUSE_CODE,
                importer=declaration.importer,
                arrival_date=declaration.arrival,
                lines=lines,
            ),
        )
    declared = sum(line.declared for line in declaration.lines)
    progress(f"declaration {declaration.number}: {len(lines)} lines, {declared} units declared")


def _lots(declaration: DeclarationRow) -> Iterator[LotPlan]:
    for line_no, line in enumerate(declaration.lines, start=1):
        product = PRODUCT_BY_SKU[line.sku]
        for index, quantity in enumerate(line.lots):
            # Made two to four months before arrival; lot numbers follow the production day.
            production = declaration.arrival - timedelta(days=60 + 3 * line_no + 21 * index)
            expiry = _add_months(production, product.life) if product.life else None
            lot_number = f"L{production:%y%m%d}{chr(ord('A') + index)}"
            yield LotPlan(line_no, line, product, index, quantity, lot_number, production, expiry)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _receive_steps(declaration: DeclarationRow) -> Iterator[inbound.ReceiveInput]:
    received: dict[int, int] = {}
    scans: dict[int, int] = {}
    for lot in _lots(declaration):
        left = lot.quantity
        while left:
            quantity = min(left, SCAN_MAX)
            left -= quantity
            received[lot.line_no] = received.get(lot.line_no, 0) + quantity
            scans[lot.line_no] = scans.get(lot.line_no, 0) + 1
            yield inbound.ReceiveInput(
                declaration_number=declaration.number,
                product_code=lot.product.gtin,  # as the receiver's scanner reads it
                lot_number=lot.lot_number,
                quantity=quantity,
                dock_barcode=DOCK_BARCODE,
                idempotency_key=(
                    f"demo-receive-{declaration.number}-{lot.line_no}-{scans[lot.line_no]}"
                ),
                actor=ACTOR,
                expiry_date=lot.expiry,
                production_date=lot.production,
                line_no=lot.line_no,
                # Confirmed only for the scan that goes beyond the declaration, as a
                # supervisor would.
                accept_over=received[lot.line_no] > lot.line.declared,
            )


def _putaway_steps(declaration: DeclarationRow) -> Iterator[inbound.PutawayInput]:
    for lot in _lots(declaration):
        damaged = lot.line.damaged if lot.index == 0 else 0
        moves = [
            (f"{WAREHOUSE_CODE}-{QUARANTINE_BIN}", damaged),
            (HOME_BINS[lot.product.sku], lot.quantity - damaged),
        ]
        for target, quantity in moves:
            if quantity:
                yield inbound.PutawayInput(
                    product_code=lot.product.sku,
                    lot_number=lot.lot_number,
                    quantity=quantity,
                    from_barcode=DOCK_BARCODE,
                    to_barcode=target,
                    idempotency_key=(
                        f"demo-putaway-{declaration.number}-{lot.line_no}-{lot.index + 1}-"
                        f"{target.removeprefix(WAREHOUSE_CODE + '-')}"
                    ),
                    actor=ACTOR,
                )


def _receive(
    database: Database, declaration: DeclarationRow, progress: Callable[[str], None]
) -> None:
    units = scans = 0
    for step in _receive_steps(declaration):
        with database.transaction() as session:
            inbound.receive(session, step)
        units += step.quantity
        scans += 1
    progress(f"declaration {declaration.number} received: {units} units in {scans} scans")


def _close(
    database: Database, declaration: DeclarationRow, progress: Callable[[str], None]
) -> None:
    with database.transaction() as session:
        current = inbound.declaration_by_number(session, declaration.number)
        if current.status is DeclarationStatus.CLOSED:
            return
        discrepancies = inbound.close_declaration(session, declaration.number, actor=ACTOR)
        found = ", ".join(f"{d.kind.value} {d.quantity}" for d in discrepancies) or "none"
    progress(f"declaration {declaration.number} closed; discrepancies: {found}")


def _put_away(
    database: Database, declaration: DeclarationRow, progress: Callable[[str], None]
) -> None:
    units = 0
    bins: set[str] = set()
    for step in _putaway_steps(declaration):
        with database.transaction() as session:
            inbound.putaway(session, step)
        units += step.quantity
        bins.add(step.to_barcode)
    progress(f"declaration {declaration.number} put away: {units} units into {len(bins)} bins")


# A display loan to the Hangzhou showroom: two units each of these, out for a month.
LOAN_SKUS = ("FR-ML-SERUM-30", "CH-HV-AUTO-40")
LOAN_DAYS = 30


def _lend(database: Database, progress: Callable[[str], None]) -> None:
    """Lend a few products to the first showroom: requested, approved and scanned out."""
    showroom = f"{WAREHOUSE_CODE}-{SHOWROOMS[0][0]}"
    picks: list[tuple[str, str, str]] = []  # (sku, lot, bin)
    with database.reading() as session:
        for sku in LOAN_SKUS:
            product = catalog.product_by_code(session, sku)
            rows = stock.on_hand(
                session, stock.StockFilter(product_id=product.id, bonded=True, sellable=True)
            )
            if rows:
                picks.append((sku, rows[0].lot_number, rows[0].location))
    if not picks:
        return
    today = datetime.now(UTC).date()
    with database.transaction() as session:
        number = loans.request_loan(
            session,
            loans.LoanRequest(
                showroom_barcode=showroom,
                due_date=today + timedelta(days=LOAN_DAYS),
                items=tuple(loans.LoanItemInput(sku, lot, 2) for sku, lot, _bin in picks),
                requested_by="merchandiser",
            ),
        ).number
        loans.approve_loan(
            session,
            number,
            approved_by="customs.broker",
            guarantee_reference=f"BG-{number}",
            guarantee_expires=today + timedelta(days=LOAN_DAYS + 30),
        )
    for i, (sku, lot, source) in enumerate(picks):
        with database.transaction() as session:
            loans.scan_out(
                session,
                loans.ScanOut(number, sku, lot, 2, source, f"demo-{number}-out-{i}", ACTOR),
            )
    progress(f"display loan {number}: {len(picks) * 2} units to {SHOWROOMS[0][1]}")


def _summary(database: Database, headline: str) -> str:
    with database.reading() as session:
        kinds = dict(
            session.execute(select(Location.kind, func.count()).group_by(Location.kind)).all()
        )
        virtual = sum(n for kind, n in kinds.items() if not kind.is_physical)
        declarations = dict(
            session.execute(
                select(EntryDeclaration.status, func.count()).group_by(EntryDeclaration.status)
            ).all()
        )
        discrepancies = dict(
            session.execute(
                select(ReceiptDiscrepancy.kind, func.count()).group_by(ReceiptDiscrepancy.kind)
            ).all()
        )
        counts = {
            "warehouses": session.scalar(select(func.count()).select_from(Warehouse)),
            "locations": (
                f"{sum(kinds.values())} (bins {kinds.get(LocationKind.BIN, 0)}, "
                f"docks {kinds.get(LocationKind.DOCK, 0)}, "
                f"showrooms {kinds.get(LocationKind.SHOWROOM, 0)}, virtual {virtual})"
            ),
            "products": session.scalar(select(func.count()).select_from(Product)),
            "declarations": (
                f"{sum(declarations.values())} "
                f"({declarations.get(DeclarationStatus.CLOSED, 0)} closed)"
            ),
            "discrepancies": ", ".join(
                f"{n} {kind.value}" for kind, n in sorted(discrepancies.items())
            )
            or "none",
            "moves": session.scalar(select(func.count()).select_from(Move)),
            "units on hand": stock.total_on_hand(session, stock.StockFilter()),
        }
    return "\n".join([headline, *(f"{name}: {value}" for name, value in counts.items())])
