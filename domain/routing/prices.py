"""What a unit of stock is worth where it sits: the opportunity-cost table ``lookahead`` reads.

Acimovic and Graves (M&SOM 2015) price each unit by the dual value of a transportation
LP between the stock and the demand expected over a horizon. Here, per SKU:

    minimise   sum_{i,r} c(i, r) x(i, r) + LOST x sum_r lost(r)
    subject to sum_r x(i, r) <= units free at i                      (dual: -price(i))
               sum_i x(i, r) + lost(r) = expected units to region r

``c(i, r)`` is what one unit costs to ship from i to the centre of region r under the
rules (its per-lb rate times the weight, plus its share of the package's base, handling
and days cost). A unit at i is worth ``price(i)``: what the expected customers would pay
in extra shipping (or lost sales) without it. Only differences between locations change
a decision (every plan takes the same units), so each SKU's prices are shifted to make
the cheapest holder's 0, and what a decision shows is the premium of scarce stock.

``compute_prices`` is the slow part (one LP per SKU, HiGHS through scipy): run it in the
background on a schedule and hand the resulting ``StockPrices`` to ``route``, which only
reads it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from domain.models import DeliveryType, Network, ServiceLevel
from domain.routing.costing import COST_SCALE, WEIGHT_SCALE, to_dollars
from domain.routing.network import RoutingNetwork
from domain.routing.rules import LP_SOLVER_MISSING, Rules, lp_solver_installed
from domain.routing.types import RoutingRequest, StockSnapshot

if TYPE_CHECKING:
    from domain.routing.problem import OrderProblem

RegionKey = tuple[int, int]


def region_of(lat: float, lon: float, degrees: float) -> RegionKey:
    """The demand region of a destination: a ``degrees`` x ``degrees`` lat/lon cell."""
    return (math.floor(lat / degrees), math.floor(lon / degrees))


@dataclass(slots=True)
class DemandForecast:
    """Units ordered per SKU and region over a window of orders, and where they went.

    Built from earlier orders (a history file, or a rolling window of the orders the
    system has seen), never from the orders being routed.
    """

    region_degrees: float = 3.0
    orders: int = 0
    lines: int = 0
    units: dict[str, dict[RegionKey, int]] = field(default_factory=dict)
    # region -> (sum of lat, sum of lon, count): the centre of the demand in each region
    _centres: dict[RegionKey, list[float]] = field(default_factory=dict)

    def add(self, request: RoutingRequest) -> None:
        """Count one order (shipped orders only: a pickup does not travel)."""
        if request.delivery is not DeliveryType.SHIP:
            return
        region = region_of(request.dest_lat, request.dest_lon, self.region_degrees)
        centre = self._centres.setdefault(region, [0.0, 0.0, 0])
        centre[0] += request.dest_lat
        centre[1] += request.dest_lon
        centre[2] += 1
        self.orders += 1
        seen: set[str] = set()
        for line in request.lines:
            by_region = self.units.setdefault(line.sku, {})
            by_region[region] = by_region.get(region, 0) + line.quantity
            seen.add(line.sku)
        self.lines += len(seen)

    @classmethod
    def from_requests(
        cls, requests: Iterable[RoutingRequest], region_degrees: float = 3.0
    ) -> DemandForecast:
        """A forecast from earlier orders."""
        forecast = cls(region_degrees=region_degrees)
        for request in requests:
            forecast.add(request)
        return forecast

    def centre(self, region: RegionKey) -> tuple[float, float]:
        lat, lon, count = self._centres[region]
        return lat / count, lon / count

    @property
    def lines_per_order(self) -> float:
        return self.lines / self.orders if self.orders else 1.0

    def expected(self, sku: str, orders_ahead: int) -> dict[RegionKey, float]:
        """Units of ``sku`` expected per region over the next ``orders_ahead`` orders."""
        if not self.orders:
            return {}
        scale = orders_ahead / self.orders
        return {r: u * scale for r, u in self.units.get(sku, {}).items()}


@dataclass(slots=True)
class StockPrices:
    """Opportunity cost of one unit per SKU and location, in exact cost units (>= 0).

    Read-only for the router; a new table replaces the old one when prices are
    recomputed. ``orders_ahead`` and ``orders_seen`` say what they were computed from.
    """

    values: Mapping[str, Mapping[str, int]]
    orders_ahead: int = 0
    orders_seen: int = 0
    _arrays: dict[tuple[int, str], np.ndarray] = field(default_factory=dict, repr=False)

    def dollars(self, sku: str, location_id: str) -> Decimal:
        """One unit's opportunity cost in dollars, rounded to the cent."""
        return to_dollars(self.values.get(sku, {}).get(location_id, 0))

    def by_rank(self, net: RoutingNetwork, sku: str) -> np.ndarray:
        """Prices of ``sku`` by location rank in ``net`` (int64 cost units; 0 if unpriced)."""
        key = (id(net), sku)
        array = self._arrays.get(key)
        if array is None:
            array = np.zeros(len(net.ids), dtype=np.int64)
            for loc_id, value in self.values.get(sku, {}).items():
                i = net.index.get(loc_id)
                if i is not None:
                    array[i] = value
            self._arrays[key] = array
        return array

    def view(self, problem: OrderProblem) -> PriceView:
        """The prices of one order's candidates."""
        columns = [self.by_rank(problem.net, sku)[problem.ranks] for sku in problem.skus]
        extra = (
            np.stack(columns, axis=1)
            if columns
            else np.zeros((len(problem.ranks), 0), dtype=np.int64)
        )
        return PriceView(self, problem.ranks, extra)


