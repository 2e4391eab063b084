"""Choosing among an order's candidates on a big network: singles by vector, splits by search.

On 2,000 locations a popular SKU has hundreds of holders. Single-location plans are
priced for all of them at once with numpy (exact int64 cost units) and sorted by the
plan key. The exact split search (``search.py``, or ``priced_search.py`` under
``lookahead``) walks only the candidates that could belong to a split no dearer than
one already known: a split holding location c costs at least ``fixed(c)`` + the
cheapest other package + the split penalty + every unit at its cheapest rate + the days
cost of the slower of c and the fastest location. The known split comes from the same
exact search run on the few most promising candidates first.
"""

from __future__ import annotations

import numpy as np

from domain.routing.costing import WEIGHT_SCALE, to_dollars
from domain.routing.plans import PricedPlan
from domain.routing.priced_search import fill_cost, search_priced
from domain.routing.prices import PriceView
from domain.routing.problem import OrderProblem
from domain.routing.search import Candidate, Found, search

SCOUTS = 20
"""Candidates searched first, for a split whose cost bounds the full search."""
WHOLE_POOL = 150
"""Pools up to this size are searched whole: scouting would cost more than it saves."""


def _weight(problem: OrderProblem) -> int:
    return sum(q * w for q, w in zip(problem.quantities, problem.weights, strict=True))


def _unit_costs(problem: OrderProblem, rows: np.ndarray, prices: PriceView | None) -> np.ndarray:
    """Cost units per unit of each order SKU from each candidate row (candidates x SKUs)."""
    per_lb = problem.costs.per_lb[problem.ranks[rows]]
    units: np.ndarray = per_lb[:, None] * np.asarray(problem.weights, dtype=np.int64)[None, :]
    if prices is not None:
        units = units + prices.extra[rows]
    return units


def single_plans(
    problem: OrderProblem, rows: np.ndarray, prices: PriceView | None, limit: int | None
) -> list[Found]:
    """The single-location plans among candidate ``rows``, best key first (``limit`` of them)."""
    quantities = np.asarray(problem.quantities, dtype=np.int64)
    complete = rows[(problem.available[rows] == quantities).all(axis=1)]
    if not len(complete):
        return []
    ranks = problem.ranks[complete]
    costs = problem.costs
    transit = costs.transit_days[ranks]
    cost = (
        costs.fixed[ranks] * WEIGHT_SCALE
        + costs.per_lb[ranks] * _weight(problem)
        + problem.day_cost * transit
    )
    if prices is not None:
        cost = cost + prices.extra[complete] @ quantities
    order = np.lexsort((ranks, transit, cost))
    if limit is not None:
        order = order[:limit]
    chosen = complete[order]
    cands = problem.candidates_at(chosen)
    return [
        Found((k, 1, c.transit_days, (c.rank,)), (c,))
        for k, c in zip(cost[order].tolist(), cands, strict=True)
    ]


def _search(
    problem: OrderProblem, rows: np.ndarray, prices: PriceView | None, bound: int | None = None
) -> Found | None:
    pool = problem.candidates_at(rows)
    if prices is None:
        return search(
            pool, problem.quantities, problem.weights, problem.max_packages,
            problem.split_penalty, problem.day_cost, split_bound=bound,
        ).best_split  # fmt: skip
    units = _unit_costs(problem, rows, prices).tolist()
    seed = _plain_split_priced(problem, pool, units, bound)
    if seed is not None:
        bound = seed if bound is None else min(bound, seed)
    return search_priced(
        pool, problem.quantities, units,
        problem.max_packages, problem.split_penalty, problem.day_cost, bound,
    ).best_split  # fmt: skip


def _plain_split_priced(
    problem: OrderProblem, pool: list[Candidate], units: list[list[int]], bound: int | None
) -> int | None:
    """Cost plus opportunity of the plain optimum's best split: a bound for the priced walk.

    Prices are sparse (most units are worth nothing extra), so the split that is best
    on cost alone is usually close to the best on cost plus opportunity, and the plain
    search finds it quickly (it has a common walk order). If its members' cheapest
    priced fill still uses every one of them, it is a genuine split whose adjusted cost
    bounds the best split from above, and the priced walk, which keeps plans equal to
    its bound, still finds the best split exactly. None when there is no such split.
    """
    plain = search(
        pool, problem.quantities, problem.weights, problem.max_packages,
        problem.split_penalty, problem.day_cost, split_bound=bound,
    ).best_split  # fmt: skip
    if plain is None:
        return None
    row = {c.rank: i for i, c in enumerate(pool)}
    members = plain.members
    filled = fill_cost(members, units, problem.quantities, [row[c.rank] for c in members])
    assert filled is not None  # the plain plan fills the order from these members
    if not all(any(taken) for taken in filled[1]):
        return None  # with prices a member falls idle: not a split, so no bound on splits
    return (
        filled[0] + sum(c.fixed for c in members)
        + problem.split_penalty * (len(members) - 1)
        + problem.day_cost * max(c.transit_days for c in members)
    )  # fmt: skip


SPLIT_SPAN = 1.5
"""Under lookahead, or on a pool of more than ``WHOLE_POOL`` candidates, a best split
dearer than this many times the best single is not looked for (shown as an alternative
only, it would cost the search more than the rest of the decision)."""


