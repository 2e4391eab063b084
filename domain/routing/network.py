"""What the router precomputes about a network, once per ``Network`` object.

``route()`` runs per order, so everything that depends only on the network (location
coordinates, SKU weights), on the network and the rules (handling, safety stock, which
kinds may serve which orders) or on a destination (zones, rates) is computed once and
cached. A ``Network`` is treated as immutable once routed: to change it, build a new
one (as ``load_network`` and the store do).
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import partial

from domain.models import DeliveryType, Location, Network, ServiceLevel
from domain.routing.costing import CompiledRules, compile_rules, money_units, weight_units
from domain.routing.rules import Rules, safety_stock_for

_EARTH_RADIUS_MILES = 3958.7613  # as domain.geo.miles_between
UNRANKED_TIER = 1 << 30
"""The tier of a location with no ``priority``: after every numbered tier."""

_DESTINATIONS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class DestinationCosts:
    """Per-location zone, miles and rates for one destination, service level and rules."""

    zone_index: tuple[int, ...]
    miles: tuple[float, ...]
    fixed: tuple[int, ...]  # (base + handling) in money units, per package
    per_lb: tuple[int, ...]  # money units per pound
    transit_days: tuple[int, ...]


@dataclass(slots=True)
class RulesBinding:
    """One network under one set of rules: handling, safety stock and destination costs."""

    rules: Rules
    compiled: CompiledRules
    handling: tuple[int, ...]  # money units per package, per location
    safety: tuple[int, ...]  # units per SKU held back, per location
    _eligible: dict[tuple[DeliveryType, str | None], tuple[bool, ...]] = field(default_factory=dict)
    _destinations: dict[tuple[float, float, ServiceLevel | None], DestinationCosts] = field(
        default_factory=dict
    )

    def may_serve(
        self, net: RoutingNetwork, delivery: DeliveryType, channel: str | None
    ) -> tuple[bool, ...]:
        """Per location: active, of a kind allowed for this delivery type and channel, and
        offering pickup if the order is a pickup. The order-specific constraints (excluded,
        forced, capacity) are applied per order."""
        key = (delivery, channel)
        allowed = self._eligible.get(key)
        if allowed is None:
            kinds = self.rules.kinds_allowed(delivery, channel)
            pickup = delivery is DeliveryType.PICKUP
            allowed = tuple(
                loc.active and loc.kind in kinds and (loc.pickup or not pickup)
                for loc in net.locations
            )
            self._eligible[key] = allowed
        return allowed

    def destination(
        self, net: RoutingNetwork, lat: float, lon: float, service: ServiceLevel | None
    ) -> DestinationCosts:
        """Costs from every location to ``(lat, lon)``; ``service`` None means pickup."""
        key = (lat, lon, service)
        costs = self._destinations.get(key)
        if costs is None:
            if len(self._destinations) >= _DESTINATIONS_KEPT:
                self._destinations.clear()  # cheap bound on memory; refilled on demand
            costs = self._compute(net, lat, lon, service)
            self._destinations[key] = costs
        return costs

    def _compute(
        self, net: RoutingNetwork, lat: float, lon: float, service: ServiceLevel | None
    ) -> DestinationCosts:
        miles = net.miles_to(lat, lon)
        if service is None:  # pickup: no carrier, no transit; the store still handles it
            n = len(miles)
            return DestinationCosts(
                zone_index=(-1,) * n,
                miles=miles,
                fixed=self.handling,
                per_lb=(0,) * n,
                transit_days=(0,) * n,
            )
        table = self.compiled.services[service]
        limits = self.compiled.zone_limits
        base, rate, days = table.base, table.per_lb, table.transit_days
        zones = [bisect_left(limits, m) for m in miles]
        return DestinationCosts(
            zone_index=tuple(zones),
            miles=miles,
            fixed=tuple([base[z] + h for z, h in zip(zones, self.handling, strict=True)]),
            per_lb=tuple([rate[z] for z in zones]),
            transit_days=tuple([days[z] for z in zones]),
        )


class RoutingNetwork:
    """A network's locations in a fixed order (by id), with everything routing reuses."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.locations: list[Location] = sorted(network.locations, key=lambda loc: loc.id)
        self.index: dict[str, int] = {loc.id: i for i, loc in enumerate(self.locations)}
        self.ids: tuple[str, ...] = tuple(loc.id for loc in self.locations)
        self.names: tuple[str, ...] = tuple(loc.name for loc in self.locations)
        self.capacity: tuple[int | None, ...] = tuple(loc.daily_capacity for loc in self.locations)
        self.has_capacity = any(c is not None for c in self.capacity)
        self.weights: dict[str, int] = {s.sku: weight_units(s.weight_lb) for s in network.skus}
        self.tiers: tuple[int, ...] = tuple(
            UNRANKED_TIER if loc.priority is None else loc.priority for loc in self.locations
        )
        points = [loc.point for loc in self.locations]
        self._points = tuple(
            (math.radians(p.lat), math.radians(p.lon), math.cos(math.radians(p.lat)))
            for p in points
        )
        self._bindings: dict[int, RulesBinding] = {}

    @classmethod
    def build(cls, network: Network) -> RoutingNetwork:
        """The precomputed form of ``network``, cached for as long as ``network`` lives."""
        entry = _built.get(id(network))
        if entry is not None and entry[0]() is network:
            return entry[1]
        built = cls(network)
        key = id(network)
        _built[key] = (weakref.ref(network, partial(_forget, _built, key)), built)
        return built

    def bind(self, rules: Rules) -> RulesBinding:
        """This network under ``rules`` (cached per rules object, a few at a time)."""
        binding = self._bindings.get(id(rules))
        if binding is None or binding.rules is not rules:
            compiled = compile_rules(rules)
            binding = RulesBinding(
                rules=rules,
                compiled=compiled,
                handling=tuple(
                    compiled.handling[loc.kind]
                    if loc.handling_cost is None
                    else money_units(loc.handling_cost)
                    for loc in self.locations
                ),
                safety=tuple(safety_stock_for(loc, rules) for loc in self.locations),
            )
            if len(self._bindings) > 16:
                self._bindings.clear()
            self._bindings[id(rules)] = binding
        return binding

    def miles_to(self, lat: float, lon: float) -> tuple[float, ...]:
        """Great-circle miles from every location to ``(lat, lon)``.

        The haversine of ``domain.geo.miles_between``, term for term (so zones agree to the
        last bit), with each location's radians and cosine computed once.
        """
        lat2 = math.radians(lat)
        lon2 = math.radians(lon)
        cos2 = math.cos(lat2)
        sin, asin, sqrt = math.sin, math.asin, math.sqrt
        diameter = 2 * _EARTH_RADIUS_MILES
        return tuple(
            [
                diameter * asin(sqrt(sin((lat2 - lat1) / 2) ** 2
                                     + cos1 * cos2 * sin((lon2 - lon1) / 2) ** 2))
                for lat1, lon1, cos1 in self._points
            ]
        )  # fmt: skip


_built: dict[int, tuple[weakref.ref[Network], RoutingNetwork]] = {}


def _forget(
    built: dict[int, tuple[weakref.ref[Network], RoutingNetwork]],
    key: int,
    ref: weakref.ref[Network],
) -> None:
    """Drop a collected network's entry (only its own: the id may already be reused)."""
    entry = built.get(key)
    if entry is not None and entry[0] is ref:
        del built[key]
