"""Exactness: the engine's plan against brute force over every assignment of units.

The brute force shares nothing with the engine but the rules model: it lists every way
to give each unit to an eligible location, prices each with the issue's formula in
``Decimal`` (``tests.support.routing.reference_cost``), and keeps the best by (worst priority tier,
cost, packages, transit days, location ids), the documented order.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings

from domain.geo import Point
from domain.models import DeliveryType
from domain.routing import route
from domain.routing.network import UNRANKED_TIER
from tests.support.builders import network, routing_request, rules_with, stock_snapshot
from tests.support.routing import cents, eligible_units, reference_cost, scenarios


def brute_force(scenario: dict[str, Any]) -> tuple[Any, ...] | None:
    """The best plan's key over every assignment of units to eligible locations."""
    net, rules, req = scenario["network"], scenario["rules"], scenario["request"]
    units = eligible_units(net, rules, req, scenario["orders_today"])
    ids = sorted(units)
    tier = {
        loc.id: (loc.priority if loc.priority is not None else UNRANKED_TIER)
        for loc in net.locations
    }
    dest = Point(req.dest_lat, req.dest_lon)
    pickup = req.delivery is DeliveryType.PICKUP

    def splits(sku: str, quantity: int) -> list[tuple[int, ...]]:
        ranges = [range(min(units[i].get(sku, 0), quantity) + 1) for i in ids]
        return [c for c in itertools.product(*ranges) if sum(c) == quantity]

    per_sku = [(line.sku, splits(line.sku, line.quantity)) for line in req.lines]
    best = None
    for combo in itertools.product(*(options for _, options in per_sku)):
        packages: dict[str, dict[str, int]] = {}
        for (sku, _), shares in zip(per_sku, combo, strict=True):
            for loc_id, share in zip(ids, shares, strict=True):
                if share:
                    packages.setdefault(loc_id, {})[sku] = share
        if len(packages) > rules.max_packages:
            continue
        cost, days = reference_cost(packages, net, dest, rules, req.service_level, pickup)
        worst = max(tier[i] for i in packages) if rules.use_priority else 0
        key = (worst, cost, len(packages), days, tuple(sorted(packages)))
        if best is None or key < best:
            best = key
    return best


def check_against_brute_force(scenario: dict[str, Any]) -> None:
    decision = route(
        scenario["request"],
        scenario["network"],
        stock_snapshot(scenario["network"]),
        scenario["rules"],
        orders_today=scenario["orders_today"],
    )
    expected = brute_force(scenario)
    if expected is None:
        assert decision.status == "unfulfillable", decision
        assert decision.reason
        return
    assert decision.status == "routed", (decision.reason, expected)
    assert decision.plan is not None
    _, cost, packages, days, ids = expected
    got = tuple(sorted(p.location_id for p in decision.plan.packages))
    assert (got, decision.plan.cost, decision.plan.transit_days) == (ids, cents(cost), days)
    assert len(decision.plan.packages) == packages
    # The plan itself is what the brute force priced: every unit, within stock.
    shipped: dict[str, int] = {}
    for package in decision.plan.packages:
        for line in package.lines:
            shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity
    assert shipped == {line.sku: line.quantity for line in scenario["request"].lines}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_route_matches_brute_force(scenario: dict[str, Any]) -> None:
    check_against_brute_force(scenario)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_locations=5, sparse=True))
def test_route_matches_brute_force_when_orders_must_split(scenario: dict[str, Any]) -> None:
    check_against_brute_force(scenario)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_locations=3, max_quantity=4))
def test_route_matches_brute_force_with_larger_quantities(scenario: dict[str, Any]) -> None:
    check_against_brute_force(scenario)


def test_brute_force_agrees_on_a_hand_checked_case() -> None:
    """Guard the guard: the brute force itself finds the obvious answer."""
    net = network(
        [
            {"id": "NEAR", "kind": "warehouse", "lat": 39.7, "lon": -105.0, "stock": {"A": 1}},
            {"id": "FAR", "kind": "warehouse", "lat": 40.7, "lon": -74.0, "stock": {"A": 1}},
        ],
        {"A": 1.0},
    )
    scenario = {
        "network": net,
        "rules": rules_with(),
        "request": routing_request(point=Point(39.7, -105.0), lines={"A": 1}),
        "orders_today": {"NEAR": 0, "FAR": 0},
    }
    best = brute_force(scenario)
    assert best is not None
    # Zone 1: base 8.10 + handling 1.00 + 0.40 x 1 lb + 1 day x 0.75.
    assert best[1:] == (Decimal("10.25"), 1, 1, ("NEAR",))
    check_against_brute_force(scenario)
