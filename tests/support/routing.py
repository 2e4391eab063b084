"""Small builders for routing tests, and a reference cost written straight from the issue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.geo import Point, miles_between, zip_point
from domain.models import Location, Network, ServiceLevel, Sku
from domain.routing import RoutingLine, RoutingRequest, Rules, default_rules, handling_for

CENT = Decimal("0.01")


def network(locations: Iterable[dict[str, Any]], skus: Mapping[str, float]) -> Network:
    """A network from location dicts (``stock`` included) and ``{sku: weight_lb}``."""
    return Network(
        skus=[Sku(sku=s, weight_lb=w) for s, w in skus.items()],
        locations=[Location.model_validate(loc) for loc in locations],
    )


def stock_of(net: Network) -> dict[str, dict[str, int]]:
    """The snapshot the engine expects (sku -> location -> units) from the locations' stock."""
    snapshot: dict[str, dict[str, int]] = {}
    for loc in net.locations:
        for sku, units in loc.stock.items():
            snapshot.setdefault(sku, {})[loc.id] = units
    return snapshot


def request(
    postal_code: str | None = None,
    lines: Mapping[str, int] | None = None,
    *,
    point: Point | None = None,
    order_id: str = "T-1",
    **changes: Any,
) -> RoutingRequest:
    dest = point or zip_point(postal_code or "80202")
    return RoutingRequest(
        order_id=order_id,
        dest_lat=dest.lat,
        dest_lon=dest.lon,
        lines=[RoutingLine(sku=s, quantity=q) for s, q in (lines or {}).items()],
        **changes,
    )


def rules_with(**changes: Any) -> Rules:
    """The built-in rules with some fields replaced (validated again)."""
    data = default_rules().model_dump(mode="json")
    data.update(changes)
    return Rules.model_validate(data)


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
