"""Inventory side effects: allocate (route + reserve), release, commit on shipment.

Every call is idempotent: allocation is keyed by (order, allocation key) in the store,
so a retry returns the first answer; releasing or committing twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import business_errors_are_final
from activities.messages import CommitRequest, ReleaseRequest
from activities.names import (
    ALLOCATE,
    COMMIT_SHIPMENT,
    RECORD_BACKORDER,
    RECORD_SHORTFALL,
    RELEASE_RESERVATIONS,
)
from adapters.catalog import Catalog
from adapters.order_gateway import tell_stock_arrived
from adapters.store import InventoryStore, PackageReservation
from domain.errors import OutOfStock, UnknownLocation, UnknownSku
from domain.ids import fulfillment_id
from domain.models import Location, Network
from domain.orders import (
    Allocation,
    AllocationRequest,
    BackorderRecord,
    FulfillmentRequest,
    OrderPolicy,
    ShortfallRecord,
)
from domain.routing import RoutingDecision, RoutingRequest, route
from domain.routing.rules import Rules, default_rules, safety_stock_for

log = logging.getLogger(__name__)

MAX_RACE_RETRIES = 8


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
    store: InventoryStore, network: Network, rules: Rules, requests: list[AllocationRequest]
) -> list[RoutingDecision]:
    """Route each request on one read of the store's stock and today's order counts.

    The allocate activity and ``POST /promise`` both route through here, so a promise
    and the allocation of the order placed right after it see the same inputs.
    """
    stock = store.stock_snapshot({line.sku for r in requests for line in r.lines})
    orders_today = store.orders_today()

    def decide(request: AllocationRequest) -> RoutingDecision:
        try:
            return route(routing_request(request), network, stock, rules, orders_today=orders_today)
        except (UnknownSku, UnknownLocation) as exc:
            # The network changed under the order (a SKU or a store removed): no plan today,
            # which the order handles like any other (backorder), not a crashed workflow.
            return RoutingDecision(
                order_id=request.order_id, status="unfulfillable", reason=str(exc)
            )

    return [decide(r) for r in requests]


class InventoryActivities:
    def __init__(
        self,
        store: InventoryStore,
        rules: Callable[[], Rules | None] = lambda: None,
    ) -> None:
        self._store = store
        self._catalog = Catalog(store)
        self._rules = rules

    @activity.defn(name=ALLOCATE)
    @business_errors_are_final
    def allocate(self, request: AllocationRequest) -> Allocation:
        """Route the lines and reserve the winning plan atomically; re-route on a lost race."""
        stored = None
        if not request.dry_run:
            stored = self._store.find_allocation(request.order_id, request.allocation_key)
        if stored is not None:
            return Allocation.model_validate_json(stored)
        for _ in range(MAX_RACE_RETRIES):
            network = self._catalog.network()
            rules = self._rules() or default_rules()
            [decision] = route_on_live_stock(self._store, network, rules, [request])
            policy = OrderPolicy(
                backorder_window=network.backorder_window, max_reroutes=network.max_reroutes
            )
            if decision.status != "routed" or decision.plan is None or request.dry_run:
                return Allocation(decision=decision, policy=policy)
            locations = {loc.id: loc for loc in network.locations}
            allocation = self._fulfillments(request, decision, network, locations)
            allocation.policy = policy
            packages = [
                PackageReservation(
                    fulfillment_id=f.fulfillment_id,
                    location_id=f.location_id,
                    lines={line.sku: line.quantity for line in f.lines},
                    safety_stock={
                        line.sku: safety_stock_for(locations[f.location_id], rules)
                        for line in f.lines
                    },
                )
                for f in allocation.fulfillments
            ]
            try:
                stored = self._store.reserve_plan(
                    request.order_id,
                    request.allocation_key,
                    packages,
                    allocation.model_dump_json(),
                    actor="system:allocate",
                )
            except OutOfStock as lost:
                log.info(
                    "order %s lost a reservation race (%s); re-routing", request.order_id, lost
                )
                continue
            return Allocation.model_validate_json(stored)
        raise ApplicationError(
            f"order {request.order_id}: stock kept moving under {MAX_RACE_RETRIES} routing attempts"
        )

    @activity.defn(name=RELEASE_RESERVATIONS)
    @business_errors_are_final
    async def release_reservations(self, request: ReleaseRequest) -> int:
        """Give back reserved units, then wake the orders backordered on them; releasing
        what is not reserved is a no-op.

        Whatever released the units (a cancel, a rejection, a timeout, a failed order),
        another order waiting for them hears of it at once. Waking is best effort: a
        backordered order also re-checks stock on its own timer."""
        released = await asyncio.to_thread(
            self._store.release_by_sku,
            request.order_id,
            request.fulfillment_id,
            reason=request.reason,
            actor="system",
        )
        if released:
            await self._wake(request.order_id, sorted(released))
        return sum(released.values())

    async def _wake(self, releasing_order: str, skus: list[str]) -> None:
        try:
            waiting = await asyncio.to_thread(self._store.backordered_orders, skus)
            others = [order_id for order_id in waiting if order_id != releasing_order]
            if others:
                await tell_stock_arrived(activity.client(), others, skus)
        except Exception:
            log.warning("could not wake the orders backordered on %s", skus, exc_info=True)

    @activity.defn(name=COMMIT_SHIPMENT)
    @business_errors_are_final
    def commit_shipment(self, request: CommitRequest) -> int:
        """The package left: its reserved units leave on-hand stock (once)."""
        return self._store.commit_shipment(request.order_id, request.fulfillment_id, actor="system")

    @activity.defn(name=RECORD_SHORTFALL)
    @business_errors_are_final
    def record_shortfall(self, record: ShortfallRecord) -> None:
        """A short pick: the missing units leave the reservation and the location's count
        (an adjustment referencing the fulfillment). Idempotent on ``record.key``."""
        self._store.record_shortfall(
            record.order_id,
            record.fulfillment_id,
            record.location_id,
            {line.sku: line.quantity for line in record.missing},
            key=record.key,
            actor=f"location:{record.location_id}",
        )

    @activity.defn(name=RECORD_BACKORDER)
    @business_errors_are_final
    def record_backorder(self, record: BackorderRecord) -> None:
        """Note which SKUs the order waits for, so a receipt or count can wake it."""
        self._store.record_backorder(record.order_id, record.skus)

    @staticmethod
    def _fulfillments(
        request: AllocationRequest,
        decision: RoutingDecision,
        network: Network,
        locations: dict[str, Location],
    ) -> Allocation:
        assert decision.plan is not None
        fulfillments = []
        for offset, package in enumerate(decision.plan.packages):
            location = locations[package.location_id]
            fulfillments.append(
                FulfillmentRequest(
                    fulfillment_id=fulfillment_id(
                        request.order_id, request.first_fulfillment_number + offset
                    ),
                    order_id=request.order_id,
                    location_id=location.id,
                    lines=package.lines,
                    ship_to=request.ship_to,
                    customer_name=request.customer_name,
                    service_level=request.service_level,
                    delivery=request.delivery,
                    sla=network.sla_for(location),
                )
            )
        return Allocation(decision=decision, fulfillments=fulfillments)
