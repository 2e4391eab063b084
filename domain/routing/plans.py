"""Turning a chosen set of locations into a priced ``Plan`` people can read.

Pricing here is the reference arithmetic (``costing.package_cost`` and ``plan_cost``);
the search sums the same terms inline for speed, and the tests hold the two equal.
Displayed money is rounded half-up to cents; the breakdown's shipping is the total less
the other (rounded) parts, so the four parts always add up to the total shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.routing.costing import (
    WEIGHT_SCALE,
    package_cost,
    plan_cost,
    to_dollars,
)
from domain.routing.problem import OrderProblem
from domain.routing.search import Candidate, Found, fill_order
from domain.routing.types import Plan

if TYPE_CHECKING:
    from domain.routing.prices import PriceView

Allocation = list[tuple[Candidate, list[int]]]
"""Each package's location and its units per order SKU."""


@dataclass(slots=True)
class PricedPlan:
    """An allocation with its exact cost (1e-10 dollar units) and slowest transit.

    ``opportunity`` is what the units it takes are worth (``lookahead``; else 0): plans
    compare on cost plus opportunity, while ``cost`` stays what shipping it costs.
    """

    allocation: Allocation
    cost: int
    transit_days: int
    package_costs: tuple[int, ...]
    opportunity: int = 0

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(sorted(c.rank for c, _ in self.allocation))

    @property
    def key(self) -> tuple[int, int, int, tuple[int, ...]]:
        """The tie-break order, as ``search.PlanKey``."""
        return (self.cost + self.opportunity, len(self.allocation), self.transit_days, self.ranks)


def greedy_allocation(
    members: Sequence[Candidate],
    quantities: Sequence[int],
    prices: PriceView | None = None,
    weights: Sequence[int] = (),
) -> Allocation:
    """The cheapest split of the units over ``members``: lowest per-lb rate (then id) first;
    with ``prices``, each SKU from its lowest per-lb cost plus price (then id) first."""
    if prices is not None:
        return _priced_allocation(members, quantities, prices, weights)
    need = list(quantities)
    allocation: Allocation = []
    for c in fill_order(members):
        units = []
        for s, r in enumerate(need):
            take = min(c.available[s], r)
            units.append(take)
            need[s] = r - take
        if any(units):
            allocation.append((c, units))
    return allocation


def _priced_allocation(
    members: Sequence[Candidate],
    quantities: Sequence[int],
    prices: PriceView,
    weights: Sequence[int],
) -> Allocation:
    units = {c.rank: [0] * len(quantities) for c in members}
    for s, q in enumerate(quantities):
        need = q
        order = sorted(members, key=lambda c: (c.per_lb * weights[s] + prices.at(c.rank, s),
                                                c.rank))  # fmt: skip
        for c in order:
            take = min(c.available[s], need)
            units[c.rank][s] = take
            need -= take
    return [(c, units[c.rank]) for c in fill_order(members) if any(units[c.rank])]


def price(
    problem: OrderProblem, allocation: Allocation, prices: PriceView | None = None
) -> PricedPlan:
    """The exact cost of shipping ``allocation`` under the problem's rules (and with
    ``prices``, what the units it takes are worth)."""
    handling = problem.binding.handling
    opportunity = 0
    if prices is not None:
        for c, units in allocation:
            for s, u in enumerate(units):
                if u:
                    opportunity += u * prices.at(c.rank, s)
    costs = []
    for c, units in allocation:
        weight = sum(u * w for u, w in zip(units, problem.weights, strict=True))
        base = c.fixed // WEIGHT_SCALE - handling[c.rank]
        costs.append(package_cost(base, handling[c.rank], c.per_lb, weight))
    slowest = max((c.transit_days for c, _ in allocation), default=0)
    return PricedPlan(
        allocation=allocation,
        cost=plan_cost(costs, slowest, problem.compiled),
        transit_days=slowest,
        package_costs=tuple(costs),
        opportunity=opportunity,
    )


def price_single(
    problem: OrderProblem, found: Found, prices: PriceView | None = None
) -> PricedPlan:
    """A single-location plan priced by the search (``find_singles`` used ``price``'s terms)."""
    [c] = found.members
    opportunity = 0
    if prices is not None:
        opportunity = sum(q * prices.at(c.rank, s) for s, q in enumerate(problem.quantities))
    cost = found.cost - opportunity
    return PricedPlan(
        allocation=[(c, list(problem.quantities))],
        cost=cost,
        transit_days=c.transit_days,
        package_costs=(cost - problem.day_cost * c.transit_days,),
        opportunity=opportunity,
    )


def _label(names: str, days: int, total: Decimal) -> str:
    """``"Salt Lake City 3PL: 3 days, $14.54"``; splits join the names with ``+``."""
    return f"{names}: {days} day{'' if days == 1 else 's'}, ${total}"


def plan_fields(problem: OrderProblem, priced: PricedPlan) -> dict[str, Any]:
    """The fields of the public ``Plan`` for a priced allocation, labelled for people.

    Plain data: ``RoutingDecision`` validates all of a decision's plans in one pass,
    a little quicker than building hundreds of models one by one on a big network.
    """
    handling = problem.binding.handling
    costs = problem.costs
    zone_numbers = problem.compiled.zone_numbers
    lines_for = problem.lines_cache
    ids, names_of = problem.net.ids, problem.net.names
    packages = []
    names = []
    handling_total = 0
    for (c, units), cost in zip(priced.allocation, priced.package_costs, strict=True):
        rank = c.rank
        names.append(names_of[rank])
        loc_handling = handling[rank] * WEIGHT_SCALE
        handling_total += loc_handling
        key = tuple(units)
        cached = lines_for.get(key)
        if cached is None:  # every single-location plan ships the same lines: once per order
            lines = [
                {"sku": sku, "quantity": u} for sku, u in zip(problem.skus, units, strict=True) if u
            ]
            weight = sum(u * w for u, w in zip(units, problem.weights, strict=True))
            cached = lines_for[key] = (lines, weight / WEIGHT_SCALE)
        zone = int(costs.zone_index[rank])
        packages.append(
            {
                "location_id": ids[rank],
                "lines": cached[0],
                "miles": round(float(costs.miles[rank]), 1),
                "zone": zone_numbers[zone] if zone >= 0 else None,
                "transit_days": c.transit_days,
                "weight_lb": cached[1],
                "shipping": to_dollars(cost - loc_handling),
                "handling": to_dollars(loc_handling),
                "cost": to_dollars(cost),
            }
        )
    split = problem.split_penalty * max(len(packages) - 1, 0)
    days = problem.day_cost * priced.transit_days
    total = to_dollars(priced.cost)
    shown_handling = to_dollars(handling_total)
    shown_split = to_dollars(split)
    shown_days = to_dollars(days)
    return {
        "label": _label(" + ".join(names), priced.transit_days, total),
        "packages": packages,
        "breakdown": {
            "shipping": total - shown_handling - shown_split - shown_days,
            "handling": shown_handling,
            "split": shown_split,
            "days": shown_days,
            "total": total,
            "opportunity": to_dollars(priced.opportunity),
        },
        "cost": total,
        "transit_days": priced.transit_days,
    }


def to_plan(problem: OrderProblem, priced: PricedPlan) -> Plan:
    """The public ``Plan`` for a priced allocation."""
    return Plan.model_validate(plan_fields(problem, priced))
