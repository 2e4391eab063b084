"""route(): arithmetic you can check by hand, each constraint, the textbook case, ties."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import UnknownLocation, UnknownSku
from domain.geo import Point, zip_point
from domain.models import DeliveryType, ServiceLevel
from domain.network_file import demo_network
from domain.routing import closest_first, route, single_location_first
from tests.support.builders import network, routing_request, rules_with, stock_snapshot

SKINCARE = {"SKIN-CLEANSER": 1, "SKIN-SERUM": 1, "SKIN-MOISTURIZER": 1}
DENVER = "80202"


def loc(id: str, kind: str = "warehouse", postal_code: str = "80202", **fields: Any) -> dict:
    return {"id": id, "kind": kind, "postal_code": postal_code, **fields}


# --- arithmetic ---------------------------------------------------------------------------


def test_denver_skincare_set_costs_what_the_rules_say() -> None:
    net = demo_network()
    decision = route(routing_request(DENVER, SKINCARE), net, stock_snapshot(net))
    assert decision.status == "routed" and decision.plan is not None
    [package] = decision.plan.packages
    # Salt Lake City is 372 miles from Denver: zone 4, ground base $9.35, $0.70/lb, 3 days.
    # 1.7 lb: 9.35 + 1.75 (3PL handling) + 0.70 x 1.7 = 12.29; + 3 days x $0.75 = 14.54.
    assert package.location_id == "SLC-3PL"
    assert (package.zone, package.transit_days, package.weight_lb) == (4, 3, 1.7)
    assert (package.shipping, package.handling, package.cost) == (
        Decimal("10.54"),
        Decimal("1.75"),
        Decimal("12.29"),
    )
    breakdown = decision.plan.breakdown
    assert (breakdown.shipping, breakdown.handling, breakdown.split, breakdown.days) == (
        Decimal("10.54"),
        Decimal("1.75"),
        Decimal("0.00"),
        Decimal("2.25"),
    )
    assert decision.plan.cost == breakdown.total == Decimal("14.54")
    assert decision.plan.label == "Salt Lake City 3PL: 3 days, $14.54"
    assert decision.rules_version == 0 and decision.policy == "optimal"


def test_a_split_pays_the_penalty_and_the_slowest_package_sets_the_days() -> None:
    # Denver order; A only at a Denver warehouse (zone 1), B only at a Chicago one (zone 5).
    net = network(
        [loc("DEN", stock={"A": 5}), loc("CHI", postal_code="60601", stock={"B": 5})],
        {"A": 2.0, "B": 1.0},
    )
    decision = route(routing_request(DENVER, {"A": 1, "B": 1}), net, stock_snapshot(net))
    assert decision.plan is not None
    den, chi = decision.plan.packages  # in fill order: cheapest per-lb rate first
    assert (den.location_id, den.cost) == ("DEN", Decimal("9.90"))  # 8.10 + 1.00 + 0.40 x 2
    assert (chi.location_id, chi.cost) == ("CHI", Decimal("11.75"))  # 9.90 + 1.00 + 0.85 x 1
    # 9.90 + 11.75 + 3.00 split + 4 days (zone 5) x 0.75 = 27.65
    assert decision.plan.breakdown.split == Decimal("3.00")
    assert decision.plan.breakdown.days == Decimal("3.00")
    assert decision.plan.cost == Decimal("27.65")
    assert decision.plan.transit_days == 4


def test_sub_cent_amounts_are_summed_exactly_and_rounded_once() -> None:
    # 3 x 0.35 lb at $0.45/lb (zone 2) = $0.4725: not a whole number of cents.
    net = network([loc("W", postal_code="80401", stock={"A": 9})], {"A": 0.35})
    dest = zip_point("80202")
    decision = route(routing_request(point=Point(dest.lat + 1.0, dest.lon), lines={"A": 3}), net,
                     stock_snapshot(net))  # fmt: skip
    assert decision.plan is not None
    [package] = decision.plan.packages
    assert package.zone == 2
    # 8.40 + 1.00 + 0.4725 = 9.8725 -> 9.87; + 1 day x 0.75 = 10.6225 -> 10.62
    assert package.cost == Decimal("9.87")
    assert decision.plan.cost == Decimal("10.62")
    b = decision.plan.breakdown
    assert b.shipping + b.handling + b.split + b.days == b.total


def test_express_uses_the_express_table() -> None:
    net = demo_network()
    decision = route(
        routing_request(DENVER, SKINCARE, service_level=ServiceLevel.EXPRESS),
        net,
        stock_snapshot(net),
    )
    assert decision.plan is not None
    [package] = decision.plan.packages
    # Zone 4 express: 23.75 + 1.75 + 2.05 x 1.7 = 28.985 -> 28.99; + 2 days x 0.75
    assert (package.location_id, package.transit_days) == ("SLC-3PL", 2)
    assert package.cost == Decimal("28.99")
    assert decision.plan.cost == Decimal("30.49")


# --- the textbook case ----------------------------------------------------------------------


def textbook_network():
    """The demo network cut to the textbook's three locations."""
    demo = demo_network()
    keep = {"NWK-DC", "SLC-3PL", "CHI-STORE"}
    return demo.model_copy(update={"locations": [x for x in demo.locations if x.id in keep]})


