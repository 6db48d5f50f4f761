from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import (
    Container,
    Destination,
    ExportOrder,
    Item,
    ValueLimit,
    load_vehicles,
    merge_export_orders,
    pack_master_cartons,
    split_order,
)

from .builders import parcel

BOX = Container(max_weight_g=2000, max_volume_mm3=8_000_000)
EU = {country: ValueLimit(Decimal("150"), "EUR") for country in ("DE", "FR")}

items = st.lists(
    st.builds(
        Item,
        sku=st.sampled_from(["A", "B", "C"]),
        weight_g=st.integers(50, 2500),
        volume_mm3=st.integers(10_000, 9_000_000),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None)
@given(items)
def test_split_order_puts_every_item_in_one_parcel_within_the_limits(order):
    split = split_order(order, BOX, time_limit_s=1)
    placed = [item for group in split.groups for item in group] + list(split.oversize)
    assert Counter(map(id, placed)) == Counter(map(id, order))
    for group in split.groups:
        assert sum(i.weight_g for i in group) <= BOX.max_weight_g
        assert sum(i.volume_mm3 for i in group) <= BOX.max_volume_mm3
    for item in split.oversize:
        assert item.weight_g > BOX.max_weight_g or item.volume_mm3 > BOX.max_volume_mm3
    assert split.bound <= len(split.groups)
    if split.status == "optimal":
        assert len(split.groups) == split.bound


def test_split_order_uses_the_fewest_parcels():
    # 6 x 700 g: weight alone needs 3 parcels of 2 kg (2 items each) - first fit finds it,
    # but 4 x 1100 g + 4 x 900 g needs pairing 1100 + 900 to reach 4 parcels.
    order = [Item("A", 1100, 1000)] * 4 + [Item("B", 900, 1000)] * 4
    split = split_order(order, BOX, time_limit_s=2)
    assert len(split.groups) == 4
    assert split.status == "optimal"


def test_split_order_respects_the_parcel_count_per_box():
    order = [Item("A", 10, 10)] * 7
    split = split_order(order, Container(max_weight_g=1000, max_parcels=3), time_limit_s=1)
    assert sorted(len(g) for g in split.groups) == [1, 3, 3]


def order(
    id,
    consignee="Anna Schmidt",
    address="Hauptstr. 1, 10115 Berlin",
    country="DE",
    weight=300,
    value="40",
    volume=1_000_000,
):
    return ExportOrder(
        id=id,
        consignee=consignee,
        address=address,
        destination=Destination(country),
        weight_g=weight,
        volume_mm3=volume,
        declared_value=Decimal(value),
        currency="EUR",
    )


def test_one_consumers_orders_are_merged_below_the_eu_low_value_limit():
    orders = [order("O1", value="60"), order("O2", value="70"), order("O3", value="50")]
    merged = merge_export_orders(orders, BOX, value_limits=EU, time_limit_s=2)
    assert len(merged.groups) == 2  # 180 EUR together would cross the 150 EUR limit
    assert all(m.declared_value <= Decimal("150") for m in merged.groups)
    assert merged.status == "optimal"


def test_orders_of_different_consignees_or_addresses_are_never_merged():
    orders = [
        order("O1"),
        order("O2", consignee="  anna   SCHMIDT "),  # the same person, written differently
        order("O3", consignee="Ben Meyer"),
        order("O4", address="Ringstr. 9, 80331 Munich"),
        order("O5", country="FR"),
    ]
    merged = merge_export_orders(orders, BOX, value_limits=EU, time_limit_s=2)
    groups = sorted(sorted(o.id for o in m.orders) for m in merged.groups)
    assert groups == [["O1", "O2"], ["O3"], ["O4"], ["O5"]]


def test_an_order_over_the_value_limit_alone_ships_alone():
    orders = [order("O1", value="400"), order("O2", value="20"), order("O3", value="20")]
    merged = merge_export_orders(orders, BOX, value_limits=EU, time_limit_s=2)
    groups = sorted(sorted(o.id for o in m.orders) for m in merged.groups)
    assert groups == [["O1"], ["O2", "O3"]]


def test_a_value_limit_in_another_currency_is_refused():
    with pytest.raises(ValueError, match="EUR"):
        merge_export_orders(
            [order("O1")], BOX, value_limits={"DE": ValueLimit(Decimal(1000), "CNY")}
        )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Anna", "Ben"]),
            st.integers(100, 2500),
            st.integers(5, 200),
            st.sampled_from(["DE", "FR", "US"]),
        ),
        max_size=12,
    )
)
def test_merged_parcels_keep_every_rule(specs):
    orders = [
        order(f"O{n}", consignee=name, weight=weight, value=str(value), country=country)
        for n, (name, weight, value, country) in enumerate(specs)
    ]
    merged = merge_export_orders(orders, BOX, value_limits=EU, time_limit_s=1)
    placed = [o.id for m in (*merged.groups, *merged.oversize) for o in m.orders]
    assert sorted(placed) == sorted(o.id for o in orders)
    for m in merged.groups:
        assert len({(o.consignee, o.address, o.destination) for o in m.orders}) == 1
        if len(m.orders) > 1:
            assert m.weight_g <= BOX.max_weight_g
            limit = EU.get(m.orders[0].destination.country)
            if limit is not None:
                assert m.declared_value <= limit.amount


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(100, 9000), st.sampled_from(["DE", "FR", "US", "JP"])),
        max_size=30,
    )
)
def test_master_cartons_hold_one_destination_within_weight_and_volume(specs):
    parcels = [
        parcel(f"P{n}", weight, (300, 200, 100), country=country, region="")
        for n, (weight, country) in enumerate(specs)
    ]
    carton = Container(max_weight_g=20_000, max_volume_mm3=60_000_000)
    cartons = pack_master_cartons(parcels, carton, time_limit_s=2)
    placed = sorted(p.id for group in cartons.groups for p in group)
    assert placed == sorted(p.id for p in parcels)
    for group in cartons.groups:
        assert len({p.destination.country for p in group}) == 1
        assert sum(p.weight_g for p in group) <= carton.max_weight_g
        assert sum(p.volume_mm3 for p in group) <= carton.max_volume_mm3
    assert cartons.bound <= len(cartons.groups)


