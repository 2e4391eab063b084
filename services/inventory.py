"""An order's stock: route and reserve it (allocate), give it back (release), ship it
(commit), and correct it after a short pick.

Plain functions over the store's ports (each store method is one transaction). The
allocate activity and ``POST /promise`` route through here, so a promise and the
allocation of the order placed right after it see the same inputs; a release wakes the
orders waiting for its units through ``services.backorders``. Stock movements and reads
are in ``services.stock``.
"""

from __future__ import annotations

import asyncio
import logging

from adapters import metrics
from adapters.store import PackageReservation
from domain.errors import OutOfStock, UnknownLocation, UnknownSku
from domain.ids import fulfillment_id
from domain.models import Location, Network
from domain.orders import (
    Allocation,
    AllocationRequest,
    FulfillmentRequest,
    OrderPolicy,
    ShortfallRecord,
)
from domain.routing import RoutingDecision, RoutingRequest, route
from domain.routing.price_board import PriceBoard
from domain.routing.prices import StockPrices
from domain.routing.rules import Rules, default_rules, safety_stock_for
from services.backorders import StockFreed, stock_freed
from services.ports import (
    NetworkCatalog,
    Reservations,
    ReservationStore,
    StockListeners,
    StockReads,
)

log = logging.getLogger(__name__)

MAX_RACE_RETRIES = 8


class StockKeptMoving(RuntimeError):
    """Every plan tried lost its reservation race: not a business refusal, try again."""


# --- routing and allocation ---------------------------------------------------------------


def routing_request(request: AllocationRequest) -> RoutingRequest:
    """What the routing engine is asked for an allocation."""
    return RoutingRequest(
        order_id=request.order_id,
        dest_lat=request.dest_lat,
        dest_lon=request.dest_lon,
        lines=request.lines,
        service_level=request.service_level,
        delivery=request.delivery,
        pickup_location_id=request.pickup_location_id,
        exclude_location_ids=request.exclude_location_ids,
        force_location_id=request.force_location_id,
        channel=request.channel,
    )


def route_on_live_stock(
    store: StockReads,
    network: Network,
    rules: Rules,
    requests: list[AllocationRequest],
    prices: StockPrices | None = None,
) -> list[RoutingDecision]:
    """Route each request on one read of the store's stock and today's order counts.

    Allocation and ``POST /promise`` both route through here, so a promise and the
    allocation of the order placed right after it see the same inputs. ``prices`` are
    what ``lookahead`` reads when the rules choose it (None: it routes as ``optimal``).
    """
    stock = store.stock_snapshot({line.sku for r in requests for line in r.lines})
    orders_today = store.orders_today()

    def decide(request: AllocationRequest) -> RoutingDecision:
        try:
            return route(
                routing_request(request), network, stock, rules,
                orders_today=orders_today, prices=prices,
            )  # fmt: skip
        except (UnknownSku, UnknownLocation) as exc:
            # The network changed under the order (a SKU or a store removed): no plan today,
            # which the order handles like any other (backorder), not a crashed workflow.
            return RoutingDecision(
                order_id=request.order_id, status="unfulfillable", reason=str(exc)
            )

    return [decide(r) for r in requests]


def allocate(
    store: ReservationStore,
    catalog: NetworkCatalog,
    rules: Rules | None,
    request: AllocationRequest,
    prices: PriceBoard | None = None,
) -> Allocation:
    """Route the lines and reserve the winning plan atomically; re-route on a lost race.

    Idempotent on ``request.allocation_key``: a repeat returns the first answer. A dry
    run routes and reserves nothing. With a ``prices`` board, ``lookahead`` (when the
    rules choose it) routes on the board's current prices, and the order's demand is
    observed into the board after it is routed, never before (routed or not: demand
    the network could not serve is still demand)."""
    if not request.dry_run:
        stored = store.find_allocation(request.order_id, request.allocation_key)
        if stored is not None:
            return Allocation.model_validate_json(stored)
    rules = rules or default_rules()
    try:
        return _allocate(store, catalog, rules, request, _prices_for(rules, prices))
    finally:
        if prices is not None and not request.dry_run:
            prices.observe(routing_request(request))


