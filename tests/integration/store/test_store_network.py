"""Loading the network into the store and rebuilding it from there."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import time

import pytest

from adapters.store import InventoryStore
from domain.errors import UnknownLocation
from domain.models import Location, LocationKind, Sku
from domain.network_file import demo_network
from tests.support.builders import small_network


def test_the_demo_network_survives_the_round_trip(empty_store: InventoryStore) -> None:
    demo = demo_network()
    assert empty_store.load_network(demo, actor="test")

    assert empty_store.network() == demo
    assert empty_store.known_skus() == {s.sku for s in demo.skus}
    assert empty_store.network_version() == 1
    assert empty_store.check_ledger() == []


def test_load_network_only_fills_an_empty_store(empty_store: InventoryStore) -> None:
    assert empty_store.load_network(small_network(widgets=10))
    assert not empty_store.load_network(small_network(widgets=99))

    assert empty_store.balance("EAST", "WIDGET").on_hand == 10
    assert empty_store.network_version() == 1


def test_two_processes_loading_at_once_load_one_network(database_url: str) -> None:
    stores = [InventoryStore(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            loaded = list(pool.map(lambda store: store.load_network(small_network()), stores))
        assert sorted(loaded) == [False, False, False, True]
        assert stores[0].balance("EAST", "WIDGET").on_hand == 10
        assert stores[0].check_ledger() == []
    finally:
        for store in stores:
            store.close()


def test_initial_stock_is_written_as_receipts(store: InventoryStore) -> None:
    [row] = store.ledger("EAST", "WIDGET")
    assert (row.kind.value, row.on_hand_delta, row.reason) == ("receipt", 10, "initial stock")


def test_location_changes_bump_the_network_version(store: InventoryStore) -> None:
    updated = store.update_location("WEST", active=False, daily_capacity=5)

    assert (updated.active, updated.daily_capacity) == (False, 5)
    assert store.network_version() == 2
    west = next(loc for loc in store.network().locations if loc.id == "WEST")
    assert (west.active, west.daily_capacity, west.stock) == (False, 5, {"WIDGET": 10})
    with pytest.raises(UnknownLocation):
        store.update_location("NOWHERE", active=False)
    with pytest.raises(ValueError, match="safety_stock"):
        store.update_location("WEST", safety_stock=-1)
    assert store.network_version() == 2


def test_new_skus_and_locations_join_the_network(store: InventoryStore) -> None:
    assert store.add_sku(Sku(sku="GIZMO", weight_lb=0.5))
    assert not store.add_sku(Sku(sku="GIZMO", weight_lb=0.5))
    north = Location(
        id="NORTH", kind=LocationKind.THREE_PL, postal_code="55401", stock={"GIZMO": 3}
    )
    assert store.add_location(north)
    assert not store.add_location(north)

    network = store.network()
    assert [loc.id for loc in network.locations] == ["EAST", "WEST", "NORTH"]
    assert network.locations[-1].stock == {"GIZMO": 3}
    assert store.network_version() == 3
    assert store.check_ledger() == []


def test_a_locations_cutoff_and_time_zone_survive_the_round_trip(store: InventoryStore) -> None:
    store.update_location("EAST", cutoff="15:30", timezone="America/New_York")

    [east] = [loc for loc in store.network().locations if loc.id == "EAST"]
    assert (east.cutoff, east.timezone) == (time(15, 30), "America/New_York")
    with pytest.raises(ValueError, match="time zone"):
        store.update_location("EAST", timezone="Mars/Olympus_Mons")
    store.update_location("EAST", cutoff=None)
    [east] = [loc for loc in store.network().locations if loc.id == "EAST"]
    assert (east.cutoff, east.timezone) == (None, "America/New_York")


def test_a_location_stored_with_a_number_that_cannot_be_costed_harms_only_itself(
    empty_store: InventoryStore,
) -> None:
    """A handling cost stored as Infinity (before the API refused it) still loads, and
    routing skips that location, naming it, instead of every allocation failing."""
    import sqlalchemy as sa

    from domain.routing import RoutingLine, RoutingRequest, route

    net = demo_network()
    empty_store.load_network(net)
    with empty_store._engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE locations SET handling_cost = :inf WHERE id = 'SLC-3PL'"),
            {"inf": float("inf")},
        )
    empty_store.update_location("CHI-STORE", name="Chicago store")  # bumps the version
    loaded = empty_store.network()
    assert {loc.id for loc in loaded.locations} == {loc.id for loc in net.locations}
    stock = empty_store.stock_snapshot(["SKIN-SERUM"])
    denver = RoutingRequest(
        order_id="INF-1",
        dest_lat=39.75,
        dest_lon=-104.99,
        lines=[RoutingLine(sku="SKIN-SERUM", quantity=1)],
    )
    decision = route(denver, loaded, stock)
    assert decision.status == "routed"
    assert "SLC-3PL" not in [p.location_id for p in decision.plan.packages]
    assert "skipped SLC-3PL" in (decision.explanation or "")
