"""``route()``: for one order, the plan of least cost under the rules, its runners-up and why.

Priority comes before cost, lexicographically: the winner is the cheapest plan among
those whose worst (highest-numbered) priority tier is as low as possible. In practice the
engine tries tier 1 alone, then tiers 1-2, and so on (unranked locations last), and
stops at the first pool that can fill the order. Within a pool, ties on cost go to fewer
packages, then fewer transit days, then the alphabetically first set of location ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np

from domain.errors import UnknownLocation
from domain.models import DeliveryType, Network
from domain.routing import baselines
from domain.routing.costing import to_dollars
from domain.routing.network import UNRANKED_TIER, RoutingNetwork
from domain.routing.plans import (
    PricedPlan,
    greedy_allocation,
    plan_fields,
    price,
    price_single,
    to_plan,
)
from domain.routing.prices import PriceView, StockPrices
from domain.routing.problem import OrderProblem, build_problem, why_not
from domain.routing.rules import Rules, default_rules
from domain.routing.search import Found
from domain.routing.selection import best_split, explain_opportunity, single_plans
from domain.routing.types import RoutingDecision, RoutingRequest, StockSnapshot

Policy = Literal["optimal", "lookahead", "closest_first", "single_location_first"]
POLICIES: tuple[str, ...] = get_args(Policy)


def route(
    request: RoutingRequest,
    network: Network,
    stock: StockSnapshot,
    rules: Rules | None = None,
    *,
    orders_today: Mapping[str, int] | None = None,
    policy: Policy | None = None,
    prices: StockPrices | None = None,
) -> RoutingDecision:
    """Route one order: the exact least-cost plan (or a baseline ``policy``), with alternatives.

    ``stock`` is sku -> location id -> units free to promise (safety stock is subtracted
    here); ``orders_today`` counts orders each location has taken today, for capacity.
    ``rules`` None means the built-in rules. Pure: reads its arguments, changes nothing.
    ``policy`` None means the rules' ``policy``. ``"lookahead"`` adds to each plan the
    opportunity cost of the units it takes, read from ``prices``
    (``prices.compute_prices``); without prices it is ``optimal``.
    Raises ``UnknownSku`` for a SKU that is not in the network's catalogue.
    """
    rules = rules if rules is not None else default_rules()
    policy = policy or rules.policy
    net = RoutingNetwork.build(network)
    skipped = net.bind(rules).uncostable
    if skipped:  # one bad setting harms one location, not every order
        request = request.model_copy(
            update={"exclude_location_ids": sorted({*request.exclude_location_ids, *skipped})}
        )
    decision = _route(request, net, stock, rules, orders_today, policy, prices)
    if skipped:
        note = "; ".join(f"skipped {loc}: {why}" for loc, why in sorted(skipped.items()))
        decision.explanation = f"{decision.explanation} ({note})" if decision.explanation else note
        if decision.reason:
            decision.reason = f"{decision.reason} ({note})"
    return decision


def _route(
    request: RoutingRequest,
    net: RoutingNetwork,
    stock: StockSnapshot,
    rules: Rules,
    orders_today: Mapping[str, int] | None,
    policy: Policy,
    prices: StockPrices | None,
) -> RoutingDecision:
    problem = build_problem(request, net, stock, rules, orders_today)
    if policy == "optimal":
        return _optimal(problem, stock)
    if policy == "lookahead":
        view = prices.view(problem) if prices is not None else None
        if view is not None and view.priced:
            return _optimal(problem, stock, view)
        # No unit this order could take is priced: cost plus opportunity is the cost, and
        # the plain search is exact for it (and quicker: it has a common walk order).
        decision = _optimal(problem, stock)
        decision.policy = "lookahead"
        if view is not None and decision.plan is not None:
            decision.explanation = (
                f"{decision.explanation} Opportunity cost of the stock it takes: $0.00 "
                f"(shipping ${decision.plan.cost})."
            )
        return decision
    if policy == "closest_first":
        allocation = baselines.closest_first_allocation(problem)
    elif policy == "single_location_first":
        allocation = baselines.single_location_first_allocation(problem)
    else:
        raise ValueError(f"unknown routing policy {policy!r}; choose one of {POLICIES}")
    if allocation is None:
        return _unfulfillable(problem, stock, policy)
    priced = price(problem, allocation)
    return RoutingDecision(
        order_id=request.order_id,
        status="routed",
        plan=to_plan(problem, priced),
        rules_version=rules.version,
        explanation=f"{policy} baseline: the nearest stock, not the cheapest plan.",
        policy=policy,
    )


def closest_first(
    request: RoutingRequest,
    network: Network,
    stock: StockSnapshot,
    rules: Rules | None = None,
    *,
    orders_today: Mapping[str, int] | None = None,
) -> RoutingDecision:
    """Baseline: each SKU from the nearest location that has it, then the next."""
    return route(request, network, stock, rules, orders_today=orders_today, policy="closest_first")


def single_location_first(
    request: RoutingRequest,
    network: Network,
    stock: StockSnapshot,
    rules: Rules | None = None,
    *,
    orders_today: Mapping[str, int] | None = None,
) -> RoutingDecision:
    """Baseline: the nearest location holding the whole order, else ``closest_first``."""
    return route(
        request, network, stock, rules, orders_today=orders_today, policy="single_location_first"
    )


def _covers(problem: OrderProblem, rows: np.ndarray) -> bool:
    held = problem.available[rows].sum(axis=0)
    return bool((held >= np.asarray(problem.quantities, dtype=np.int64)).all())


def _optimal(
    problem: OrderProblem, stock: StockSnapshot, prices: PriceView | None = None
) -> RoutingDecision:
    """The exact optimum; with ``prices`` (the lookahead policy) of cost plus opportunity cost."""
    everyone = np.arange(len(problem.ranks))
    tier_of = problem.net.tier_array[problem.ranks]
    tiers: list[int | None] = [None]
    if problem.rules.use_priority and len(tier_of) and tier_of.min() != tier_of.max():
        ranked = np.unique(tier_of).tolist()
        if len(ranked) > 1:
            tiers = [*ranked[:-1], None]  # the last tier is everyone
    limit = problem.rules.max_alternatives
    wanted = None if limit is None else max(limit, 1) + 1  # the explanation names the runner-up
    every_single = single_plans(problem, everyone, prices, limit=wanted)
    for tier in tiers:
        rows = everyone if tier is None else everyone[tier_of <= tier]
        if not len(rows) or not _covers(problem, rows):
            continue
        singles = every_single if tier is None else single_plans(problem, rows, prices, limit=1)
        split = best_split(problem, rows, prices, singles[0] if singles else None)
        best = min((f for f in (*singles[:1], split) if f is not None), key=lambda f: f.key,
                   default=None)  # fmt: skip
        if best is not None:
            break
    else:
        return _unfulfillable(problem, stock, "optimal" if prices is None else "lookahead")

    winner = _priced(problem, best, prices)
    others = [f for f in every_single if f.key != winner.key]
    if limit is not None:
        others = others[: max(limit, 1)]
    runners = [price_single(problem, f, prices) for f in others]
    best_split_plan = _priced(problem, split, prices) if split is not None else None
    shown = runners if limit is None else runners[:limit]
    alternatives = [plan_fields(problem, p) for p in shown]
    if best_split_plan is not None and best_split_plan.key != winner.key:
        alternatives.append(plan_fields(problem, best_split_plan))
    explanation = _explain(problem, winner, runners, best_split_plan, tier)
    if prices is not None:
        explanation = explain_opportunity(problem, winner, runners, prices, explanation)
    return RoutingDecision.model_validate(
        {
            "order_id": problem.request.order_id,
            "status": "routed",
            "plan": plan_fields(problem, winner),
            "alternatives": alternatives,
            "rules_version": problem.rules.version,
            "explanation": explanation,
            "policy": "optimal" if prices is None else "lookahead",
        }
    )


def _priced(problem: OrderProblem, found: Found, prices: PriceView | None = None) -> PricedPlan:
    allocation = greedy_allocation(found.members, problem.quantities, prices, problem.weights)
    priced = price(problem, allocation, prices)
    # The search sums the same terms inline; a mismatch would be a bug in one of them.
    assert priced.key == found.key, (priced.key, found.key)
    return priced


def _names(problem: OrderProblem, plan: PricedPlan) -> str:
    return " + ".join(problem.location(c.rank).name for c, _ in plan.allocation)


def _days(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def _explain(
    problem: OrderProblem,
    winner: PricedPlan,
    runners: list[PricedPlan],
    split: PricedPlan | None,
    tier: int | None,
) -> str:
    """One or two sentences on why the winner won, for support and planners.

    Under lookahead plans compare on cost plus the value of the stock they take, and the
    sentences say so; the amounts shown are still what shipping costs."""
    request = problem.request
    adjusted = winner.opportunity > 0 or any(r.opportunity > 0 for r in runners)
    counting = " counting the value of the stock it takes" if adjusted else ""
    valued = " with the stock's value" if adjusted else ""
    name = _names(problem, winner)
    cost = to_dollars(winner.cost)
    if request.delivery is DeliveryType.PICKUP:
        return f"Pickup at {name}, as the customer chose: ${cost} handling, no shipping."
    if request.force_location_id is not None:
        return f"{name} was required by the request: ${cost}, {_days(winner.transit_days)}."
    parts = []
    if tier is not None:
        shown = "unranked" if tier == UNRANKED_TIER else str(tier)
        parts.append(
            f"Locations of priority {shown} or better can fill the order, so lower-priority "
            "locations were only considered as alternatives."
        )
    packages = len(winner.allocation)
    if packages == 1:
        parts.append(
            f"{name} holds the whole order and is cheapest{counting}: ${cost}, "
            f"{_days(winner.transit_days)}."
        )
        if runners:
            nxt = runners[0]
            gap = to_dollars(nxt.key[0] - winner.key[0])
            if nxt.key[0] == winner.key[0]:
                parts.append(
                    f"{_names(problem, nxt)} costs the same; {name} wins the tie-break "
                    "(fewer packages, then fewer days, then location id)."
                )
            else:
                parts.append(
                    f"Next best single location: {_names(problem, nxt)} at "
                    f"${to_dollars(nxt.cost)}, {_days(nxt.transit_days)} (${gap} more{valued})."
                )
        if split is not None and split.key != winner.key:
            parts.append(
                f"The best split, {_names(problem, split)}, would cost ${to_dollars(split.cost)}."
            )
        return " ".join(parts)
    singles = [r for r in runners if len(r.allocation) == 1]
    if not singles:
        parts.append(
            f"No eligible location holds the whole order, so it ships in {packages} packages: "
            f"{name}, ${cost}, {_days(winner.transit_days)}."
        )
    else:
        best_single = singles[0]
        parts.append(
            f"Splitting into {packages} packages ({name}) at ${cost} beats the cheapest "
            f"single location, {_names(problem, best_single)} at "
            f"${to_dollars(best_single.cost)}, by "
            f"${to_dollars(best_single.key[0] - winner.key[0])}{valued}."
        )
    return " ".join(parts)


def _unfulfillable(problem: OrderProblem, stock: StockSnapshot, policy: str) -> RoutingDecision:
    return RoutingDecision(
        order_id=problem.request.order_id,
        status="unfulfillable",
        rules_version=problem.rules.version,
        reason=diagnose(problem, stock),
        policy=policy,
    )


def diagnose(problem: OrderProblem, stock: StockSnapshot) -> str:
    """Why no plan exists, in words a person can act on (the slow path: unroutable only)."""
    request = problem.request
    net = problem.net
    for named, what in (
        (request.force_location_id, "forced location"),
        (request.pickup_location_id if request.delivery is DeliveryType.PICKUP else None,
         "pickup location"),
    ):  # fmt: skip
        if named is not None and named not in net.index:
            raise UnknownLocation(f"the {what} {named!r} is not in the network")
    reasons = {loc.id: why_not(problem, loc) for loc in net.locations}
    eligible = [loc_id for loc_id, why in reasons.items() if why is None]
    single = request.force_location_id or (
        request.pickup_location_id if request.delivery is DeliveryType.PICKUP else None
    )
    if not eligible:
        if single is not None and reasons.get(single):
            return f"{single} cannot fill it: {reasons[single]}"
        counts: dict[str, int] = {}
        for why in reasons.values():
            assert why is not None
            counts[why] = counts.get(why, 0) + 1
        summary = ", ".join(f"{n} {why}" for why, n in sorted(counts.items()))
        return f"no location may fill this order ({summary})"
    safety = problem.binding.safety
    short = []
    for sku, quantity in zip(problem.skus, problem.quantities, strict=True):
        usable = held = elsewhere = 0
        for loc_id, units in (stock.get(sku) or {}).items():
            i = net.index.get(loc_id)
            if i is None:
                continue
            if reasons[loc_id] is None:
                usable += max(units - safety[i], 0)
                held += min(units, safety[i])
            else:
                elsewhere += units
        if usable < quantity:
            where = f"at {single}" if single else "at eligible locations"
            detail = []
            if held:
                detail.append(f"{held} held back as safety stock")
            if elsewhere:
                detail.append(f"{elsewhere} at locations ruled out")
            extra = f" ({'; '.join(detail)})" if detail else ""
            short.append(f"{sku}: need {quantity}, {usable} available {where}{extra}")
    if short:
        return "short of stock: " + "; ".join(short)
    return (
        f"no plan fits in {problem.max_packages} package(s) (max_packages): the stock is "
        "spread over more locations than that"
    )
