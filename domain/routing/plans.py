"""Turning a chosen set of locations into a priced ``Plan`` people can read.

Pricing here is the reference arithmetic (``costing.package_cost`` and ``plan_cost``);
the search sums the same terms inline for speed, and the tests hold the two equal.
Displayed money is rounded half-up to cents; the breakdown's shipping is the total less
the other (rounded) parts, so the four parts always add up to the total shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.routing.costing import (
    WEIGHT_SCALE,
    package_cost,
    plan_cost,
    to_dollars,
)
from domain.routing.problem import OrderProblem
from domain.routing.search import Candidate, fill_order
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingLine

Allocation = list[tuple[Candidate, list[int]]]
"""Each package's location and its units per order SKU."""


@dataclass(frozen=True, slots=True)
class PricedPlan:
    """An allocation with its exact cost (1e-10 dollar units) and slowest transit."""

    allocation: Allocation
    cost: int
    transit_days: int
    package_costs: tuple[int, ...]

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(sorted(c.rank for c, _ in self.allocation))

    @property
    def key(self) -> tuple[int, int, int, tuple[int, ...]]:
        """The tie-break order, as ``search.PlanKey``."""
        return (self.cost, len(self.allocation), self.transit_days, self.ranks)


def greedy_allocation(members: Sequence[Candidate], quantities: Sequence[int]) -> Allocation:
    """The cheapest split of the units over ``members``: lowest per-lb rate (then id) first."""
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


def price(problem: OrderProblem, allocation: Allocation) -> PricedPlan:
    """The exact cost of shipping ``allocation`` under the problem's rules."""
    handling = problem.binding.handling
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
    )


def label_for(problem: OrderProblem, priced: PricedPlan) -> str:
    """``"Salt Lake City 3PL: 3 days, $14.54"``; splits join the names with ``+``."""
    names = " + ".join(problem.location(c.rank).name for c, _ in priced.allocation)
    days = priced.transit_days
    return f"{names}: {days} day{'' if days == 1 else 's'}, ${to_dollars(priced.cost)}"


def to_plan(problem: OrderProblem, priced: PricedPlan, label: str | None = None) -> Plan:
    """The public ``Plan`` for a priced allocation (built without re-validation: hot path)."""
    handling = problem.binding.handling
    costs = problem.costs
    zone_numbers = problem.compiled.zone_numbers
    packages = []
    handling_total = 0
    for (c, units), cost in zip(priced.allocation, priced.package_costs, strict=True):
        loc_handling = handling[c.rank] * WEIGHT_SCALE
        handling_total += loc_handling
        weight = sum(u * w for u, w in zip(units, problem.weights, strict=True))
        zone = costs.zone_index[c.rank]
        packages.append(
            PlannedPackage.model_construct(
                location_id=problem.location(c.rank).id,
                lines=[
                    RoutingLine.model_construct(sku=sku, quantity=u)
                    for sku, u in zip(problem.skus, units, strict=True)
                    if u
                ],
                miles=round(costs.miles[c.rank], 1),
                zone=zone_numbers[zone] if zone >= 0 else None,
                transit_days=c.transit_days,
                weight_lb=weight / WEIGHT_SCALE,
                shipping=to_dollars(cost - loc_handling),
                handling=to_dollars(loc_handling),
                cost=to_dollars(cost),
            )
        )
    split = problem.split_penalty * max(len(packages) - 1, 0)
    days = problem.day_cost * priced.transit_days
    total = to_dollars(priced.cost)
    shown = [to_dollars(handling_total), to_dollars(split), to_dollars(days)]
    breakdown = CostBreakdown.model_construct(
        shipping=total - sum(shown),
        handling=shown[0],
        split=shown[1],
        days=shown[2],
        total=total,
    )
    return Plan.model_construct(
        label=label if label is not None else label_for(problem, priced),
        packages=packages,
        breakdown=breakdown,
        cost=total,
        transit_days=priced.transit_days,
    )
