"""The exact search: the cheapest set of locations, and the cheapest split, for one order.

Why it is exact, in three facts:

1. For a fixed set of locations the cheapest way to share out the units is greedy: each
   unit of a SKU costs ``weight x per_lb`` at a location, independently of the others, so
   every SKU is filled from the set's lowest per-lb rate first (ties by location id).
   Everything else (base, handling, split penalty, slowest transit) depends only on the set.
2. Call a set *genuine* if that greedy fill gives every member at least one unit. A set
   with an idle member costs at least as much as the set without it (its base, handling
   and split penalty are never negative) and has more packages, so the optimum is always
   a genuine set. Ordering members by (per-lb rate, id), in a genuine set every proper
   prefix is short of something and each member takes what it can of what is still
   missing. So the genuine sets are exactly the paths of a depth-first walk that adds
   locations in that order while something is missing, stopping when the order is full:
   each set is visited once, and its cost is summed along the way.
3. The walk is cut only by a lower bound that no completion can beat: the cost so far,
   plus the cheapest remaining package, plus what is still missing at the next
   location's per-lb rate (every later location's rate is at least that), plus the
   split penalty and the slowest transit so far. Every term only grows along the
   walk's order, so once one location is too dear all later ones are too.

Singles are read off directly (every complete location), and the walk is pruned against
the best *split* found so far, so the one walk yields both the winner and the best split
for the alternatives. The tests check all this against brute force over unit assignments.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

PlanKey = tuple[int, int, int, tuple[int, ...]]
"""How plans compare: (exact cost, packages, slowest transit days, location ranks sorted).

Lower wins. Ranks are positions in the network's locations sorted by id, so the last
tie-break is the alphabetically first set of location ids.
"""

_NO_BOUND = 1 << 200


@dataclass(slots=True)
class Candidate:
    """A location that may take part: its costs to this destination and its usable units."""

    rank: int  # position in the network's locations sorted by id
    fixed: int  # cost units per package (base + handling)
    per_lb: int  # money units per pound
    transit_days: int
    available: tuple[int, ...]  # per order SKU, after safety stock, capped at the quantity
    # (capping is part of the contract: a location is complete iff available == quantities)


@dataclass(slots=True)
class Found:
    """A genuine set of locations and its exact cost."""

    key: PlanKey
    members: tuple[Candidate, ...]  # in fill order: per-lb rate, then rank

    @property
    def cost(self) -> int:
        return self.key[0]


@dataclass(frozen=True, slots=True)
class SearchResult:
    singles: list[Found]  # every location that can fill the whole order alone
    best: Found | None
    best_split: Found | None  # cheapest genuine set of two or more locations


def fill_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The order in which a set's members are filled: lowest per-lb rate, then rank."""
    return sorted(candidates, key=lambda c: (c.per_lb, c.rank))


def find_singles(
    pool: Sequence[Candidate], quantities: Sequence[int], weights: Sequence[int], day_cost: int
) -> list[Found]:
    """Every location in ``pool`` that can fill the whole order alone, best first."""
    total_weight = sum(q * w for q, w in zip(quantities, weights, strict=True))
    whole = tuple(quantities)
    singles = []
    for c in pool:
        if c.available == whole:
            cost = c.fixed + c.per_lb * total_weight + day_cost * c.transit_days
            singles.append(Found((cost, 1, c.transit_days, (c.rank,)), (c,)))
    singles.sort(key=lambda f: f.key)
    return singles


