"""The exact search when each unit's cost depends on the location AND the SKU.

The ``lookahead`` policy adds to every unit the opportunity cost of taking it from its
location (``prices.py``), so a unit of SKU s from location c costs
``per_lb(c) x weight(s) + price(c, s)``. The per-SKU costs no longer share one order
over locations, so ``search.py``'s walk (fact 2 there) does not apply; what still holds:

1. For a fixed set of locations the cheapest sharing-out is greedy per SKU: each SKU
   fills from the set's cheapest unit cost for that SKU first (ties by rank). Package
   base, handling, split penalty and slowest transit depend only on the set.
2. A set whose greedy fill leaves a member idle costs at least as much as the set
   without it and has more packages, so only *genuine* sets (every member ships
   something) can be optimal; they are the only ones recorded.
3. Walking locations by ``fixed + day_cost x days`` (then rank), every plan that adds
   location j to the members so far costs at least their packages, j's package and
   days, a split penalty per extra package, and every unit at its cheapest among the
   members and the locations from j on. Each term only grows along the walk, so the
   walk stops at the first location too dear to join.

The walk is pruned against the best split found so far, so the best split is exact too;
the tests check it against every subset (and, through ``route``, against brute force
over unit assignments).
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.routing.search import Candidate, Found, SearchResult

_NO_BOUND = 1 << 200


def fill_cost(
    members: Sequence[Candidate],
    unit_costs: Sequence[Sequence[int]],
    quantities: Sequence[int],
    positions: Sequence[int],
) -> tuple[int, list[list[int]]] | None:
    """The cheapest fill of ``quantities`` from ``members`` and each member's units.

    ``positions[m]`` is member m's row in ``unit_costs`` (cost units per unit, per SKU).
    None when the members together hold too little of some SKU.
    """
    taken = [[0] * len(quantities) for _ in members]
    total = 0
    for s, q in enumerate(quantities):
        order = sorted(
            range(len(members)), key=lambda m: (unit_costs[positions[m]][s], members[m].rank)
        )
        need = q
        for m in order:
            if not need:
                break
            t = members[m].available[s]
            if t > need:
                t = need
            if t:
                taken[m][s] = t
                total += t * unit_costs[positions[m]][s]
                need -= t
        if need:
            return None
    return total, taken


def search_priced(
    pool: Sequence[Candidate],
    quantities: Sequence[int],
    unit_costs: Sequence[Sequence[int]],
    max_packages: int,
    split_penalty: int,
    day_cost: int,
    bound: int | None = None,
) -> SearchResult:
    """The cheapest genuine set of at most ``max_packages`` locations, and the best split.

    ``unit_costs[i][s]`` is the cost of one unit of order SKU s from ``pool[i]``; the
    rest as ``search.search``. ``bound``, if given, is a cost no split of interest
    exceeds (splits dearer than it may be missed; it only speeds the walk up).
    """
    n = len(pool)
    k = len(quantities)
    whole = tuple(quantities)
    singles = []
    for i, c in enumerate(pool):
        if c.available == whole:
            cost = c.fixed + day_cost * c.transit_days
            cost += sum(q * u for q, u in zip(quantities, unit_costs[i], strict=True))
            singles.append(Found((cost, 1, c.transit_days, (c.rank,)), (c,)))
    singles.sort(key=lambda f: f.key)
    best = singles[0] if singles else None
    if max_packages < 2 or n < 2:
        return SearchResult(singles, best, None)

    order = sorted(range(n), key=lambda i: (pool[i].fixed + day_cost * pool[i].transit_days,
                                            pool[i].rank))  # fmt: skip
    key_of = [pool[i].fixed + day_cost * pool[i].transit_days for i in order]
    fixed_of = [pool[i].fixed for i in order]
    # A unit's cost where it is held (None where it is not), in walk order.
    held_cost = [
        [u if a else None for u, a in zip(unit_costs[i], pool[i].available, strict=True)]
        for i in order
    ]
    # Cheapest unit of each SKU from walk position j on, and fewest package costs from j on.
    cheapest_from = [[_NO_BOUND] * k for _ in range(n + 1)]
    fixed_from = [_NO_BOUND] * (n + 1)
    units_from = [[0] * (n + 1) for _ in range(k)]
    for j in range(n - 1, -1, -1):
        a = pool[order[j]].available
        here, after = cheapest_from[j], cheapest_from[j + 1]
        for s in range(k):
            units_from[s][j] = units_from[s][j + 1] + a[s]
            u = held_cost[j][s]
            here[s] = after[s] if u is None or u > after[s] else u
        fixed_from[j] = min(fixed_of[j], fixed_from[j + 1])
    best_split: Found | None = None
    limit = _NO_BOUND if bound is None else bound

    def least(own: list[int], j: int) -> int:
        """Every unit at its cheapest among the members so far and the walk from j on."""
        rest = cheapest_from[j]
        return sum(q * (o if o < r else r) for q, o, r in zip(quantities, own, rest, strict=True))

    def explore(last: int, members: list[int], held: list[int], sum_fixed: int,
                own: list[int]) -> None:  # fmt: skip
        nonlocal best, best_split, limit
        m = len(members)
        for j in range(last + 1, n):
            # Any plan adding position j: the members' packages, j's package and days,
            # a split penalty per extra package, every unit at its cheapest possible.
            if sum_fixed + key_of[j] + split_penalty * m + least(own, j) > limit:
                break
            if any(held[s] + units_from[s][j] < quantities[s] for s in range(k)):
                break  # the rest of the walk cannot fill the order
            i = order[j]
            c = pool[i]
            now = [*members, i]
            new_held = [h + a for h, a in zip(held, c.available, strict=True)]
            costs_j = held_cost[j]
            new_own = [o if u is None or u >= o else u for o, u in zip(own, costs_j, strict=True)]
            complete = all(h >= q for h, q in zip(new_held, quantities, strict=True))
            if complete and m >= 1 and (
                sum_fixed + c.fixed + split_penalty * m + day_cost * c.transit_days
                + sum(q * o for q, o in zip(quantities, new_own, strict=True)) <= limit
            ):  # fmt: skip
                members_c = [pool[x] for x in now]
                filled = fill_cost(members_c, unit_costs, quantities, now)
                assert filled is not None
                variable, taken = filled
                if all(any(row) for row in taken):  # genuine: everyone ships something
                    slowest = max(x.transit_days for x in members_c)
                    cost = (sum_fixed + c.fixed + variable + split_penalty * m
                            + day_cost * slowest)  # fmt: skip
                    if cost <= limit:
                        key = (cost, m + 1, slowest, tuple(sorted(x.rank for x in members_c)))
                        found = Found(key, tuple(members_c))
                        if best is None or key < best.key:
                            best = found
                        if best_split is None or key < best_split.key:
                            best_split = found
                            limit = cost
            if m + 2 <= max_packages and j + 1 < n:
                next_fixed = sum_fixed + c.fixed
                if (next_fixed + fixed_from[j + 1] + split_penalty * (m + 1)
                        + least(new_own, j + 1) <= limit):  # fmt: skip
                    explore(j, now, new_held, next_fixed, new_own)

    explore(-1, [], [0] * k, 0, [_NO_BOUND] * k)
    return SearchResult(singles, best, best_split)
