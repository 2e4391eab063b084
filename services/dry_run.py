"""A dry run of proposed routing rules: recent orders routed again against the stock on
the shelves now, once under the rules in force and once under the proposal, with what
would change. Nothing is reserved or installed; the engine is ``dom simulate``'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.models import Network, PlacedOrder
from domain.orders import OrderView
from domain.routing.rules import Rules
from domain.routing.simulate import replay


@dataclass(frozen=True)
class Moved:
    """An order the proposal would send elsewhere."""

    order_id: str
    before: list[str]
    after: list[str]
    cost_before: Decimal | None
    cost_after: Decimal | None


@dataclass(frozen=True)
class DryRun:
    orders: int
    current: dict[str, Any]  # simulate's summary: mean_cost, split_rate, units_by_location...
    proposed: dict[str, Any]
    moved: list[Moved]


def as_placed(view: OrderView) -> PlacedOrder:
    """The order as checkout placed it, from its state (what the router is asked)."""
    return PlacedOrder(
        order_id=view.order_id,
        customer=view.customer,
        ship_to=view.ship_to,
        lines=view.lines,
        service_level=view.service_level,
        delivery=view.delivery,
        pickup_location_id=view.pickup_location_id,
    )


def _where(decision: dict[str, Any]) -> list[str]:
    return sorted({p["location_id"] for p in decision["packages"]})


def _cost(decision: dict[str, Any]) -> Decimal | None:
    return Decimal(decision["cost"]) if decision.get("cost") is not None else None


def dry_run(
    network: Network, orders: Sequence[PlacedOrder], current: Rules, proposed: Rules
) -> DryRun:
    """Route ``orders`` (oldest first) under each set of rules, each run from the same
    stock (``network``'s ``Location.stock``), and compare."""
    placed: Any = orders  # replay reads only what PlacedOrder and OrderRequest share
    before = replay(network, placed, current, current.policy, name="in force")
    after = replay(network, placed, proposed, proposed.policy, name="proposed")
    moved = [
        Moved(b["order_id"], _where(b), _where(a), _cost(b), _cost(a))
        for b, a in zip(before.decisions, after.decisions, strict=True)
        if _where(b) != _where(a)
    ]
    return DryRun(len(orders), before.summary, after.summary, moved)
