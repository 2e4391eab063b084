"""The search alone, on made-up candidates: larger than brute force over units allows.

Here the reference enumerates every subset of up to ``max_packages`` locations, fills each
greedily (the fact the search rests on, checked against unit brute force elsewhere) and
keeps the best key; the search must find the same best plan and the same best split.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.routing.search import Candidate, PlanKey, fill_order, search


def reference(
    pool: Sequence[Candidate],
    quantities: Sequence[int],
    weights: Sequence[int],
    max_packages: int,
    split: int,
    day: int,
) -> tuple[PlanKey | None, PlanKey | None]:
    best: PlanKey | None = None
    best_split: PlanKey | None = None
    for size in range(1, max_packages + 1):
        for members in itertools.combinations(pool, size):
            need = list(quantities)
            used = []
            perlb = 0
            for c in fill_order(members):
                took = 0
                for s, r in enumerate(need):
                    t = min(r, c.available[s])
                    need[s] -= t
                    perlb += t * weights[s] * c.per_lb
                    took += t
                used.append(took > 0)
            if any(need) or not all(used):
                continue  # short, or someone idle (a smaller set covers it)
            days = max(c.transit_days for c in members)
            cost = sum(c.fixed for c in members) + perlb + split * (size - 1) + day * days
            key = (cost, size, days, tuple(sorted(c.rank for c in members)))
            if best is None or key < best:
                best = key
            if size > 1 and (best_split is None or key < best_split):
                best_split = key
    return best, best_split


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Candidate], list[int], list[int], int, int, int]:
    skus = draw(st.integers(1, 4))
    quantities = [draw(st.integers(1, 3)) for _ in range(skus)]
    weights = [draw(st.sampled_from([1, 2, 5])) for _ in range(skus)]
    n = draw(st.integers(1, 9))
    ranks = draw(st.permutations(range(n)))
    pool = []
    for i in range(n):
        zone = draw(st.integers(0, 3))
        pool.append(
            Candidate(
                rank=ranks[i],
                # Few distinct values, so equal costs (and the tie-break) come up often.
                fixed=10 + 2 * zone + draw(st.sampled_from([0, 1, 3])),
                per_lb=1 + zone,
                transit_days=1 + zone // 2,
                available=tuple(min(q, draw(st.sampled_from([0, 0, 1, 2, 3]))) for q in quantities),
            )
        )
    return (
        pool,
        quantities,
        weights,
        draw(st.integers(1, 4)),
        draw(st.sampled_from([0, 1, 4])),
        draw(st.sampled_from([0, 1, 3])),
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_search_finds_the_best_plan_and_the_best_split(case) -> None:
    pool, quantities, weights, max_packages, split, day = case
    result = search(pool, quantities, weights, max_packages, split, day)
    best, best_split = reference(pool, quantities, weights, max_packages, split, day)
    assert (result.best.key if result.best else None) == best
    assert (result.best_split.key if result.best_split else None) == best_split


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_search_without_the_split_still_finds_the_best_plan(case) -> None:
    pool, quantities, weights, max_packages, split, day = case
    result = search(pool, quantities, weights, max_packages, split, day, want_split=False)
    best, _ = reference(pool, quantities, weights, max_packages, split, day)
    assert (result.best.key if result.best else None) == best


def test_equal_costs_go_to_the_first_ids_even_when_the_search_meets_them_last() -> None:
    # Two ways to ship A + B at the same cost: NEAR (cheap per lb) with FAR, or ALT, whose
    # dearer per-lb rate is exactly offset by a lower fixed cost, with FAR. The search
    # meets NEAR first (fill order is per-lb rate), but ALT has the earlier id (rank 0).
    near = Candidate(rank=5, fixed=100, per_lb=2, transit_days=1, available=(1, 0))
    alt = Candidate(rank=0, fixed=97, per_lb=5, transit_days=1, available=(1, 0))
    far = Candidate(rank=3, fixed=120, per_lb=6, transit_days=3, available=(0, 1))
    result = search([near, alt, far], [1, 1], [1, 1], 2, 0, 0)
    assert result.best is not None
    assert result.best.key == (100 + 2 + 120 + 6, 2, 3, (0, 3))


def test_a_single_beats_an_equally_priced_split() -> None:
    whole = Candidate(rank=9, fixed=200, per_lb=1, transit_days=2, available=(1, 1))
    part_a = Candidate(rank=0, fixed=100, per_lb=1, transit_days=2, available=(1, 0))
    part_b = Candidate(rank=1, fixed=100, per_lb=1, transit_days=2, available=(0, 1))
    result = search([whole, part_a, part_b], [1, 1], [1, 1], 3, 0, 0)
    assert result.best is not None and result.best_split is not None
    assert result.best.key == (202, 1, 2, (9,))  # same cost as the split, fewer packages
    assert result.best_split.key == (202, 2, 2, (0, 1))


def test_nothing_is_found_when_stock_is_short() -> None:
    only = Candidate(rank=0, fixed=1, per_lb=1, transit_days=1, available=(1,))
    result = search([only], [2], [1], 3, 0, 0)
    assert result.best is None and result.best_split is None and result.singles == []
