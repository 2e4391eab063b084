"""The routing engine's oracles: a reference cost written straight from the issue, the
units each location may give worked out by hand, and random scenarios to check the
engine against them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

from domain.geo import Point, miles_between
from domain.models import DeliveryType, LocationKind, Network, ServiceLevel
from domain.routing import RoutingRequest, Rules, handling_for, safety_stock_for
from tests.support.builders import network, routing_request, rules_with

CENT = Decimal("0.01")


def reference_cost(
    packages: Mapping[str, Mapping[str, int]],
    net: Network,
    dest: Point,
    rules: Rules,
    service: ServiceLevel = ServiceLevel.GROUND,
    pickup: bool = False,
) -> tuple[Decimal, int]:
    """Exact plan cost (Decimal) and slowest transit, computed the way the issue states it."""
    by_id = {loc.id: loc for loc in net.locations}
    weight = {s.sku: Decimal(repr(s.weight_lb)) for s in net.skus}
    rates = rules.service_levels[service]
    total = Decimal(0)
    slowest = 0
    for loc_id, lines in packages.items():
        loc = by_id[loc_id]
        lb = sum((weight[sku] * units for sku, units in lines.items()), Decimal(0))
        total += handling_for(loc, rules)
        if not pickup:
            zone = rules.zone_for(miles_between(loc.point, dest)).zone
            total += rates.base[zone] + rates.per_lb[zone] * lb
            slowest = max(slowest, rates.transit_days[zone])
    total += rules.split_penalty * max(len(packages) - 1, 0) + rules.day_cost * slowest
    return total, slowest


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


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
        "request": routing_request(
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
