"""Exactness: the engine's plan against brute force over every assignment of units.

The brute force shares nothing with the engine but the rules model: it lists every way
to give each unit to an eligible location, prices each with the issue's formula in
``Decimal`` (``helpers.reference_cost``), and keeps the best by (worst priority tier,
cost, packages, transit days, location ids), the documented order.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.geo import Point
from domain.models import DeliveryType, LocationKind, Network, ServiceLevel
from domain.routing import RoutingRequest, Rules, route, safety_stock_for
from domain.routing.network import UNRANKED_TIER
from tests.support.routing import cents, network, reference_cost, request, rules_with

SKU_WEIGHTS = {"A": 0.3, "B": 0.6, "C": 1.4, "D": 4.5, "E": 0.25}
KINDS = list(LocationKind)


def _one_of(draw: st.DrawFn, *choices: Any) -> Any:
    return draw(st.sampled_from(choices))


@st.composite
def scenarios(
    draw: st.DrawFn, max_locations: int = 5, max_quantity: int = 2, sparse: bool = False
) -> dict[str, Any]:
    """A small random network, stock, rules and order around the continental US.

    By default every hard constraint is drawn too (inactive, capacity, pickup, forced,
    excluded, priority, max_packages). ``sparse`` leaves them neutral and stocks few SKUs
    per location, so most orders must be split, into up to three packages.
    """
    n = draw(st.integers(2, max_locations))
    skus = draw(
        st.lists(
            st.sampled_from(sorted(SKU_WEIGHTS)),
            min_size=3 if sparse else 1,
            max_size=3,
            unique=True,
        )
    )
    locations = []
    for i in range(n):
        loc: dict[str, Any] = {
            "id": f"L{i}",
            "kind": draw(st.sampled_from(KINDS)),
            # A coarse grid makes equal distances, so ties get exercised too.
            "lat": _one_of(draw, 30.0, 33.0, 36.0, 39.0, 42.0, 45.0),
            "lon": _one_of(draw, -120.0, -110.0, -100.0, -90.0, -80.0, -75.0),
            "handling_cost": _one_of(draw, None, None, 0.0, 0.5, 2.25),
            "safety_stock": _one_of(draw, None, None, None, 0, 1),
        }
        if sparse:
            held = draw(st.sampled_from(skus))  # at least one SKU, often only one
            loc["stock"] = {s: (_one_of(draw, 1, 2, 3) if s == held else _one_of(draw, 0, 0, 0, 2))
                            for s in skus}  # fmt: skip
        else:
            loc["stock"] = {s: _one_of(draw, 0, 0, 1, 2, 3, 5) for s in skus}
            loc["active"] = _one_of(draw, *[True] * 9, False)
            loc["pickup"] = draw(st.booleans())
            loc["priority"] = _one_of(draw, None, None, 1, 2)
            loc["daily_capacity"] = _one_of(draw, *[None] * 8, 0, 1, 2)
        locations.append(loc)
    lines = {s: draw(st.integers(1, max_quantity)) for s in skus}
    rules = rules_with(
        split_penalty=_one_of(draw, "0", "1.5", "3.00", "7.25"),
        day_cost=_one_of(draw, "0", "0.75", "2.10"),
        max_packages=3 if sparse else _one_of(draw, 1, 2, 3, 3, 3),
        use_priority=draw(st.booleans()),
        safety_stock={"store": 0 if sparse else draw(st.integers(0, 1))},
    )
    ids = [loc["id"] for loc in locations]
    changes: dict[str, Any] = {"service_level": draw(st.sampled_from(list(ServiceLevel)))}
    if not sparse:
        changes["exclude_location_ids"] = _one_of(draw, [], [], [], [ids[-1]])
        changes["delivery"] = _one_of(draw, *[DeliveryType.SHIP] * 7, DeliveryType.PICKUP)
        if changes["delivery"] is DeliveryType.PICKUP:
            changes["pickup_location_id"] = draw(st.sampled_from(ids))
        elif draw(st.integers(0, 7)) == 0:
            changes["force_location_id"] = draw(st.sampled_from(ids))
    return {
        "network": network(locations, {s: SKU_WEIGHTS[s] for s in skus}),
        "rules": rules,
        "request": request(
            point=Point(_one_of(draw, 31.0, 37.0, 41.0), -95.0), lines=lines, **changes
        ),
        "orders_today": {i: draw(st.integers(0, 2)) for i in ids},
    }


def eligible_units(
    net: Network, rules: Rules, req: RoutingRequest, orders_today: dict[str, int]
) -> dict[str, dict[str, int]]:
    """location -> sku -> units it may give, applying every hard constraint by hand."""
    kinds = set(rules.allowed_kinds[req.delivery])
    units: dict[str, dict[str, int]] = {}
    for loc in net.locations:
        if not loc.active or loc.id in req.exclude_location_ids or loc.kind not in kinds:
            continue
        if req.force_location_id is not None and loc.id != req.force_location_id:
            continue
        if req.delivery is DeliveryType.PICKUP and (
            loc.id != req.pickup_location_id or not loc.pickup
        ):
            continue
        if loc.daily_capacity is not None and orders_today[loc.id] >= loc.daily_capacity:
            continue
        keep = safety_stock_for(loc, rules)
        units[loc.id] = {s: max(u - keep, 0) for s, u in loc.stock.items()}
    return units


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
        _snapshot(scenario["network"]),
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


def _snapshot(net: Network) -> dict[str, dict[str, int]]:
    snapshot: dict[str, dict[str, int]] = {}
    for loc in net.locations:
        for sku, units in loc.stock.items():
            snapshot.setdefault(sku, {})[loc.id] = units
    return snapshot


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
        "request": request(point=Point(39.7, -105.0), lines={"A": 1}),
        "orders_today": {"NEAR": 0, "FAR": 0},
    }
    best = brute_force(scenario)
    assert best is not None
    # Zone 1: base 8.10 + handling 1.00 + 0.40 x 1 lb + 1 day x 0.75.
    assert best[1:] == (Decimal("10.25"), 1, 1, ("NEAR",))
    check_against_brute_force(scenario)
