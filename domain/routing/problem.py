"""One order as the search sees it: what is needed, and who may supply how much at what cost.

The hard constraints live here, in one place: a location takes part only if it is
active, allowed for the order's delivery type and channel (and offers pickup for a
pickup order), not excluded, the forced or pickup location when one is named, under its
daily order capacity, and holds units beyond its safety stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from domain.errors import UnknownSku
from domain.models import DeliveryType, Location
from domain.routing.costing import WEIGHT_SCALE, CompiledRules
from domain.routing.network import DestinationCosts, RoutingNetwork, RulesBinding
from domain.routing.rules import Rules
from domain.routing.search import Candidate
from domain.routing.types import RoutingRequest, StockSnapshot


@dataclass(slots=True)
class OrderProblem:
    """The routing problem for one order, with everything needed to explain the answer.

    The candidates are held as numpy arrays (one row per eligible location holding at
    least one needed unit), so a 2,000-location network costs a few vector operations;
    ``candidates`` builds the ``Candidate`` objects the search and the baselines walk.
    """

    request: RoutingRequest
    net: RoutingNetwork
    binding: RulesBinding
    costs: DestinationCosts
    skus: list[str]  # distinct SKUs, in the order they first appear
    quantities: list[int]
    weights: list[int]  # micro-lb per unit
    ranks: np.ndarray  # int64 location rank per candidate, ascending
    available: np.ndarray  # int64 (candidates x SKUs): usable units, capped at the quantity
    max_packages: int
    orders_today: Mapping[str, int]
    # units per SKU -> (the package's lines as plain data, its weight in lb), per order
    lines_cache: dict[tuple[int, ...], tuple[list[dict[str, Any]], float]] = field(
        default_factory=dict
    )
    _candidates: list[Candidate] | None = None

    @property
    def compiled(self) -> CompiledRules:
        return self.binding.compiled

    @property
    def rules(self) -> Rules:
        return self.binding.rules

    def location(self, rank: int) -> Location:
        return self.net.locations[rank]

    @property
    def split_penalty(self) -> int:
        return self.binding.compiled.split_penalty

    @property
    def day_cost(self) -> int:
        return self.binding.compiled.day_cost

    @property
    def candidates(self) -> list[Candidate]:
        """Every candidate as a ``Candidate`` (built once, on first use)."""
        if self._candidates is None:
            self._candidates = self.candidates_at(np.arange(len(self.ranks)))
        return self._candidates

    def candidates_at(self, rows: np.ndarray) -> list[Candidate]:
        """The ``Candidate`` objects of the given candidate rows."""
        ranks = self.ranks[rows]
        costs = self.costs
        fixed = (costs.fixed[ranks] * WEIGHT_SCALE).tolist()
        per_lb = costs.per_lb[ranks].tolist()
        transit = costs.transit_days[ranks].tolist()
        rows_units = [tuple(row) for row in self.available[rows].tolist()]
        return [
            Candidate(*fields)
            for fields in zip(ranks.tolist(), fixed, per_lb, transit, rows_units, strict=True)
        ]


def units_needed(request: RoutingRequest) -> dict[str, int]:
    """Units per SKU (two lines of one SKU add up), in the order SKUs first appear."""
    need: dict[str, int] = {}
    for line in request.lines:
        need[line.sku] = need.get(line.sku, 0) + line.quantity
    return need


def build_problem(
    request: RoutingRequest,
    net: RoutingNetwork,
    stock: StockSnapshot,
    rules: Rules,
    orders_today: Mapping[str, int] | None = None,
) -> OrderProblem:
    """Gather the candidates for ``request``; raises ``UnknownSku`` for a SKU not in the network."""
    binding = net.bind(rules)
    pickup = request.delivery is DeliveryType.PICKUP
    costs = binding.destination(
        net, request.dest_lat, request.dest_lon, None if pickup else request.service_level
    )
    need = units_needed(request)
    skus = list(need)
    quantities = [need[s] for s in skus]
    weights = []
    for sku in skus:
        weight = net.weights.get(sku)
        if weight is None:
            raise UnknownSku(f"SKU {sku!r} is not in the network's catalogue", "sku")
        weights.append(weight)

    ok = binding.may_serve(net, request.delivery, request.channel)
    only = request.pickup_location_id if pickup else None
    forced = request.force_location_id
    today = orders_today or {}
    index = net.index
    n = len(net.ids)
    single = forced if forced is not None else only
    conflict = forced is not None and only is not None and forced != only
    units = np.zeros((len(skus), n), dtype=np.int64)
    for s, sku in enumerate(skus if not conflict else ()):
        held = stock.get(sku) or {}
        if single is not None:  # a forced or pickup location: only its own stock matters
            held = {single: held[single]} if single in held else {}
        if len(held) == 0:
            continue
        try:  # one C-level lookup of every holder's rank
            found = itemgetter(*held)(index)
            at = np.array(found if len(held) > 1 else (found,), dtype=np.int64)
            got = np.fromiter(held.values(), dtype=np.int64, count=len(held))
        except KeyError:  # stock at a location the network does not know: ignored
            pairs = [(index[k], u) for k, u in held.items() if k in index]
            at = np.array([i for i, _ in pairs], dtype=np.int64)
            got = np.array([u for _, u in pairs], dtype=np.int64)
        units[s, at] = got
    usable = units - binding.safety_array
    np.clip(usable, 0, np.asarray(quantities, dtype=np.int64)[:, None], out=usable)
    keep = ok & (usable > 0).any(axis=0)
    if request.exclude_location_ids:
        for loc_id in request.exclude_location_ids:
            i = index.get(loc_id)
            if i is not None:
                keep[i] = False
    if net.has_capacity and today:
        taken = np.zeros(n, dtype=np.int64)
        for loc_id, count in today.items():
            i = index.get(loc_id)
            if i is not None:
                taken[i] = count
        cap = net.capacity_array
        keep &= ~((cap >= 0) & (taken >= cap))
    ranks = np.flatnonzero(keep)
    return OrderProblem(
        request=request,
        net=net,
        binding=binding,
        costs=costs,
        skus=skus,
        quantities=quantities,
        weights=weights,
        ranks=ranks,
        available=np.ascontiguousarray(usable[:, ranks].T),
        max_packages=rules.max_packages_for(request.channel),
        orders_today=today,
    )


def why_not(problem: OrderProblem, loc: Location) -> str | None:
    """Why ``loc`` may not fill this order at all (None: it may, stock permitting)."""
    request = problem.request
    rules = problem.rules
    if not loc.active:
        return "inactive"
    if loc.id in request.exclude_location_ids:
        return "excluded"
    if request.force_location_id is not None and loc.id != request.force_location_id:
        return "not the forced location"
    if request.delivery is DeliveryType.PICKUP:
        if loc.id != request.pickup_location_id:
            return "not the pickup location"
        if not loc.pickup:
            return "does not offer pickup"
    if loc.kind not in rules.kinds_allowed(request.delivery, request.channel):
        via = f" on channel {request.channel!r}" if request.channel else ""
        return f"kind {loc.kind.value!r} not allowed for {request.delivery.value}{via}"
    cap = loc.daily_capacity
    if cap is not None and problem.orders_today.get(loc.id, 0) >= cap:
        return f"at daily capacity ({cap} orders)"
    return None