def test_textbook_denver_order_ships_whole_from_salt_lake_city() -> None:
    for net in (textbook_network(), demo_network()):
        decision = route(routing_request(DENVER, SKINCARE), net, stock_snapshot(net))
        assert decision.plan is not None
        assert [p.location_id for p in decision.plan.packages] == ["SLC-3PL"]


@pytest.mark.parametrize("missing", sorted(SKINCARE))
def test_textbook_if_salt_lake_lacks_one_item_chicago_ships_everything(missing: str) -> None:
    net = textbook_network()
    stock = stock_snapshot(net)
    del stock[missing]["SLC-3PL"]
    decision = route(routing_request(DENVER, SKINCARE), net, stock)
    assert decision.plan is not None
    # Chicago store (zone 5): 9.90 + 3.50 + 0.85 x 1.7 + 4 x 0.75 = 17.845 -> 17.85, while
    # Newark (zone 7) is 11.55 + 1.00 + 1.20 x 1.7 + 5 x 0.75 = 18.34, and any split with
    # Salt Lake City pays a second base, handling and the $3 penalty (about $31).
    assert [p.location_id for p in decision.plan.packages] == ["CHI-STORE"]
    assert decision.plan.cost == Decimal("17.85")
    labels = [a.label for a in decision.alternatives]
    assert "Newark main warehouse: 5 days, $18.34" in labels
    assert any(" + " in label for label in labels)  # the best split is shown
    assert "Chicago Michigan Ave store holds the whole order and is cheapest" in (
        decision.explanation or ""
    )


def test_textbook_store_safety_stock_applies() -> None:
    net = textbook_network()
    stock = stock_snapshot(net)
    del stock["SKIN-SERUM"]["SLC-3PL"]
    stock["SKIN-SERUM"]["CHI-STORE"] = 1  # the last unit is held back at a store
    decision = route(routing_request(DENVER, SKINCARE), net, stock)
    assert decision.plan is not None
    assert [p.location_id for p in decision.plan.packages] == ["NWK-DC"]


def test_on_the_full_demo_network_a_short_salt_lake_still_means_one_package() -> None:
    net = demo_network()
    stock = stock_snapshot(net)
    del stock["SKIN-SERUM"]["SLC-3PL"]
    decision = route(routing_request(DENVER, SKINCARE), net, stock)
    assert decision.plan is not None
    # The demo stocks the whole set only at Newark, Salt Lake City and four stores, so
    # Chicago's one box ($17.85) beats Newark ($18.34) and any split (the textbook case).
    assert [p.location_id for p in decision.plan.packages] == ["CHI-STORE"]


# --- constraints ---------------------------------------------------------------------------


def two_warehouses(**near: Any) -> Any:
    return network(
        [
            loc("NEAR", stock={"A": 5}, **near),
            loc("FAR", postal_code="10001", stock={"A": 5}),
        ],
        {"A": 1.0},
    )


