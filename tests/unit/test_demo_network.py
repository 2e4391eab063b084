"""The built-in demo network tells the textbook story."""

from __future__ import annotations

from domain.geo import zip_point
from domain.network_file import demo_network
from domain.routing import RoutingRequest, route

SET = ["SKIN-CLEANSER", "SKIN-SERUM", "SKIN-MOISTURIZER"]


def _route_set_to_denver(short_at_slc: str | None = None) -> list[str]:
    network = demo_network()
    stock = {
        s.sku: {loc.id: loc.stock.get(s.sku, 0) for loc in network.locations} for s in network.skus
    }
    if short_at_slc:
        stock[short_at_slc]["SLC-3PL"] = 0
    denver = zip_point("80202")
    decision = route(
        RoutingRequest(
            order_id="demo",
            dest_lat=denver.lat,
            dest_lon=denver.lon,
            lines=[{"sku": sku, "quantity": 1} for sku in SET],
        ),
        network,
        stock,
    )
    assert decision.plan is not None
    return [package.location_id for package in decision.plan.packages]


def test_demo_network_loads_fourteen_simulated_locations_and_one_worked_by_hand() -> None:
    network = demo_network()
    assert len(network.locations) == 15
    kinds = {loc.id: loc.adapter.type for loc in network.locations}
    assert [id for id, kind in kinds.items() if kind != "simulated"] == ["BKN-STORE"]
    assert kinds["BKN-STORE"] == "manual"
    assert next(loc for loc in network.locations if loc.id == "BKN-STORE").pickup
    assert {"NWK-DC", "SLC-3PL", "CHI-STORE"} <= {loc.id for loc in network.locations}


def test_denver_skincare_set_ships_from_salt_lake_city() -> None:
    assert _route_set_to_denver() == ["SLC-3PL"]


def test_when_salt_lake_city_is_short_one_box_from_chicago_beats_two() -> None:
    for missing in SET:
        assert _route_set_to_denver(short_at_slc=missing) == ["CHI-STORE"]
