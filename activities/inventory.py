"""Inventory side effects as activities: thin doors to the service layer.

Every call is idempotent: allocation is keyed by (order, allocation key) in the store,
so a retry returns the first answer; releasing or committing twice changes nothing. A
business error fails the activity for good; anything else is retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from temporalio import activity

from activities.errors import business_errors_are_final
from activities.messages import CommitRequest, ReleaseRequest
from activities.names import (
    ALLOCATE,
    COMMIT_SHIPMENT,
    RECORD_BACKORDER,
    RECORD_SHORTFALL,
    RELEASE_RESERVATIONS,
)
from adapters import metrics
from adapters.network_cache import NetworkCache
from adapters.order_signals import tell_stock_arrived
from adapters.store import InventoryStore
from domain.orders import Allocation, AllocationRequest, BackorderRecord, ShortfallRecord
from domain.routing.price_board import PriceBoard
from domain.routing.rules import Rules
from services import backorders, inventory


class OrdersOfThisWorker:
    """The orders, told through the client this activity's worker runs on."""

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        return await tell_stock_arrived(activity.client(), order_ids, skus)


class InventoryActivities:
    def __init__(
        self,
        store: InventoryStore,
        rules: Callable[[], Rules | None] = lambda: None,
        prices: PriceBoard | None = None,
        catalog: NetworkCache | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog or NetworkCache(store)
        self._rules = rules
        self._prices = prices

    @activity.defn(name=ALLOCATE)
    @business_errors_are_final
    def allocate(self, request: AllocationRequest) -> Allocation:
        """Route the lines and reserve the winning plan atomically; re-route on a lost race."""
        started = time.perf_counter()
        allocation = inventory.allocate(
            self._store, self._catalog, self._rules(), request, self._prices
        )
        decision = allocation.decision
        metrics.record_allocation(
            time.perf_counter() - started,
            routed=decision.status == "routed",
            dry_run=request.dry_run,
            cost=decision.plan.cost if decision.plan else None,
            packages=len(allocation.fulfillments),
            reroute_reason=request.reroute_reason,
        )
        return allocation

    @activity.defn(name=RELEASE_RESERVATIONS)
    @business_errors_are_final
    async def release_reservations(self, request: ReleaseRequest) -> int:
        """Give back reserved units, then wake the orders backordered on them; releasing
        what is not reserved is a no-op.

        Whatever released the units (a cancel, a rejection, a timeout, a failed order),
        another order waiting for them hears of it at once."""
        released = await inventory.release(
            self._store,
            OrdersOfThisWorker(),
            request.order_id,
            request.fulfillment_id,
            reason=request.reason,
            actor="system",
        )
        # Counted when units came back: a retry of a release that went through releases
        # nothing and counts nothing.
        if request.outcome == "timed_out" and request.location_id and released:
            metrics.SLA_BREACHES.labels(request.location_id).inc()
        return sum(released.values())

    @activity.defn(name=COMMIT_SHIPMENT)
    @business_errors_are_final
    def commit_shipment(self, request: CommitRequest) -> int:
        """The package left: its reserved units leave on-hand stock (once)."""
        return inventory.commit_shipment(
            self._store, request.order_id, request.fulfillment_id, actor="system"
        )

    @activity.defn(name=RECORD_SHORTFALL)
    @business_errors_are_final
    def record_shortfall(self, record: ShortfallRecord) -> None:
        """A short pick: correct the reservation and the location's count (idempotent)."""
        inventory.record_shortfall(self._store, record)

    @activity.defn(name=RECORD_BACKORDER)
    @business_errors_are_final
    def record_backorder(self, record: BackorderRecord) -> None:
        """Note which SKUs the order waits for, so a receipt or count can wake it."""
        backorders.record_backorder(self._store, record.order_id, record.skus)
