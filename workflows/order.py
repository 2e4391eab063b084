"""The order: route and reserve, send each package to its location, see every package home.

This workflow only orchestrates. Routing, reservations and dispatch are activities
(idempotent, keyed by ids minted here); each package is a ``FulfillmentWorkflow``
child whose id derives from the order's, so the API can reach it directly.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.names import ALLOCATE
    from domain.fulfillment import TimelineEntry, is_delivered
    from domain.ids import fulfillment_workflow_id
    from domain.models import DeliveryType, FulfillmentStatus, OrderRequest, OrderStatus
    from domain.orders import Allocation, AllocationRequest, FulfillmentView, OrderView
    from domain.routing.types import RoutingLine
    from workflows.fulfillment import FulfillmentWorkflow


@workflow.defn
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderRequest) -> None:
        self._order = order
        self._view = OrderView(
            order_id=order.order_id,
            status=OrderStatus.RECEIVED,
            customer=order.customer,
            ship_to=order.ship_to,
            lines=order.lines,
            service_level=order.service_level,
            delivery=order.delivery,
            pickup_location_id=order.pickup_location_id,
        )
        self._next_fulfillment = 1
        self._allocations = 0

    @workflow.run
    async def run(self, order: OrderRequest) -> OrderView:
        self._record("received")
        allocation = await self._allocate(
            [RoutingLine(sku=sku, quantity=qty) for sku, qty in order.units_by_sku().items()]
        )
        if allocation.decision.status != "routed":
            return self._finish(OrderStatus.FAILED, allocation.decision.reason or "no plan")
        self._set_status(OrderStatus.FULFILLING)
        children = [
            await workflow.start_child_workflow(
                FulfillmentWorkflow.run,
                request,
                id=fulfillment_workflow_id(request.fulfillment_id),
            )
            for request in allocation.fulfillments
        ]
        results: list[FulfillmentView] = await asyncio.gather(*children)
        for result in results:
            self._close_fulfillment(result)
        if all(is_delivered(f.status) for f in self._view.fulfillments):
            done = (
                OrderStatus.PICKED_UP
                if self._order.delivery is DeliveryType.PICKUP
                else OrderStatus.SHIPPED
            )
            return self._finish(done)
        failed = [f for f in self._view.fulfillments if not is_delivered(f.status)]
        reasons = "; ".join(
            f"{f.fulfillment_id} {f.status.value}: {f.reason or ''}" for f in failed
        )
        return self._finish(OrderStatus.FAILED, reasons)

    @workflow.query
    def state(self) -> OrderView:
        return self._view

    async def _allocate(self, lines: list[RoutingLine]) -> Allocation:
        """Route and reserve in one idempotent activity (it re-routes itself on a lost race)."""
        self._allocations += 1
        point = self._order.ship_to.point
        allocation: Allocation = await workflow.execute_activity(
            ALLOCATE,
            AllocationRequest(
                order_id=self._order.order_id,
                allocation_key=f"{self._order.order_id}:A{self._allocations}",
                first_fulfillment_number=self._next_fulfillment,
                lines=lines,
                ship_to=self._order.ship_to,
                customer_name=self._order.customer.name,
                dest_lat=point.lat,
                dest_lon=point.lon,
                service_level=self._order.service_level,
                delivery=self._order.delivery,
                pickup_location_id=self._order.pickup_location_id,
                channel=self._order.channel,
            ),
            result_type=Allocation,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                maximum_interval=timedelta(seconds=10),
                non_retryable_error_types=["UnknownSku", "UnknownLocation", "InvalidOrder"],
            ),
        )
        decision = allocation.decision
        self._view.routing = decision
        if decision.status == "routed":
            self._next_fulfillment += len(allocation.fulfillments)
            for request in allocation.fulfillments:
                self._view.fulfillments.append(
                    FulfillmentView(
                        fulfillment_id=request.fulfillment_id,
                        order_id=request.order_id,
                        location_id=request.location_id,
                        status=FulfillmentStatus.DISPATCHED,
                        lines=request.lines,
                        delivery=request.delivery,
                    )
                )
            where = ", ".join(
                f"{r.location_id} ({r.fulfillment_id})" for r in allocation.fulfillments
            )
            cost = decision.plan.cost if decision.plan else None
            self._set_status(OrderStatus.ALLOCATED)
            self._record(
                "allocated",
                reason=decision.explanation,
                detail={
                    "packages": where,
                    "cost": str(cost),
                    "rules_version": decision.rules_version,
                },
            )
        else:
            self._record("unfulfillable", reason=decision.reason)
        return allocation

    def _close_fulfillment(self, result: FulfillmentView) -> None:
        for i, known in enumerate(self._view.fulfillments):
            if known.fulfillment_id == result.fulfillment_id:
                self._view.fulfillments[i] = result

    def _set_status(self, status: OrderStatus) -> None:
        self._view.status = status

    def _finish(self, status: OrderStatus, reason: str | None = None) -> OrderView:
        self._set_status(status)
        self._view.reason = reason
        self._record(status.value, reason=reason)
        return self._view

    def _record(
        self, type_: str, *, reason: str | None = None, detail: dict[str, object] | None = None
    ) -> None:
        self._view.events.append(
            TimelineEntry(
                at=workflow.now(), type=type_, reason=reason, actor="system", detail=detail
            )
        )
