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
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from domain.models import DeliveryType, Location, Network, ServiceLevel
from domain.routing.costing import CompiledRules, compile_rules, money_units, weight_units
from domain.routing.rules import Rules, safety_stock_for

_EARTH_RADIUS_MILES = 3958.7613  # as domain.geo.miles_between
UNRANKED_TIER = 1 << 30
"""The tier of a location with no ``priority``: after every numbered tier."""

_DESTINATIONS_KEPT = 4096
# numpy's sin/asin may differ from libm's in the last bit; a location this close to a zone
# limit gets its distance again from the pure-Python haversine, so zones never differ.
_NEAR_LIMIT_MILES = 1e-6


@dataclass(frozen=True, slots=True)
class DestinationCosts:
    """Per-location zone, miles and rates for one destination, service level and rules.

    Each field is a numpy array indexed by location rank (int64, miles float64), so an
    order on a 2,000-location network is priced with a few vector operations.
    """

    zone_index: np.ndarray
    miles: np.ndarray
    fixed: np.ndarray  # (base + handling) in money units, per package
    per_lb: np.ndarray  # money units per pound
    transit_days: np.ndarray


@dataclass(slots=True)
class RulesBinding:
    """One network under one set of rules: handling, safety stock and destination costs."""

    rules: Rules
    compiled: CompiledRules
    handling: tuple[int, ...]  # money units per package, per location
    safety: tuple[int, ...]  # units per SKU held back, per location
    handling_array: np.ndarray
    safety_array: np.ndarray
    uncostable: dict[str, str] = field(default_factory=dict)  # location id -> why
    _eligible: dict[tuple[DeliveryType, str | None], np.ndarray] = field(default_factory=dict)
    _destinations: dict[tuple[float, float, ServiceLevel | None], DestinationCosts] = field(
        default_factory=dict
    )

    def may_serve(
        self, net: RoutingNetwork, delivery: DeliveryType, channel: str | None
    ) -> np.ndarray:
        """Per location (a bool array by rank): active, of a kind allowed for this delivery
        type and channel, and offering pickup if the order is a pickup. The order-specific
        constraints (excluded, forced, capacity) are applied per order."""
        key = (delivery, channel)
        allowed = self._eligible.get(key)
        if allowed is None:
            kinds = self.rules.kinds_allowed(delivery, channel)
            pickup = delivery is DeliveryType.PICKUP
            allowed = np.array(
                [loc.active and loc.kind in kinds and (loc.pickup or not pickup)
                 for loc in net.locations],
                dtype=bool,
            )  # fmt: skip
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
        limits = self.compiled.zone_limits
        miles = net.miles_array(lat, lon, limits)
        n = len(miles)
        if service is None:  # pickup: no carrier, no transit; the store still handles it
            zero = np.zeros(n, dtype=np.int64)
            return DestinationCosts(
                zone_index=np.full(n, -1, dtype=np.int64),
                miles=miles,
                fixed=self.handling_array,
                per_lb=zero,
                transit_days=zero,
            )
        table = self.compiled.services[service]
        # searchsorted "left" is bisect_left: a destination exactly at a limit is in that zone
        zones = np.searchsorted(np.asarray(limits, dtype=np.float64), miles, side="left")
        base = np.asarray(table.base, dtype=np.int64)
        return DestinationCosts(
            zone_index=zones.astype(np.int64),
            miles=miles,
            fixed=base[zones] + self.handling_array,
            per_lb=np.asarray(table.per_lb, dtype=np.int64)[zones],
            transit_days=np.asarray(table.transit_days, dtype=np.int64)[zones],
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
        self._lat = np.array([p[0] for p in self._points], dtype=np.float64)
        self._lon = np.array([p[1] for p in self._points], dtype=np.float64)
        self._cos = np.array([p[2] for p in self._points], dtype=np.float64)
        self.tier_array = np.array(self.tiers, dtype=np.int64)
        self.capacity_array = np.array(
            [-1 if c is None else c for c in self.capacity], dtype=np.int64
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
            uncostable: dict[str, str] = {}
            handling = tuple(
                compiled.handling[loc.kind]
                if loc.handling_cost is None
                else _handling_units(loc.id, loc.handling_cost, uncostable)
                for loc in self.locations
            )
            safety = tuple(safety_stock_for(loc, rules) for loc in self.locations)
            binding = RulesBinding(
                rules=rules,
                compiled=compiled,
                handling=handling,
                safety=safety,
                handling_array=np.array(handling, dtype=np.int64),
                safety_array=np.array(safety, dtype=np.int64),
                uncostable=uncostable,
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

    def miles_one(self, rank: int, lat: float, lon: float) -> float:
        """``miles_to`` for one location: the exact figure shown on a package."""
        lat1, lon1, cos1 = self._points[rank]
        lat2, lon2 = math.radians(lat), math.radians(lon)
        return (2 * _EARTH_RADIUS_MILES) * math.asin(math.sqrt(
            math.sin((lat2 - lat1) / 2) ** 2
            + cos1 * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2))  # fmt: skip

    def miles_array(self, lat: float, lon: float, limits: tuple[float, ...] = ()) -> np.ndarray:
        """``miles_to`` as a numpy array, vectorised; exact (``miles_one``) near any of
        ``limits``, so the zone a location falls in is the same as ``domain.geo`` says."""
        lat2 = math.radians(lat)
        lon2 = math.radians(lon)
        h = (
            np.sin((lat2 - self._lat) / 2) ** 2
            + self._cos * math.cos(lat2) * np.sin((lon2 - self._lon) / 2) ** 2
        )
        miles: np.ndarray = (2 * _EARTH_RADIUS_MILES) * np.arcsin(np.sqrt(h))
        if limits:
            gap = np.abs(miles[:, None] - np.asarray(limits)[None, :]).min(axis=1)
            for rank in np.flatnonzero(gap < _NEAR_LIMIT_MILES).tolist():
                miles[rank] = self.miles_one(rank, lat, lon)
        return miles


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


# A handling cost above this cannot be a real one, and would overflow the int64 sums.
_MAX_HANDLING_UNITS = 10**12


def _handling_units(location_id: str, dollars: float, uncostable: dict[str, str]) -> int:
    """``dollars`` in money units; a value that cannot be costed (not finite, or absurd)
    marks the location unusable instead of failing every order (it is then excluded)."""
    try:
        units = money_units(dollars)
    except (ArithmeticError, ValueError):
        units = _MAX_HANDLING_UNITS + 1
    if not 0 <= units <= _MAX_HANDLING_UNITS:
        uncostable[location_id] = f"its handling_cost {dollars!r} cannot be costed"
        return 0
    return units