@dataclass(slots=True)
class PriceView:
    """Opportunity costs of one order's candidates: ``extra[row, s]`` per unit of SKU s."""

    table: StockPrices
    ranks: np.ndarray
    extra: np.ndarray
    _rows: dict[int, list[int]] | None = None

    def at(self, rank: int, s: int) -> int:
        """The price of one unit of order SKU ``s`` at the location of ``rank``."""
        rows = self._rows
        if rows is None:  # a plan reads a handful of rows: index them once, as Python ints
            rows = self._rows = {}
        row = rows.get(rank)
        if row is None:
            row = rows[rank] = self.extra[bisect_left(self.ranks, rank)].tolist()
        return row[s]

    @property
    def priced(self) -> bool:
        """Whether any unit this order could take has an opportunity cost."""
        return bool(self.extra.any())


LOST_SALE_DOLLARS = 250.0
"""What the LP charges for a unit of demand left unserved: above any shipping cost, so
the LP serves all it can; the level itself cancels out of every decision."""


def unit_costs(
    net: RoutingNetwork,
    rules: Rules,
    centres: Sequence[tuple[float, float]],
    weight_lb: float,
    package_share: float,
    service: ServiceLevel = ServiceLevel.GROUND,
) -> np.ndarray:
    """Dollars to ship one unit from every location (rows) to every centre (columns)."""
    binding = net.bind(rules)
    compiled = binding.compiled
    table = compiled.services[service]
    limits = np.asarray(compiled.zone_limits, dtype=np.float64)
    base = np.asarray(table.base, dtype=np.float64)
    per_lb = np.asarray(table.per_lb, dtype=np.float64)
    days = np.asarray(table.transit_days, dtype=np.float64)
    handling = binding.handling_array.astype(np.float64)
    day_cost = compiled.day_cost / COST_SCALE
    out = np.empty((len(net.ids), len(centres)))
    for r, (lat, lon) in enumerate(centres):
        zones = np.searchsorted(limits, net.miles_array(lat, lon), side="left")
        fixed = (base[zones] + handling) / 10_000 + day_cost * days[zones]
        out[:, r] = per_lb[zones] / 10_000 * weight_lb + package_share * fixed
    return out


class LpSolverMissing(RuntimeError):
    """``compute_prices`` was asked for without SciPy installed (the ``lookahead`` extra)."""


def compute_prices(
    network: Network,
    stock: StockSnapshot,
    forecast: DemandForecast,
    rules: Rules,
    orders_ahead: int,
    *,
    weight: float = 1.0,
) -> StockPrices:
    """The opportunity cost of every unit of stock, from ``forecast`` over ``orders_ahead``.

    Pure (reads its arguments); slow: one LP per SKU that has expected demand. Units held
    back as safety stock, and locations that may not ship, do not count as supply.
    ``weight`` scales the prices (1.0: the LP's duals as they are).
    """
    if not lp_solver_installed():
        raise LpSolverMissing(LP_SOLVER_MISSING)
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    net = RoutingNetwork.build(network)
    binding = net.bind(rules)
    may_ship = binding.may_serve(net, DeliveryType.SHIP, None)
    safety = binding.safety
    weights = {s.sku: s.weight_lb for s in network.skus}
    share = 1.0 / max(forecast.lines_per_order, 1.0)
    regions = sorted(forecast._centres)
    centres = [forecast.centre(r) for r in regions]
    column = {r: j for j, r in enumerate(regions)}
    cost_cache: dict[float, np.ndarray] = {}
    values: dict[str, dict[str, int]] = {}
    for sku, held in stock.items():
        demand = forecast.expected(sku, orders_ahead)
        if sku not in weights or not demand:
            continue
        supply = []
        for loc_id, units in held.items():
            i = net.index.get(loc_id)
            if i is not None and may_ship[i] and units - safety[i] > 0:
                supply.append((i, units - safety[i]))
        if len(supply) < 2:
            continue  # one holder or none: nothing to choose between
        w = weights[sku]
        costs = cost_cache.get(w)
        if costs is None:
            costs = cost_cache[w] = unit_costs(net, rules, centres, w, share)
        cols = [column[r] for r in demand]
        need = np.array([demand[r] for r in demand])
        n, m = len(supply), len(cols)
        rows = np.array([i for i, _ in supply])
        c = np.concatenate(
            [costs[np.ix_(rows, np.asarray(cols))].ravel(), np.full(m, LOST_SALE_DOLLARS)]
        )
        # x(i, r) is variable i*m + r; lost(r) is n*m + r.
        ub_rows = np.repeat(np.arange(n), m)
        a_ub = coo_matrix((np.ones(n * m), (ub_rows, np.arange(n * m))), shape=(n, n * m + m))
        eq_rows = np.concatenate([np.tile(np.arange(m), n), np.arange(m)])
        a_eq = coo_matrix(
            (np.ones(n * m + m), (eq_rows, np.arange(n * m + m))), shape=(m, n * m + m)
        )
        result = linprog(
            c,
            A_ub=a_ub.tocsr(),
            b_ub=np.array([u for _, u in supply], dtype=np.float64),
            A_eq=a_eq.tocsr(),
            b_eq=need,
            bounds=(0, None),
            method="highs",
        )
        if result.status != 0:
            continue
        duals = -np.asarray(result.ineqlin.marginals)  # >= 0: what one more unit saves
        duals -= duals.min()
        values[sku] = {
            net.ids[i]: round(value * weight * COST_SCALE / WEIGHT_SCALE) * WEIGHT_SCALE
            for (i, _), value in zip(supply, duals.tolist(), strict=True)
            if value * weight >= 0.005
        }
    return StockPrices(values, orders_ahead=orders_ahead, orders_seen=forecast.orders)