def _split_floor(problem: OrderProblem, rows: np.ndarray, prices: PriceView | None) -> np.ndarray:
    """Per row, a cost no genuine split holding that location can be below.

    Its package and the cheapest other, a split penalty, every unit at its cheapest
    anywhere plus its own cheapest unit's premium over that (it ships at least one unit),
    and the days of the slower of it and the fastest location.
    """
    quantities = np.asarray(problem.quantities, dtype=np.int64)
    ranks = problem.ranks[rows]
    fixed = problem.costs.fixed[ranks] * WEIGHT_SCALE
    transit = problem.costs.transit_days[ranks]
    units = _unit_costs(problem, rows, prices)
    cheapest = units.min(axis=0)
    premium = np.where(problem.available[rows] > 0, units - cheapest,
                       np.iinfo(np.int64).max).min(axis=1)  # fmt: skip
    floor: np.ndarray = (
        fixed + int(fixed.min()) + problem.split_penalty + int((cheapest * quantities).sum())
        + premium + problem.day_cost * np.maximum(transit, int(transit.min()))
    )  # fmt: skip
    return floor


def _bounded(
    problem: OrderProblem, rows: np.ndarray, prices: PriceView | None, bound: int
) -> Found | None:
    """The best split no dearer than ``bound`` (None if there is none), exactly.

    Locations that cannot belong to such a split are dropped first: on a big pool, and
    always under lookahead, where the walk has no common order to stop it early."""
    if prices is not None or len(rows) > WHOLE_POOL:
        rows = rows[_split_floor(problem, rows, prices) <= bound]
        if len(rows) < 2:
            return None
    return _search(problem, rows, prices, bound)


def best_split(
    problem: OrderProblem,
    rows: np.ndarray,
    prices: PriceView | None,
    best_single: Found | None = None,
) -> Found | None:
    """The cheapest genuine plan of two or more packages from candidate ``rows``, exactly.

    Under ``lookahead`` (``prices``), or on a pool of more than ``WHOLE_POOL``, with a
    ``best_single``, only splits up to ``SPLIT_SPAN`` times its cost are looked for: the
    answer is exact whenever a split could win, and None when every split is dearer.
    """
    if problem.max_packages < 2 or len(rows) < 2 or sum(problem.quantities) < 2:
        return None
    quantities = np.asarray(problem.quantities, dtype=np.int64)
    if prices is None and (problem.available[rows] == quantities).all():
        return None  # every candidate is complete: no genuine split (search.py, fact 2)
    if best_single is not None and (prices is not None or len(rows) > WHOLE_POOL):
        # One walk bounded at the span: it finds every split that could win, and the
        # best split to show when one is within the span.
        return _bounded(problem, rows, prices, int(best_single.cost * SPLIT_SPAN))
    if len(rows) <= WHOLE_POOL:
        return _search(problem, rows, prices)
    ranks = problem.ranks[rows]
    alone = (
        problem.costs.fixed[ranks] * WEIGHT_SCALE
        + problem.day_cost * problem.costs.transit_days[ranks]
        + _unit_costs(problem, rows, prices) @ quantities
    )
    # Scouts: the most promising locations, half of them short of something (a genuine
    # split needs one that is short, under optimal), so the scouting finds a split; if
    # none is found among a few, among four times as many.
    by_cost = np.argsort(alone, kind="stable")
    short = ~(problem.available[rows] == quantities).all(axis=1)
    short_by_cost = by_cost[short[by_cost]]
    size = SCOUTS
    known = None
    while known is None:
        if size >= len(rows):
            return _search(problem, rows, prices)
        picked = np.concatenate([short_by_cost[: size // 2], by_cost[: size // 2]])
        scouts = rows[np.unique(picked)]
        known = _search(problem, scouts, prices)
        size *= 4
    keep = rows[_split_floor(problem, rows, prices) <= known.cost]
    if len(keep) == len(scouts) and (keep == scouts).all():
        return known
    return _search(problem, keep, prices, known.cost)


def explain_opportunity(
    problem: OrderProblem,
    winner: PricedPlan,
    runners: list[PricedPlan],
    prices: PriceView,
    explanation: str,
) -> str:
    """The lookahead sentence: what the stock a plan takes is worth, and what that changed."""
    names = problem.net.names
    parts = [explanation]
    cheaper = [r for r in runners if r.cost < winner.cost]
    if cheaper:
        other = min(cheaper, key=lambda r: (r.cost, r.key))
        worth = _dearest_units(problem, other, prices)
        parts.append(
            f"{' + '.join(names[c.rank] for c, _ in other.allocation)} would ship it for "
            f"${to_dollars(other.cost)}, but {worth} worth "
            f"${to_dollars(other.opportunity)} to the customers expected near it, so this "
            f"order ships from {' + '.join(names[c.rank] for c, _ in winner.allocation)} "
            f"(${to_dollars(winner.cost - other.cost)} more in shipping, "
            f"${to_dollars(winner.opportunity)} of stock value used)."
        )
    else:
        parts.append(
            f"Opportunity cost of the stock it takes: ${to_dollars(winner.opportunity)} "
            f"(shipping ${to_dollars(winner.cost)})."
        )
    return " ".join(parts)


def _dearest_units(problem: OrderProblem, plan: PricedPlan, prices: PriceView) -> str:
    """``"Chicago store's 3 units of SKU-0001 are"``: the dearest stock a plan would take."""
    best = (0, "", 0, "")
    for c, units in plan.allocation:
        for s, u in enumerate(units):
            value = u * prices.at(c.rank, s)
            if u and value >= best[0]:
                best = (value, problem.net.names[c.rank], u, problem.skus[s])
    _, name, units_taken, sku = best
    if not name:
        return "its units are"
    if units_taken == 1:
        return f"{name}'s unit of {sku} is"
    return f"{name}'s {units_taken} units of {sku} are"
