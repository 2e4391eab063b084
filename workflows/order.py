"""The order: route and reserve, send each package to its location, see every unit home.

This workflow only orchestrates. Routing, reservations and dispatch are activities
(idempotent, keyed by ids minted here); each package is a ``FulfillmentWorkflow`` child
whose id derives from the order's, so the API can reach it directly.

One loop makes every decision, one thing at a time: a package that closed (shipped,
or failed and to be placed elsewhere), units a location could not find, an operator's
reroute or cancel (updates, queued as tickets so the caller gets the outcome), and
stock arriving for a backordered order. Handlers only record what happened.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from activities.messages import ReleaseRequest
    from activities.names import ALLOCATE, RECORD_BACKORDER, RELEASE_RESERVATIONS
    from domain.errors import NotReroutable
    from domain.fulfillment import TimelineEntry, is_delivered
    from domain.ids import fulfillment_workflow_id
    from domain.inbox import Inbox, Ticket
    from domain.models import (
        DeliveryType,
        FulfillmentStatus,
        OrderRequest,
        OrderStatus,
    )
    from domain.orders import (
        Allocation,
        AllocationRequest,
        BackorderRecord,
        CancelRequest,
        FulfillmentRequest,
        FulfillmentView,
        OrderOutcome,
        OrderPolicy,
        OrderView,
        RerouteRequest,
        RerouteResult,
        ShortfallNotice,
        merge_lines,
        shipped_summary,
    )
    from domain.routing.types import RoutingLine
    from workflows import search
    from workflows.fulfillment import READY_SIGNAL, SHORTFALL_SIGNAL, FulfillmentWorkflow
    from workflows.options import STORE_ACTIVITY

S = FulfillmentStatus
# A backordered order is woken by receipts and counts; it also re-checks stock about a
# dozen times over its window (every 6 hours at most), in case a wake-up was missed.
BACKORDER_RECHECKS = 12
BACKORDER_RECHECK_MAX = timedelta(hours=6)
BACKORDER_RECHECK_MIN = timedelta(minutes=1)


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
        self._inbox = Inbox()
        self._children: dict[str, ChildWorkflowHandle[FulfillmentWorkflow, FulfillmentView]] = {}
        self._results: dict[str, FulfillmentView] = {}
        self._superseded: set[str] = set()  # cancelled on purpose: not to be placed again
        self._ready: set[str] = set()
        self._followers: list[asyncio.Task[None]] = []
        self._noted_backorder: list[str] = []
        self._published: tuple[str, list[str]] = (OrderStatus.RECEIVED.value, [])
        self._excluded: set[str] = set()
        self._policy = OrderPolicy()
        self._next_fulfillment = 1
        self._allocations = 0
        self._end: tuple[OrderStatus, str | None] | None = None

    # --- the process ------------------------------------------------------------------

    @workflow.run
    async def run(self, order: OrderRequest) -> OrderOutcome:
        self._record("received")
        await self._place([RoutingLine(sku=s, quantity=q) for s, q in order.units_by_sku().items()])
        self._refresh_status()
        self._publish()
        while not self._settled():
            await self._wait_for_news()
            await self._handle_news()
            self._publish()
        return await self._finish()

    def _settled(self) -> bool:
        if self._end is not None:
            return not self._open_children() and not self._inbox.tickets
        return not (self._open_children() or self._view.backordered or self._inbox)

    async def _wait_for_news(self) -> None:
        timeout = None
        if self._view.backordered and self._view.backorder_until is not None:
            every = self._policy.backorder_window / BACKORDER_RECHECKS
            every = min(max(every, BACKORDER_RECHECK_MIN), BACKORDER_RECHECK_MAX)
            timeout = min(every, self._view.backorder_until - workflow.now())
            timeout = max(timeout, timedelta(0))
        try:
            await workflow.wait_condition(lambda: bool(self._inbox), timeout=timeout)
        except TimeoutError:
            self._inbox.stock_arrived = True  # time to re-check (or give up) on the backorder

    async def _handle_news(self) -> None:
        inbox = self._inbox
        if inbox.tickets:
            await self._serve(inbox.tickets.pop(0))
        elif inbox.shortfalls:
            notice = inbox.shortfalls.pop(0)
            self._excluded.add(notice.location_id)
            await self._replace(
                notice.missing,
                f"{notice.fulfillment_id}: {notice.location_id} could not find every unit",
            )
        elif inbox.closed:
            await self._package_closed(inbox.closed.pop(0))
        elif inbox.stock_arrived:
            inbox.stock_arrived = False
            await self._retry_backorder()
        self._refresh_status()

    async def _package_closed(self, package: FulfillmentView) -> None:
        if package.fulfillment_id in self._superseded or is_delivered(package.status):
            return
        if package.status is S.SHORT:
            return  # its missing units were already handed back through a shortfall
        if self._order.delivery is DeliveryType.PICKUP:
            outcome = OrderStatus.CANCELLED if package.status is S.CANCELLED else OrderStatus.FAILED
            self._conclude(
                outcome, f"{package.location_id} {package.status.value}: {package.reason}"
            )
            return
        self._excluded.add(package.location_id)
        await self._replace(
            package.lines,
            f"{package.fulfillment_id} {package.status.value} at {package.location_id}: "
            f"{package.reason or 'no reason given'}",
        )

    async def _replace(self, lines: list[RoutingLine], why: str) -> None:
        """Place units again after a location failed them; bounded by ``max_reroutes``."""
        self._view.reroutes += 1
        if self._view.reroutes > self._policy.max_reroutes:
            self._conclude(
                OrderStatus.FAILED,
                f"gave up after {self._policy.max_reroutes} reroutes; the last: {why}",
            )
            await self._cancel_packages(self._open_children(), "the order failed", "system")
            return
        self._record("rerouting", reason=why)
        await self._place(lines)

    async def _retry_backorder(self) -> None:
        until = self._view.backorder_until
        if until is not None and workflow.now() >= until:
            window = self._policy.backorder_window
            self._conclude(
                OrderStatus.CANCELLED,
                f"no stock arrived within the backorder window ({window})",
            )
            await self._cancel_packages(self._open_children(), "the order was cancelled", "system")
            return
        waiting = self._view.backordered
        self._view.backordered = []
        await self._place(waiting, retry=True)

    # --- placing units ----------------------------------------------------------------

    async def _place(
        self, lines: list[RoutingLine], *, retry: bool = False, force: str | None = None
    ) -> Allocation:
        """Route and reserve ``lines``; start a child per package, or backorder them."""
        allocation = await self._allocate(lines, force=force)
        if allocation.decision.status == "routed":
            if self._view.backorder_until is not None and not self._view.backordered:
                self._view.backorder_until = None
                await self._note_backorder([])
            await self._start_packages(allocation.fulfillments)
            return allocation
        self._view.backordered = merge_lines(self._view.backordered + lines)
        if self._view.backorder_until is None:
            self._view.backorder_until = workflow.now() + self._policy.backorder_window
        if not retry:
            self._record("backordered", reason=allocation.decision.reason)
        await self._note_backorder([line.sku for line in self._view.backordered])
        return allocation

    async def _allocate(
        self,
        lines: list[RoutingLine],
        *,
        force: str | None = None,
        dry_run: bool = False,
        also_exclude: list[str] | None = None,
    ) -> Allocation:
        """Route and reserve in one idempotent activity (it re-routes itself on a lost race)."""
        self._allocations += 1
        point = self._order.ship_to.point
        allocation: Allocation = await workflow.execute_activity(
            ALLOCATE,
            AllocationRequest(
                order_id=self._order.order_id,
                allocation_key=f"{self._order.order_id}:A{self._allocations}",
                first_fulfillment_number=self._next_fulfillment,
                lines=merge_lines(lines),
                ship_to=self._order.ship_to,
                customer_name=self._order.customer.name,
                dest_lat=point.lat,
                dest_lon=point.lon,
                service_level=self._order.service_level,
                delivery=self._order.delivery,
                pickup_location_id=self._order.pickup_location_id,
                exclude_location_ids=sorted(self._excluded.union(also_exclude or [])),
                force_location_id=force,
                channel=self._order.channel,
                dry_run=dry_run,
            ),
            result_type=Allocation,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                maximum_interval=timedelta(seconds=10),
                non_retryable_error_types=["UnknownSku", "UnknownLocation", "InvalidOrder"],
            ),
        )
        self._policy = allocation.policy
        if dry_run:
            return allocation
        decision = allocation.decision
        self._view.routing = decision
        self._view.routing_history.append(decision)
        if decision.status == "routed":
            self._next_fulfillment += len(allocation.fulfillments)
            where = ", ".join(
                f"{f.location_id} ({f.fulfillment_id})" for f in allocation.fulfillments
            )
            self._view.status = OrderStatus.ALLOCATED
            self._record(
                "allocated",
                reason=decision.explanation,
                detail={
                    "packages": where,
                    "cost": str(decision.plan.cost) if decision.plan else None,
                    "rules_version": decision.rules_version,
                },
            )
        return allocation

    async def _start_packages(self, requests: list[FulfillmentRequest]) -> None:
        for request in requests:
            self._view.fulfillments.append(
                FulfillmentView(
                    fulfillment_id=request.fulfillment_id,
                    order_id=request.order_id,
                    location_id=request.location_id,
                    status=S.DISPATCHED,
                    lines=request.lines,
                    delivery=request.delivery,
                )
            )
            handle = await workflow.start_child_workflow(
                FulfillmentWorkflow.run,
                request,
                id=fulfillment_workflow_id(request.fulfillment_id),
            )
            self._children[request.fulfillment_id] = handle
            self._followers.append(
                asyncio.create_task(self._follow(request.fulfillment_id, handle))
            )

    async def _follow(
        self, fulfillment_id: str, handle: ChildWorkflowHandle[FulfillmentWorkflow, FulfillmentView]
    ) -> None:
        result = await handle
        self._results[fulfillment_id] = result
        self._view.fulfillments = [
            result if f.fulfillment_id == fulfillment_id else f for f in self._view.fulfillments
        ]
        self._inbox.closed.append(result)

    def _open_children(self) -> list[str]:
        return [fid for fid in self._children if fid not in self._results]

    async def _cancel_packages(self, fulfillment_ids: list[str], reason: str, actor: str) -> None:
        """Ask packages to stop (each cancels at its location and releases), and wait."""
        self._superseded.update(fulfillment_ids)
        for fid in fulfillment_ids:
            if fid not in self._results:
                await self._children[fid].signal(FulfillmentWorkflow.cancel, args=[reason, actor])
        await workflow.wait_condition(lambda: all(f in self._results for f in fulfillment_ids))

    async def _note_backorder(self, skus: list[str]) -> None:
        """Tell the store which SKUs this order waits for (only when that changes)."""
        wanted = sorted(set(skus))
        if wanted == self._noted_backorder:
            return
        self._noted_backorder = wanted
        await workflow.execute_activity(
            RECORD_BACKORDER,
            BackorderRecord(order_id=self._order.order_id, skus=wanted),
            **STORE_ACTIVITY,
        )

    # --- operators --------------------------------------------------------------------

    @workflow.update
    async def reroute(self, request: RerouteRequest) -> RerouteResult:
        """Move open packages off some locations (or onto one); answers with the new plan."""
        ticket = Ticket(kind="reroute", reroute=request)
        self._inbox.tickets.append(ticket)
        await workflow.wait_condition(lambda: ticket.done)
        if ticket.error or ticket.reroute_result is None:
            raise ApplicationError(ticket.error or "reroute failed", type=NotReroutable.__name__)
        return ticket.reroute_result

    @reroute.validator
    def _validate_reroute(self, request: RerouteRequest) -> None:
        self._check_open("reroute")
        if not request.exclude_location_ids and not request.location_id:
            raise NotReroutable(
                "say which locations to avoid (exclude_location_ids) or where to go (location_id)"
            )
        if self._order.delivery is DeliveryType.PICKUP:
            raise NotReroutable("a store-pickup order stays at its pickup store; cancel it instead")
        if not self._affected(request):
            at = ", ".join(request.exclude_location_ids) or f"anywhere but {request.location_id}"
            shipped = [
                f"{f.fulfillment_id} ({f.location_id}) already {f.status.value}"
                for f in self._view.fulfillments
                if is_delivered(f.status) and f.location_id in request.exclude_location_ids
            ]
            raise NotReroutable("; ".join(shipped) if shipped else f"no open fulfillment at {at}")

    @workflow.update
    async def cancel(self, request: CancelRequest) -> OrderView:
        """Cancel the order: stop every open package, release every unit."""
        ticket = Ticket(kind="cancel", cancel=request)
        self._inbox.tickets.append(ticket)
        await workflow.wait_condition(lambda: ticket.done)
        if ticket.error:
            raise ApplicationError(ticket.error, type=NotReroutable.__name__)
        return self._view

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check_open("cancel")
        shipped = shipped_summary(self._view)
        if shipped:
            raise NotReroutable(f"cannot cancel: {shipped} already left")

    async def _serve(self, ticket: Ticket) -> None:
        try:
            if self._ended():
                ticket.error = f"the order is already {self._view.status.value}"
            elif ticket.kind == "cancel":
                await self._serve_cancel(ticket)
            else:
                await self._serve_reroute(ticket)
        finally:
            ticket.done = True

    async def _serve_cancel(self, ticket: Ticket) -> None:
        assert ticket.cancel is not None
        shipped = shipped_summary(self._view)
        if shipped:
            ticket.error = f"cannot cancel: {shipped} already left"
            return
        request = ticket.cancel
        self._record("cancel_requested", reason=request.reason, actor=request.actor)
        await self._cancel_packages(
            self._open_children(), f"order cancelled: {request.reason}", request.actor
        )
        self._view.backordered = []
        self._conclude(OrderStatus.CANCELLED, request.reason)

    async def _serve_reroute(self, ticket: Ticket) -> None:
        request = ticket.reroute
        assert request is not None
        affected = self._affected(request)
        if not affected:
            ticket.error = "no open fulfillment is affected"
            return
        lines = merge_lines([line for f in affected for line in f.lines])
        trial = await self._allocate(
            lines,
            force=request.location_id,
            dry_run=True,
            also_exclude=request.exclude_location_ids,
        )
        if trial.decision.status != "routed":
            ticket.error = f"no plan without those locations: {trial.decision.reason}"
            return
        self._excluded.update(request.exclude_location_ids)
        ids = [f.fulfillment_id for f in affected]
        self._record(
            "reroute_requested",
            reason=request.reason,
            actor=request.actor,
            detail={
                "cancel": ids,
                "exclude": request.exclude_location_ids,
                "force": request.location_id,
            },
        )
        await self._cancel_packages(ids, f"rerouted by operations: {request.reason}", request.actor)
        still = merge_lines(
            [
                line
                for fid in ids
                if not is_delivered(self._results[fid].status)
                for line in self._results[fid].lines
            ]
        )
        before = set(self._children)
        allocation = await self._place(still, force=request.location_id) if still else trial
        self._refresh_status()
        ticket.reroute_result = RerouteResult(
            order_id=self._order.order_id,
            cancelled_fulfillment_ids=ids,
            decision=allocation.decision,
            fulfillments=[f for f in self._view.fulfillments if f.fulfillment_id not in before],
        )

    def _affected(self, request: RerouteRequest) -> list[FulfillmentView]:
        open_ones = [
            f for f in self._view.fulfillments if f.fulfillment_id in self._open_children()
        ]
        if request.exclude_location_ids:
            return [f for f in open_ones if f.location_id in request.exclude_location_ids]
        return [f for f in open_ones if f.location_id != request.location_id]

    def _conclude(self, status: OrderStatus, reason: str | None) -> None:
        """The order's outcome is decided (the loop still waits for packages to close)."""
        self._end = (status, reason)
        self._view.status = status
        self._view.reason = reason

    def _ended(self) -> bool:
        """The outcome is decided (the loop may still be closing packages) or final."""
        return self._end is not None or self._view.status.is_final

    def _check_open(self, what: str) -> None:
        if self._ended():
            status = self._end[0] if self._end else self._view.status
            raise NotReroutable(f"cannot {what}: the order is already {status.value}")

    # --- news from packages and the store ------------------------------------------------

    @workflow.signal(name=SHORTFALL_SIGNAL)
    def package_short(self, notice: ShortfallNotice) -> None:
        self._inbox.shortfalls.append(notice)

    @workflow.signal(name=READY_SIGNAL)
    def package_ready(self, fulfillment_id: str) -> None:
        self._ready.add(fulfillment_id)
        self._refresh_status()

    @workflow.signal
    def stock_arrived(self, skus: list[str]) -> None:
        """Availability of these SKUs went up somewhere; a backordered order tries again."""
        if {line.sku for line in self._view.backordered} & set(skus):
            self._inbox.stock_arrived = True

    @workflow.query
    def state(self) -> OrderView:
        return self._view

    # --- bookkeeping ------------------------------------------------------------------

    def _refresh_status(self) -> None:
        if self._ended():
            return
        open_ids = self._open_children()
        if open_ids:
            ready = self._order.delivery is DeliveryType.PICKUP and all(
                f in self._ready for f in open_ids
            )
            self._view.status = OrderStatus.READY_FOR_PICKUP if ready else OrderStatus.FULFILLING
        elif self._view.backordered:
            self._view.status = OrderStatus.BACKORDERED

    async def _finish(self) -> OrderOutcome:
        if self._end is None:
            done = (
                OrderStatus.PICKED_UP
                if self._order.delivery is DeliveryType.PICKUP
                else OrderStatus.SHIPPED
            )
            self._conclude(done, None)
        status, reason = self._end
        if status in (OrderStatus.CANCELLED, OrderStatus.FAILED):
            # Packages released their own units; this catches anything else, and costs nothing.
            await workflow.execute_activity(
                RELEASE_RESERVATIONS,
                ReleaseRequest(
                    order_id=self._order.order_id, reason=f"order {status.value}: {reason}"
                ),
                **STORE_ACTIVITY,
            )
            if self._view.backorder_until is not None:
                self._view.backordered = []
                await self._note_backorder([])
        self._view.status = status
        self._view.reason = reason
        self._record(status.value, reason=reason)
        self._publish()
        return OrderOutcome(
            order_id=self._order.order_id,
            status=status,
            reason=reason,
            fulfillments={f.fulfillment_id: f.status for f in self._view.fulfillments},
        )

    def _publish(self) -> None:
        """Keep the order findable by status and location (only when they change)."""
        status = self._view.status.value
        locations = sorted({f.location_id for f in self._view.fulfillments})
        if (status, locations) == self._published:
            return
        self._published = (status, locations)
        workflow.upsert_search_attributes(
            [search.ORDER_STATUS.value_set(status), search.ORDER_LOCATIONS.value_set(locations)]
        )

    def _record(
        self,
        type_: str,
        *,
        reason: str | None = None,
        actor: str = "system",
        detail: dict[str, object] | None = None,
    ) -> None:
        self._view.events.append(
            TimelineEntry(at=workflow.now(), type=type_, reason=reason, actor=actor, detail=detail)
        )