def _prices_for(rules: Rules, board: PriceBoard | None) -> StockPrices | None:
    """The prices to route with: the board's latest, only while the rules choose lookahead."""
    return board.current if board is not None and rules.policy == "lookahead" else None


def _allocate(
    store: ReservationStore,
    catalog: NetworkCatalog,
    rules: Rules,
    request: AllocationRequest,
    prices: StockPrices | None,
) -> Allocation:
    for _ in range(MAX_RACE_RETRIES):
        network = catalog.network()
        [decision] = route_on_live_stock(store, network, rules, [request], prices)
        policy = OrderPolicy(
            backorder_window=network.backorder_window, max_reroutes=network.max_reroutes
        )
        if decision.status != "routed" or decision.plan is None or request.dry_run:
            return Allocation(decision=decision, policy=policy)
        locations = {loc.id: loc for loc in network.locations}
        allocation = Allocation(
            decision=decision,
            fulfillments=_fulfillments(request, decision, network, locations),
            policy=policy,
        )
        packages = [
            PackageReservation(
                fulfillment_id=f.fulfillment_id,
                location_id=f.location_id,
                lines={line.sku: line.quantity for line in f.lines},
                safety_stock={
                    line.sku: safety_stock_for(locations[f.location_id], rules) for line in f.lines
                },
            )
            for f in allocation.fulfillments
        ]
        try:
            stored = store.reserve_plan(
                request.order_id,
                request.allocation_key,
                packages,
                allocation.model_dump_json(),
                actor="system:allocate",
            )
        except OutOfStock as lost:
            metrics.RESERVATION_CONFLICTS.inc()
            log.info("order %s lost a reservation race (%s); re-routing", request.order_id, lost)
            continue
        return Allocation.model_validate_json(stored)
    raise StockKeptMoving(
        f"order {request.order_id}: stock kept moving under {MAX_RACE_RETRIES} routing attempts"
    )


def _fulfillments(
    request: AllocationRequest,
    decision: RoutingDecision,
    network: Network,
    locations: dict[str, Location],
) -> list[FulfillmentRequest]:
    assert decision.plan is not None
    return [
        FulfillmentRequest(
            fulfillment_id=fulfillment_id(
                request.order_id, request.first_fulfillment_number + offset
            ),
            order_id=request.order_id,
            location_id=package.location_id,
            lines=package.lines,
            ship_to=request.ship_to,
            customer_name=request.customer_name,
            personal=request.personal,
            service_level=request.service_level,
            delivery=request.delivery,
            sla=network.sla_for(locations[package.location_id]),
        )
        for offset, package in enumerate(decision.plan.packages)
    ]


# --- an order's reservations ----------------------------------------------------------------


async def release(
    store: Reservations,
    orders: StockListeners,
    order_id: str,
    fulfillment_id: str | None = None,
    *,
    reason: str,
    actor: str,
) -> dict[str, int]:
    """Give back one fulfillment's (or the whole order's) reserved units, then wake the
    other orders backordered on them; the units released by SKU. Releasing what is not
    reserved is a no-op (and wakes no one)."""
    released = await asyncio.to_thread(
        store.release_by_sku, order_id, fulfillment_id, reason=reason, actor=actor
    )
    await stock_freed(store, orders, StockFreed.of(released, freed_by=order_id))
    return released


def commit_shipment(store: Reservations, order_id: str, fulfillment_id: str, *, actor: str) -> int:
    """The package left: its reserved units leave on-hand stock (once)."""
    return store.commit_shipment(order_id, fulfillment_id, actor=actor)


def record_shortfall(store: Reservations, record: ShortfallRecord) -> None:
    """A short pick: the missing units leave the reservation and the location's count
    (an adjustment referencing the fulfillment). Idempotent on ``record.key``."""
    store.record_shortfall(
        record.order_id,
        record.fulfillment_id,
        record.location_id,
        {line.sku: line.quantity for line in record.missing},
        key=record.key,
        actor=f"location:{record.location_id}",
    )
