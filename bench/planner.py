"""Courier-selection benchmark: a realistic day of parcels on the demo couriers.

1. Builds --parcels parcels (fixed seed) leaving a Guangdong bonded warehouse: about 90 %
   bonded-import parcels to Chinese consumers (destinations weighted by online-retail
   demand, e-commerce weights, 3 % remote addresses, batteries / liquids / cosmetics,
   promised delivery dates) and 10 % export parcels to Europe, the US and Asia-Pacific.
2. Plans them on the 12 demo services in routing/data, whose daily capacities bind
   (the cheap networks fill up), and prints the plan's cost, the proven lower bound, the
   gap, the time taken and the rate-shopping cost beside it, with each service's load.

Ends with one JSON line:
{"parcels", "cost", "bound", "gap_pct", "seconds", "rate_shopping_cost"}.
Run: .venv/bin/python bench/planner.py [--parcels 20000] [--time-limit 25] [--relative-gap 0.001]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import Destination, Parcel, demo_services, plan_couriers

SEED = 20261122
USD_CNY = Decimal("7.12")
# Province and relative order volume (online retail is concentrated on the east coast).
PROVINCES = {
    "CN-GD": 16, "CN-ZJ": 10, "CN-JS": 9, "CN-SH": 8, "CN-BJ": 7, "CN-SD": 6, "CN-FJ": 5,
    "CN-HA": 4, "CN-HB": 4, "CN-SC": 4, "CN-HN": 3, "CN-AH": 3, "CN-HE": 3, "CN-CQ": 2,
    "CN-LN": 2, "CN-SN": 2, "CN-JX": 2, "CN-GX": 2, "CN-TJ": 2, "CN-YN": 2, "CN-SX": 1,
    "CN-GZ": 1, "CN-HL": 1, "CN-JL": 1, "CN-NM": 1, "CN-HI": 1, "CN-GS": 1, "CN-XJ": 1,
    "CN-NX": 0.3, "CN-QH": 0.3, "CN-XZ": 0.2,
}  # fmt: skip
COUNTRIES = {"DE": 5, "FR": 4, "GB": 4, "US": 6, "ES": 2, "IT": 2, "NL": 2, "JP": 2, "AU": 1}


def make_day(count: int, rng: random.Random) -> list[Parcel]:
    provinces, province_weights = zip(*PROVINCES.items(), strict=True)
    countries, country_weights = zip(*COUNTRIES.items(), strict=True)
    parcels = []
    for n in range(count):
        export = rng.random() < 0.10
        if export:
            weight = _clamp(int(rng.lognormvariate(math.log(450), 0.6)), 60, 2500)
            destination = Destination(rng.choices(countries, country_weights)[0])
            promised = rng.choice((None, None, 5, 14))
        else:
            weight = _clamp(int(rng.lognormvariate(math.log(900), 0.9)), 50, 45_000)
            destination = Destination(
                "CN", rng.choices(provinces, province_weights)[0], remote=rng.random() < 0.03
            )
            promised = rng.choices((None, 2, 3, 5), (40, 20, 30, 10))[0]
        length, width, height = _box(weight, rng)
        parcels.append(
            Parcel(
                id=f"P{n:06d}",
                weight_g=weight,
                length_mm=length,
                width_mm=width,
                height_mm=height,
                destination=destination,
                declared_value=Decimal(rng.randint(20, 2000)),
                promised_days=promised,
                has_battery=rng.random() < 0.05,
                liquid_ml=rng.choice((100, 250, 500, 800)) if rng.random() < 0.08 else 0,
                cosmetic_ml=rng.choice((30, 50, 100, 200, 500)) if rng.random() < 0.15 else 0,
            )
        )
    return parcels


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _box(weight_g: int, rng: random.Random) -> tuple[int, int, int]:
    """Carton sides for the weight at a density of 120..400 kg/m3 (light goods are bulkier)."""
    density = rng.uniform(120, 400)  # kg / m3 = g / dm3
    volume_mm3 = weight_g / density * 1e6
    ratio = rng.uniform(1.2, 2.2)
    height = (volume_mm3 / (ratio * 1.4)) ** (1 / 3)
    return (
        max(50, round(height * ratio * 1.4)),
        max(40, round(height * 1.4)),
        max(20, round(height)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=20_000)
    parser.add_argument("--time-limit", type=float, default=25.0)
    parser.add_argument(
        "--relative-gap",
        type=float,
        default=0.001,
        help="stop once the plan is proven within this fraction of optimal (0: run CP-SAT "
        "until optimal or the time limit)",
    )
    args = parser.parse_args()

    rng = random.Random(SEED)
    parcels = make_day(args.parcels, rng)
    services = demo_services()
    capacity = sum(s.capacity_parcels or 0 for s in services)
    print(f"{len(parcels)} parcels, {len(services)} services, {capacity} parcels of capacity")
    plan = plan_couriers(
        parcels,
        services,
        time_limit_s=args.time_limit,
        exchange_rates={"USD": USD_CNY},
        relative_gap=args.relative_gap,
    )
    print(f"status {plan.status}, {plan.seconds:.1f} s")
    print(f"plan cost          {plan.cost:>12} {plan.currency}")
    print(f"lower bound        {plan.bound:>12} (gap {plan.gap_pct:.3f} %)")
    print(
        f"rate shopping      {plan.rate_shopping_cost:>12} "
        f"({plan.rate_shopping_unassigned} parcels left for lack of capacity)"
    )
    print(f"saved              {plan.saving:>12}")
    by_reason: dict[str, int] = {}
    for left in plan.unassigned:
        by_reason[left.reason.value] = by_reason.get(left.reason.value, 0) + 1
    print(f"unassigned         {len(plan.unassigned):>12} {by_reason}")
    for load in plan.loads:
        print(
            f"  {load.service_code:<10} {load.parcels:>6} / {load.capacity_parcels} parcels"
            f"  {load.grams / 1000:>9.1f} / {(load.capacity_g or 0) / 1000:.0f} kg"
        )
    record = {
        "parcels": len(parcels),
        "cost": str(plan.cost),
        "bound": str(plan.bound),
        "gap_pct": plan.gap_pct,
        "seconds": round(plan.seconds, 2),
        "rate_shopping_cost": str(plan.rate_shopping_cost),
    }
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
