"""Export consolidation: packed export parcels into master cartons, one destination
country per carton, within the carton's weight and volume."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import Flow, Move, Parcel
from wms.services import export, orders
from wms.services.errors import IdempotencyKeyReused, InvalidInput, NotFound

AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DAY = "20261121"


@pytest.fixture
def wh(db: Database) -> Database:
    f.build_warehouse(db)
    support.channel(db)
    return db


export_parcel = support.export_parcel


def consolidate(
    db: Database, max_weight_g: int = 10_000, max_volume_mm3: int | None = None, **extra: str
) -> dict[str, object]:
    request = export.ConsolidationRequest(
        warehouse_code=extra.get("warehouse", f.WAREHOUSE),
        limits=export.CartonLimits(max_weight_g, max_volume_mm3),
        idempotency_key=extra.get("key", f.key("consolidate")),
        actor="planner",
    )
    with db.transaction() as s:
        return export.consolidate_export(s, request, at=AT)


def cartons_of(db: Database) -> dict[str, list[str]]:
    with db.transaction() as s:
        rows = s.execute(
            select(Parcel.master_carton, Parcel.number).where(Parcel.master_carton.is_not(None))
        ).all()
    out: dict[str, list[str]] = {}
    for carton, number in rows:
        out.setdefault(carton, []).append(number)
    return {carton: sorted(numbers) for carton, numbers in out.items()}


def in_cartons(db: Database) -> set[str]:
    return {number for numbers in cartons_of(db).values() for number in numbers}


def test_parcels_are_packed_by_destination_and_weight(wh: Database):
    de = [export_parcel(wh, "DE", 4000) for _ in range(3)]
    fr = [export_parcel(wh, "FR", 4000) for _ in range(2)]
    result = consolidate(wh, max_weight_g=10_000)
    cartons = result["cartons"]
    assert [(c["number"], c["country"], c["weight_g"]) for c in cartons] == [  # type: ignore[index,union-attr]
        (f"MC-DE-{DAY}-1", "DE", 8000),
        (f"MC-DE-{DAY}-2", "DE", 4000),
        (f"MC-FR-{DAY}-1", "FR", 8000),
    ]
    stored = cartons_of(wh)
    assert stored[f"MC-FR-{DAY}-1"] == sorted(fr)
    assert sorted(stored[f"MC-DE-{DAY}-1"] + stored[f"MC-DE-{DAY}-2"]) == sorted(de)
    with wh.transaction() as s:
        assert s.scalars(select(Move)).all() == []  # consolidation moves no stock


def test_no_carton_mixes_destination_countries(wh: Database):
    for country in ("DE", "FR", "DE", "US", "FR"):
        export_parcel(wh, country, 500)
    consolidate(wh, max_weight_g=50_000)
    with wh.transaction() as s:
        for carton, numbers in cartons_of(wh).items():
            countries = {
                orders.order_by_number(s, support.CHANNEL, n.removeprefix("P-")).country
                for n in numbers
            }
            assert countries == {carton.split("-")[1]}
    assert len(cartons_of(wh)) == 3


def test_pack_refuses_parcels_of_different_countries():
    items = [
        export.PackItem("P1", "DE", 100, 10, 10, 10),
        export.PackItem("P2", "FR", 100, 1, 1, 1),
    ]
    with pytest.raises(InvalidInput) as err:
        export.pack(items, export.CartonLimits(10_000))
    assert err.value.field == "country"


def test_the_planner_fills_cartons_tightly():
    # 20 units into cartons of 10: only {6, 4} and {5, 3, 2} make two cartons.
    items = [export.PackItem(f"P{w}", "DE", w, 1, 1, 1) for w in (2, 6, 3, 5, 4)]
    groups = export.pack(items, export.CartonLimits(10))
    assert sorted(sorted(i.weight_g for i in g) for g in groups) == [[2, 3, 5], [4, 6]]


def test_the_volume_limit_counts_as_well(wh: Database):
    for _ in range(3):
        export_parcel(wh, "JP", 100, (300, 200, 100))  # 6 000 000 mm3 each
    result = consolidate(wh, max_weight_g=30_000, max_volume_mm3=13_000_000)
    assert [len(c["parcels"]) for c in result["cartons"]] == [2, 1]  # type: ignore[union-attr,index]


def test_a_parcel_too_big_for_any_carton_is_left_out(wh: Database):
    heavy = export_parcel(wh, "DE", 12_000)
    light = export_parcel(wh, "DE", 1000)
    result = consolidate(wh, max_weight_g=10_000)
    assert [c["parcels"] for c in result["cartons"]] == [[light]]  # type: ignore[union-attr,index]
    [left] = result["left_out"]  # type: ignore[misc]
    assert left["parcel"] == heavy and "12000 g" in left["reason"]
    assert heavy not in in_cartons(wh)


def test_only_waiting_export_parcels_are_consolidated_and_numbers_go_on(wh: Database):
    first = export_parcel(wh, "DE", 1000)
    consolidate(wh)
    export_parcel(wh, "DE", 1000, flow=Flow.DOMESTIC)
    export_parcel(wh, "DE", 1000, status="loaded")
    export_parcel(wh, "DE", 1000, status="void")
    export_parcel(wh, "DE", 1000, carton="MC-DE-OLD-1")
    labelled = export_parcel(wh, "DE", 1000, status="labelled")
    result = consolidate(wh)
    assert result["cartons"] == [
        {
            "number": f"MC-DE-{DAY}-2",
            "country": "DE",
            "parcels": [labelled],
            "weight_g": 1000,
            "volume_mm3": 3_000_000,
        }
    ]
    assert cartons_of(wh)[f"MC-DE-{DAY}-1"] == [first]
    assert consolidate(wh)["cartons"] == []


def test_a_retried_consolidation_answers_the_same(wh: Database):
    export_parcel(wh, "DE", 1000)
    first = consolidate(wh, key="mc-1")
    export_parcel(wh, "DE", 1000)
    again = consolidate(wh, key="mc-1")
    assert again == {**first, "replayed": True}
    assert len(in_cartons(wh)) == 1
    with pytest.raises(IdempotencyKeyReused):
        consolidate(wh, max_weight_g=5000, key="mc-1")


@pytest.mark.parametrize(
    ("limits", "field"),
    [((0, None), "max_weight_g"), ((10_000, 0), "max_volume_mm3")],
)
def test_bad_limits_are_refused(wh: Database, limits: tuple[int, int | None], field: str):
    with pytest.raises(InvalidInput) as err:
        consolidate(wh, *limits)
    assert err.value.field == field


def test_an_unknown_warehouse_is_not_found(wh: Database):
    with pytest.raises(NotFound) as err:
        consolidate(wh, warehouse="NOPE")
    assert err.value.field == "warehouse"
