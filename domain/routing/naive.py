"""A stand-in router: cheapest single location that holds everything, else fewest locations.

Kept as the ``single_location_first``-style fallback until the exact engine lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from domain.geo import Point, miles_between
from domain.models import Location, Network
from domain.routing.types import (
    CostBreakdown,
    Plan,
    PlannedPackage,
    RoutingDecision,
    RoutingLine,
    RoutingRequest,
    StockSnapshot,
)


def _eligible(network: Network, request: RoutingRequest) -> list[Location]:
    excluded = set(request.exclude_location_ids)
    return [
        loc
        for loc in network.locations
        if loc.active
        and loc.id not in excluded
        and (request.force_location_id in (None, loc.id))
        and (request.pickup_location_id in (None, loc.id))
    ]


def route_naive(
    request: RoutingRequest,
    network: Network,
    stock: StockSnapshot,
    rules: object | None = None,
    *,
    orders_today: Mapping[str, int] | None = None,
) -> RoutingDecision:
    """Route to the nearest location holding every line, else greedily by distance."""
    dest = Point(request.dest_lat, request.dest_lon)
    candidates = sorted(_eligible(network, request), key=lambda loc: miles_between(loc.point, dest))
    need = {}
    for line in request.lines:
        need[line.sku] = need.get(line.sku, 0) + line.quantity

    def has(loc: Location, sku: str) -> int:
        return stock.get(sku, {}).get(loc.id, 0)

    for loc in candidates:
        if all(has(loc, sku) >= qty for sku, qty in need.items()):
            pkg = PlannedPackage(
                location_id=loc.id,
                lines=[RoutingLine(sku=s, quantity=q) for s, q in need.items()],
                miles=round(miles_between(loc.point, dest), 1),
            )
            return _decision(request, [pkg])
    packages: dict[str, dict[str, int]] = {}
    for sku, qty in need.items():
        for loc in candidates:
            take = min(qty, has(loc, sku))
            if take > 0:
                packages.setdefault(loc.id, {})[sku] = take
                qty -= take
            if qty == 0:
                break
        if qty:
            return RoutingDecision(
                order_id=request.order_id,
                status="unfulfillable",
                reason=f"not enough {sku} in the network",
                policy="naive",
            )
    return _decision(
        request,
        [
            PlannedPackage(
                location_id=lid, lines=[RoutingLine(sku=s, quantity=q) for s, q in lines.items()]
            )
            for lid, lines in packages.items()
        ],
    )


def _decision(request: RoutingRequest, packages: list[PlannedPackage]) -> RoutingDecision:
    plan = Plan(
        label="naive",
        packages=packages,
        breakdown=CostBreakdown(),
        cost=Decimal("0.00"),
        transit_days=0,
    )
    return RoutingDecision(order_id=request.order_id, status="routed", plan=plan, policy="naive")