def only_location(decision) -> str:
    assert decision.status == "routed", decision.reason
    [package] = decision.plan.packages
    return package.location_id


def test_inactive_excluded_and_full_locations_are_skipped() -> None:
    net = two_warehouses()
    assert (
        only_location(route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net))) == "NEAR"
    )
    net = two_warehouses(active=False)
    assert (
        only_location(route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net))) == "FAR"
    )
    net = two_warehouses()
    excluded = routing_request(DENVER, {"A": 1}, exclude_location_ids=["NEAR"])
    assert only_location(route(excluded, net, stock_snapshot(net))) == "FAR"
    net = two_warehouses(daily_capacity=2)
    busy = route(
        routing_request(DENVER, {"A": 1}), net, stock_snapshot(net), orders_today={"NEAR": 2}
    )
    assert only_location(busy) == "FAR"
    quiet = route(
        routing_request(DENVER, {"A": 1}), net, stock_snapshot(net), orders_today={"NEAR": 1}
    )
    assert only_location(quiet) == "NEAR"


def test_force_location_wins_over_cost() -> None:
    net = two_warehouses()
    forced = route(
        routing_request(DENVER, {"A": 1}, force_location_id="FAR"), net, stock_snapshot(net)
    )
    assert only_location(forced) == "FAR"
    assert "required by the request" in (forced.explanation or "")
    with pytest.raises(UnknownLocation):
        route(
            routing_request(DENVER, {"A": 1}, force_location_id="NOWHERE"), net, stock_snapshot(net)
        )


def test_pickup_uses_only_the_pickup_store_and_costs_handling_only() -> None:
    net = network(
        [
            loc("WH", stock={"A": 9}),
            loc("STORE", kind="store", postal_code="10001", pickup=True, stock={"A": 3}),
            loc("NO-PICKUP", kind="store", stock={"A": 3}),
        ],
        {"A": 1.0},
    )
    pickup = routing_request(
        DENVER, {"A": 2}, delivery=DeliveryType.PICKUP, pickup_location_id="STORE"
    )
    decision = route(pickup, net, stock_snapshot(net))
    assert only_location(decision) == "STORE"
    assert decision.plan is not None
    assert (decision.plan.cost, decision.plan.transit_days) == (Decimal("3.50"), 0)
    assert decision.plan.packages[0].zone is None
    too_many = routing_request(
        DENVER, {"A": 3}, delivery=DeliveryType.PICKUP, pickup_location_id="STORE"
    )
    short = route(too_many, net, stock_snapshot(net))  # 3 on hand, 1 held back as safety stock
    assert short.status == "unfulfillable"
    assert short.reason == (
        "short of stock: A: need 3, 2 available at STORE (1 held back as safety stock; "
        "12 at locations ruled out)"
    )
    elsewhere = routing_request(
        DENVER,
        {"A": 1},
        delivery=DeliveryType.PICKUP,
        pickup_location_id="STORE",
        force_location_id="WH",
    )
    assert route(elsewhere, net, stock_snapshot(net)).status == "unfulfillable"
    not_offered = pickup.model_copy(update={"pickup_location_id": "NO-PICKUP"})
    refused = route(not_offered, net, stock_snapshot(net))
    assert refused.reason == "NO-PICKUP cannot fill it: does not offer pickup"


def test_kinds_are_limited_per_delivery_type_and_channel() -> None:
    net = network(
        [
            loc("STORE", kind="store", stock={"A": 5}),
            loc("WH", postal_code="10001", stock={"A": 5}),
        ],
        {"A": 1.0},
    )
    rules = rules_with(channels={"marketplace": {"allowed_kinds": ["warehouse"]}})
    web = route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net), rules)
    assert only_location(web) == "STORE"
    market = route(
        routing_request(DENVER, {"A": 1}, channel="marketplace"), net, stock_snapshot(net), rules
    )
    assert only_location(market) == "WH"
    no_stores = rules_with(allowed_kinds={"ship": ["supplier"]})
    refused = route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net), no_stores)
    assert refused.status == "unfulfillable"
    assert refused.reason == (
        "no location may fill this order (1 kind 'store' not allowed for ship, "
        "1 kind 'warehouse' not allowed for ship)"
    )


