"""The greedy policies that common tools use, priced with the same cost model.

They exist so a planner can see what the exact optimizer saves (``dom simulate --policy``).
Both honour every eligibility rule and safety stock, but not ``max_packages``: they do not
plan packages, they take what is nearest, so their plans may have more boxes.
"""

from __future__ import annotations

from domain.routing.plans import Allocation
from domain.routing.problem import OrderProblem
from domain.routing.search import Candidate


def _by_distance(problem: OrderProblem) -> list[Candidate]:
    miles = problem.costs.miles
    return sorted(problem.candidates, key=lambda c: (miles[c.rank], c.rank))


def closest_first_allocation(problem: OrderProblem) -> Allocation | None:
    """For each SKU take from the nearest location that has it, then the next; None if short."""
    ordered = _by_distance(problem)
    chosen: dict[int, list[int]] = {}
    for s, quantity in enumerate(problem.quantities):
        need = quantity
        for c in ordered:
            take = min(c.available[s], need)
            if take:
                chosen.setdefault(c.rank, [0] * len(problem.quantities))[s] += take
                need -= take
                if not need:
                    break
        if need:
            return None
    # Packages in the order their locations were first reached (nearest first).
    return [(c, chosen[c.rank]) for c in ordered if c.rank in chosen]


def single_location_first_allocation(problem: OrderProblem) -> Allocation | None:
    """The nearest location that holds the whole order, else ``closest_first``."""
    for c in _by_distance(problem):
        if all(a >= q for a, q in zip(c.available, problem.quantities, strict=True)):
            return [(c, list(problem.quantities))]
    return closest_first_allocation(problem)