def search(
    pool: Sequence[Candidate],
    quantities: Sequence[int],
    weights: Sequence[int],
    max_packages: int,
    split_penalty: int,
    day_cost: int,
    *,
    want_split: bool = True,
    split_bound: int | None = None,
) -> SearchResult:
    """The cheapest genuine set of at most ``max_packages`` locations from ``pool``.

    ``quantities`` and ``weights`` (micro-lb per unit) are per order SKU, in the same
    order as each candidate's ``available``. Costs are exact cost units (1e-10 dollars).
    With ``want_split`` the walk is pruned against the best split rather than the best
    plan, so ``best_split`` is exact too; without it ``best_split`` may be missing.
    ``split_bound``, with ``want_split``: a cost no split of interest exceeds (a split
    known to exist), to prune from the start; dearer splits may then be missed.
    """
    cands = fill_order(pool)
    n = len(cands)
    skus = range(len(quantities))
    total_weight = sum(q * w for q, w in zip(quantities, weights, strict=True))
    singles = find_singles(cands, quantities, weights, day_cost)
    whole = tuple(quantities)
    best: Found | None = singles[0] if singles else None
    best_split: Found | None = None
    # A genuine split starts with a location that is short of something (fact 2), so
    # when every candidate could ship alone there is no split to look for.
    if max_packages < 2 or n < 2 or all(c.available == whole for c in cands):
        return SearchResult(singles, best, None)

    fixed = [c.fixed for c in cands]
    per_lb = [c.per_lb for c in cands]
    transit = [c.transit_days for c in cands]
    avail = [c.available for c in cands]
    # Suffix minima: the cheapest package and the fastest transit from position j on.
    fixed_from = [_NO_BOUND] * (n + 1)
    transit_from = [_NO_BOUND] * (n + 1)
    for j in range(n - 1, -1, -1):
        fixed_from[j] = min(fixed[j], fixed_from[j + 1])
        transit_from[j] = min(transit[j], transit_from[j + 1])
    # Units of each SKU available from position j on, and who holds each SKU.
    units_from = []
    holders = []
    for s in skus:
        acc = [0] * (n + 1)
        for j in range(n - 1, -1, -1):
            acc[j] = acc[j + 1] + avail[j][s]
        units_from.append(acc)
        holders.append([j for j in range(n) if avail[j][s]])

    bound = best.cost if (best is not None and not want_split) else _NO_BOUND
    if want_split and split_bound is not None:
        bound = split_bound

    def record(cost: int, members: list[int], slowest: int) -> None:
        nonlocal best, best_split, bound
        key = (cost, len(members), slowest, tuple(sorted(cands[j].rank for j in members)))
        found = None
        if best is None or key < best.key:
            found = Found(key, tuple(cands[j] for j in members))
            best = found
            if not want_split:
                bound = cost
        if want_split and (best_split is None or key < best_split.key):
            best_split = found or Found(key, tuple(cands[j] for j in members))
            bound = cost

    def reachable(start: int, need: list[int]) -> bool:
        """Do the locations from position ``start`` on hold enough of what is missing?"""
        return all(not need[s] or units_from[s][start] >= need[s] for s in skus)

    def explore(
        last: int, members: list[int], need: list[int], sum_fixed: int, perlb_cost: int,
        slowest: int,
    ) -> None:  # fmt: skip
        m = len(members)
        need_weight = 0
        need_units = 0
        for s in skus:
            if need[s]:
                need_weight += need[s] * weights[s]
                need_units += need[s]
        so_far = sum_fixed + split_penalty * m + perlb_cost
        start = last + 1
        if m + 1 == max_packages:
            # Last slot: only a location that covers everything still missing will do;
            # walk the holders of the scarcest missing SKU.
            scarce = min(
                (s for s in skus if need[s]),
                key=lambda s: len(holders[s]) - bisect_left(holders[s], start),
            )
            held = holders[scarce]
            for i in range(bisect_left(held, start), len(held)):
                j = held[i]
                if (so_far + per_lb[j] * need_weight + fixed_from[j]
                        + day_cost * max(slowest, transit_from[j]) > bound):  # fmt: skip
                    break
                a = avail[j]
                if all(a[s] >= need[s] for s in skus):
                    days = max(slowest, transit[j])
                    cost = so_far + fixed[j] + per_lb[j] * need_weight + day_cost * days
                    if cost <= bound:
                        record(cost, [*members, j], days)
            return
        deeper: list[tuple[int, int, list[int], int, int, int]] = []
        for j in range(start, n):
            p = per_lb[j]
            if (so_far + p * need_weight + fixed_from[j]
                    + day_cost * max(slowest, transit_from[j]) > bound):  # fmt: skip
                break
            a = avail[j]
            taken_weight = 0
            taken_units = 0
            rest = list(need)
            for s in skus:
                r = rest[s]
                if r and a[s]:
                    t = a[s] if a[s] < r else r
                    rest[s] = r - t
                    taken_weight += t * weights[s]
                    taken_units += t
            if not taken_units:
                continue  # would be idle: holds nothing still missing
            days = max(slowest, transit[j])
            new_fixed = sum_fixed + fixed[j]
            new_perlb = perlb_cost + p * taken_weight
            if taken_units == need_units:  # nothing missing any more
                cost = new_fixed + split_penalty * m + new_perlb + day_cost * days
                if cost <= bound:
                    record(cost, [*members, j], days)
                continue
            if m + 2 > max_packages or not reachable(j + 1, rest):
                continue
            lower = (new_fixed + split_penalty * (m + 1) + new_perlb
                     + p * (need_weight - taken_weight) + fixed_from[j + 1]
                     + day_cost * max(days, transit_from[j + 1]))  # fmt: skip
            if lower <= bound:
                deeper.append((lower, j, rest, new_fixed, new_perlb, days))
        # Children that finish the order were tried first; now the ones that need more,
        # cheapest bound first, so a good incumbent prunes the rest.
        deeper.sort(key=lambda d: d[0])
        for lower, j, rest, new_fixed, new_perlb, days in deeper:
            if lower > bound:
                break
            explore(j, [*members, j], rest, new_fixed, new_perlb, days)

    root_need = list(quantities)
    for j in range(n):
        c = cands[j]
        if (c.per_lb * total_weight + fixed_from[j] + split_penalty
                + day_cost * transit_from[j] + fixed_from[j + 1] > bound):  # fmt: skip
            break
        a = c.available
        if a == whole:
            continue  # complete: a single (above); anything added after it would be idle
        taken_weight = 0
        taken_units = 0
        rest = list(root_need)
        for s in skus:
            t = a[s] if a[s] < rest[s] else rest[s]
            rest[s] -= t
            taken_weight += t * weights[s]
            taken_units += t
        if not taken_units or not reachable(j + 1, rest):
            continue
        explore(j, [j], rest, c.fixed, c.per_lb * taken_weight, c.transit_days)

    return SearchResult(singles, best, best_split)