def test_lines_split_down_to_units_and_max_packages_holds() -> None:
    net = network(
        [
            loc("A1", stock={"A": 2}),
            loc("A2", postal_code="80401", stock={"A": 2}),
            loc("A3", postal_code="80501", stock={"A": 2}),
        ],
        {"A": 1.0},
    )
    decision = route(routing_request(DENVER, {"A": 5}), net, stock_snapshot(net))
    assert decision.plan is not None
    assert sorted(
        (p.location_id, line.quantity) for p in decision.plan.packages for line in p.lines
    ) == [("A1", 2), ("A2", 2), ("A3", 1)]
    capped = route(
        routing_request(DENVER, {"A": 5}), net, stock_snapshot(net), rules_with(max_packages=2)
    )
    assert capped.status == "unfulfillable"
    assert "max_packages" in (capped.reason or "")


def test_a_short_sku_is_named_with_what_is_held_back() -> None:
    net = network([loc("S", kind="store", stock={"A": 2, "B": 9})], {"A": 1.0, "B": 1.0})
    decision = route(routing_request(DENVER, {"A": 2, "B": 1}), net, stock_snapshot(net))
    assert decision.status == "unfulfillable"
    assert decision.reason == (
        "short of stock: A: need 2, 1 available at eligible locations (1 held back as safety stock)"
    )


def test_an_unknown_sku_is_an_error() -> None:
    net = two_warehouses()
    with pytest.raises(UnknownSku):
        route(routing_request(DENVER, {"NOPE": 1}), net, stock_snapshot(net))


# --- priority -------------------------------------------------------------------------------


def test_the_lowest_priority_tier_that_can_fill_wins_over_cost() -> None:
    net = network(
        [
            loc("CHEAP", stock={"A": 5}),  # unranked: after every numbered tier
            loc("TIER2", postal_code="60601", priority=2, stock={"A": 5}),
            loc("TIER1", postal_code="10001", priority=1, stock={"A": 1}),
        ],
        {"A": 1.0},
    )
    one = route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net))
    assert only_location(one) == "TIER1"
    assert "priority 1 or better" in (one.explanation or "")
    assert {p.packages[0].location_id for p in one.alternatives} == {"CHEAP", "TIER2"}
    two = route(
        routing_request(DENVER, {"A": 2}), net, stock_snapshot(net)
    )  # tier 1 holds only one
    assert only_location(two) == "TIER2"
    ignored = route(
        routing_request(DENVER, {"A": 1}), net, stock_snapshot(net), rules_with(use_priority=False)
    )
    assert only_location(ignored) == "CHEAP"


# --- ties, alternatives, baselines ---------------------------------------------------------------


def test_equal_plans_go_to_the_first_location_id_whatever_the_file_order() -> None:
    locations = [loc(name, stock={"A": 5}) for name in ("DEN-C", "DEN-A", "DEN-B")]
    for seed in range(5):
        random.Random(seed).shuffle(locations)
        net = network(locations, {"A": 1.0})
        decision = route(routing_request(DENVER, {"A": 1}), net, stock_snapshot(net))
        assert only_location(decision) == "DEN-A"
        assert [a.packages[0].location_id for a in decision.alternatives] == ["DEN-B", "DEN-C"]
        assert "costs the same" in (decision.explanation or "")


def test_alternatives_list_every_single_location_and_the_best_split() -> None:
    net = demo_network()
    decision = route(routing_request(DENVER, SKINCARE), net, stock_snapshot(net))
    singles = [a for a in decision.alternatives if len(a.packages) == 1]
    splits = [a for a in decision.alternatives if len(a.packages) > 1]
    holders = {
        x.id
        for x in net.locations
        if all(x.stock.get(s, 0) > (x.kind == "store") for s in SKINCARE)
    }
    assert {a.packages[0].location_id for a in singles} == holders - {"SLC-3PL"}
    assert len(splits) == 1
    assert [a.cost for a in singles] == sorted(a.cost for a in singles)
    assert singles[0].label == "Chicago Michigan Ave store: 4 days, $17.85"
    assert "Next best single location: Chicago Michigan Ave store at $17.85" in decision.explanation