def test_master_cartons_reach_the_fewest_cartons():
    parcels = [
        parcel(f"P{n}", w, (100, 100, 100), country="DE", region="")
        for n, w in enumerate([7000, 6000, 5000, 4000, 3000, 2000, 2000, 1000])
    ]
    cartons = pack_master_cartons(parcels, Container(max_weight_g=10_000), time_limit_s=2)
    assert len(cartons.groups) == 3  # 30 kg in 10 kg cartons, packed full
    assert cartons.status == "optimal"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(100, 30_000), max_size=40))
def test_vehicles_are_loaded_within_their_weight(weights):
    parcels = [parcel(f"P{n}", w) for n, w in enumerate(weights)]
    truck = Container(max_weight_g=60_000, max_parcels=10)
    loads = load_vehicles(parcels, truck, time_limit_s=2)
    assert sorted(p.id for g in loads.groups for p in g) == sorted(p.id for p in parcels)
    for group in loads.groups:
        assert sum(p.weight_g for p in group) <= truck.max_weight_g
        assert len(group) <= 10
    assert loads.bound >= -(-sum(weights) // 60_000)


def test_a_parcel_heavier_than_any_vehicle_is_reported_not_dropped():
    loads = load_vehicles([parcel("BIG", 90_000), parcel("OK", 1000)], Container(50_000))
    assert [p.id for p in loads.oversize] == ["BIG"]
    assert [[p.id for p in g] for g in loads.groups] == [["OK"]]