def test_a_split_winner_is_explained() -> None:
    net = network(
        [loc("DEN", stock={"A": 5}), loc("CHI", postal_code="60601", stock={"B": 5})],
        {"A": 2.0, "B": 1.0},
    )
    decision = route(routing_request(DENVER, {"A": 1, "B": 1}), net, stock_snapshot(net))
    assert decision.explanation == (
        "No eligible location holds the whole order, so it ships in 2 packages: "
        "DEN + CHI, $27.65, 4 days."
    )


def test_baselines_take_the_nearest_stock() -> None:
    net = network(
        [
            loc("DEN", kind="store", stock={"A": 5}),  # nearest, but only A
            loc("SLC", postal_code="84104", stock={"A": 5, "B": 5}),
        ],
        {"A": 1.0, "B": 1.0},
    )
    order = routing_request(DENVER, {"A": 1, "B": 1})
    greedy = closest_first(order, net, stock_snapshot(net))
    assert greedy.policy == "closest_first" and greedy.plan is not None
    assert [p.location_id for p in greedy.plan.packages] == ["DEN", "SLC"]
    whole = single_location_first(order, net, stock_snapshot(net))
    assert whole.plan is not None
    assert [p.location_id for p in whole.plan.packages] == ["SLC"]
    best = route(order, net, stock_snapshot(net))
    assert best.plan is not None
    assert best.plan.cost <= whole.plan.cost <= greedy.plan.cost


def test_routing_is_repeatable() -> None:
    net = demo_network()
    order = routing_request(DENVER, {"SKIN-SERUM": 3, "BLANKET-WOOL": 1, "TOTE-CANVAS": 2})
    first = route(order, net, stock_snapshot(net))
    for _ in range(3):
        assert route(order, net, stock_snapshot(net)) == first


def test_max_alternatives_keeps_the_cheapest_singles_and_the_best_split() -> None:
    net = demo_network()
    decision = route(
        routing_request(DENVER, SKINCARE), net, stock_snapshot(net), rules_with(max_alternatives=2)
    )
    assert [a.label for a in decision.alternatives] == [
        "Chicago Michigan Ave store: 4 days, $17.85",
        "Newark main warehouse: 5 days, $18.34",
        "Phoenix Roosevelt Row store + Salt Lake City 3PL: 3 days, $30.39",
    ]


def test_network_distances_match_domain_geo_to_the_last_bit() -> None:
    """Zones come from miles; the cached haversine must agree with domain.geo exactly."""
    from domain.geo import miles_between
    from domain.routing.network import RoutingNetwork

    net = demo_network()
    built = RoutingNetwork.build(net)
    assert RoutingNetwork.build(net) is built  # cached per network object
    rng = random.Random(3)
    for _ in range(200):
        dest = Point(rng.uniform(25, 49), rng.uniform(-124, -67))
        miles = built.miles_to(dest.lat, dest.lon)
        assert miles == tuple(miles_between(x.point, dest) for x in built.locations)


def test_a_location_that_cannot_be_costed_is_skipped_and_named_not_every_order_failed() -> None:
    """The edge refuses non-finite settings (422); data stored before that rule still
    loads, and must harm one location, not stop every allocation with an OverflowError."""
    net = network(
        [
            loc("NEAR", postal_code="80202", stock={"A": 5}),
            loc("FAR", postal_code="10001", stock={"A": 5}),
        ],
        {"A": 1.0},
    )
    net.locations[0].handling_cost = float("inf")  # as if read from an old row
    decision = route(routing_request("80202", {"A": 1}), net, stock_snapshot(net))
    assert decision.status == "routed"
    assert [p.location_id for p in decision.plan.packages] == ["FAR"]
    assert "skipped NEAR: its handling_cost inf cannot be costed" in decision.explanation
    forced = route(
        routing_request("80202", {"A": 1}, force_location_id="NEAR"), net, stock_snapshot(net)
    )
    assert forced.status == "unfulfillable" and "skipped NEAR" in (forced.reason or "")
