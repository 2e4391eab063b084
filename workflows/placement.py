"""Placing an order's units: route and reserve them in one activity, then start a package
per location, or hold them as a backorder until stock arrives; and which packages an
operator's reroute moves.

Passed through the workflow sandbox (loaded once per worker, ``workflows/runner.py``):
it keeps no module state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.inventory import InventoryActivities
from domain.errors import RerouteRefused
from domain.fulfillment import is_delivered
from domain.models import DeliveryType, OrderStatus, PlacedOrder
from domain.orders import (
    Allocation,
    AllocationRequest,
    BackorderRecord,
    CarriedPlacement,
    FulfillmentRequest,
    NewOrder,
    OrderPolicy,
    OrderView,
    RerouteRequest,
    RerouteResult,
    merge_lines,
)
from domain.routing.types import RoutingLine
from workflows.options import STORE_ACTIVITY, store_call
from workflows.packages import Package, Packages
from workflows.timeline import Timeline


class Placement:
    """The order's allocations, one at a time (fulfillment numbers stay unique).

    ``ended``: true once the order's outcome is decided; what is reserved after that is
    released with the rest of the order's units when it finishes."""

    def __init__(
        self,
        order: NewOrder,
        view: OrderView,
        timeline: Timeline,
        packages: Packages,
        ended: Callable[[], bool],
        dispatch: Callable[[FulfillmentRequest], None] | None = None,
    ) -> None:
        self._order = order
        self._view = view
        self._timeline = timeline
        self._packages = packages
        self._ended = ended
        # Where a reserved package goes: to its location, or kept back by a hold.
        self._dispatch = dispatch or packages.start
        self.policy = OrderPolicy()  # the store's answer to how long and how often to retry
        self.excluded: set[str] = set()  # locations this order no longer routes to
        self._next_fulfillment = 1
        self._allocations = 0
        self._noted_backorder: list[str] = []
        self.placing = 0  # placements under way (routing, reserving, noting a backorder)

    def carry(self) -> CarriedPlacement:
        """Where placement stands, for the order's next run."""
        return CarriedPlacement(
            excluded=sorted(self.excluded),
            next_fulfillment=self._next_fulfillment,
            allocations=self._allocations,
            noted_backorder=self._noted_backorder,
            policy=self.policy,
        )

    def restore(self, carried: CarriedPlacement) -> None:
        """Go on from where a previous run's placement stood."""
        self.excluded = set(carried.excluded)
        self._next_fulfillment = carried.next_fulfillment
        self._allocations = carried.allocations
        self._noted_backorder = list(carried.noted_backorder)
        self.policy = carried.policy

    async def place(
        self,
        lines: list[RoutingLine],
        *,
        retry: bool = False,
        force: str | None = None,
        reroute: str | None = None,
    ) -> Allocation:
        """Route and reserve ``lines``; start a package per location, or backorder them.
        ``reroute``: why they are placed again (None: the first time, or a backorder)."""
        self.placing += 1  # units on their way to a plan: a hold may still keep them back
        try:
            return await self._place(lines, retry=retry, force=force, reroute=reroute)
        finally:
            self.placing -= 1

    async def _place(
        self, lines: list[RoutingLine], *, retry: bool, force: str | None, reroute: str | None
    ) -> Allocation:
        allocation = await self.allocate(lines, force=force, reroute=reroute)
        if self._ended():
            # Decided while routing (a cancel): what was just reserved is released with
            # the rest of the order's units when it finishes.
            return allocation
        if allocation.decision.status == "routed":
            if self._view.backorder_until is not None and not self._view.backordered:
                self._view.backorder_until = None
                await self.note_backorder([])
            for request in allocation.fulfillments:
                self._dispatch(request)
            return allocation
        self._view.backordered = merge_lines(self._view.backordered + lines)
        if retry:
            forget_repeated_retry(self._view)
        if self._view.backorder_until is None:
            self._view.backorder_until = workflow.now() + self.policy.backorder_window
        if not retry:
            self._timeline.record("backordered", reason=allocation.decision.reason)
        await self.note_backorder([line.sku for line in self._view.backordered])
        return allocation

    async def allocate(
        self,
        lines: list[RoutingLine],
        *,
        force: str | None = None,
        dry_run: bool = False,
        also_exclude: list[str] | None = None,
        reroute: str | None = None,
    ) -> Allocation:
        """Route and reserve in one idempotent activity (it re-routes itself on a lost race);
        ``dry_run``: route only, to see whether a plan exists."""
        self._allocations += 1
        order = self._order
        point = order.ship_to.point
        allocation = await store_call(
            self._packages.local_store,  # reserve as commits are: one choice per order
            InventoryActivities.allocate,
            AllocationRequest(
                order_id=order.order_id,
                allocation_key=f"{order.order_id}:A{self._allocations}",
                first_fulfillment_number=self._next_fulfillment,
                lines=merge_lines(lines),
                ship_to=order.ship_to,
                customer_name=order.customer.name if order.customer else "",
                personal=order.personal,
                dest_lat=point.lat,
                dest_lon=point.lon,
                service_level=order.service_level,
                delivery=order.delivery,
                pickup_location_id=order.pickup_location_id,
                exclude_location_ids=sorted(self.excluded.union(also_exclude or [])),
                force_location_id=force,
                channel=order.channel,
                dry_run=dry_run,
                reroute_reason=reroute,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                maximum_interval=timedelta(seconds=10),
                non_retryable_error_types=["UnknownSku", "UnknownLocation", "InvalidOrder"],
            ),
        )
        self.policy = allocation.policy
        if dry_run:
            return allocation
        decision = allocation.decision
        # ``routing`` (the latest decision) is filled in by the API when it reads the
        # order, so every query's answer carries each decision once, not twice.
        self._view.routing_history.append(decision)
        if decision.status == "routed":
            self._next_fulfillment += len(allocation.fulfillments)
            if not self._ended():
                where = ", ".join(
                    f"{f.location_id} ({f.fulfillment_id})" for f in allocation.fulfillments
                )
                self._view.status = OrderStatus.ALLOCATED
                self._timeline.record(
                    "allocated",
                    reason=decision.explanation,
                    detail={
                        "packages": where,
                        "cost": str(decision.plan.cost) if decision.plan else None,
                        "rules_version": decision.rules_version,
                    },
                )
        return allocation

    async def reroute(self, request: RerouteRequest) -> RerouteResult:
        """An operator's reroute: route without those locations first (a dry run); only if
        a plan exists, take the packages there back and place their units again.
        RerouteRefused (saying why) if nothing moves."""
        affected = rerouted(request, self._packages.open())
        if not affected:
            raise RerouteRefused(nothing_to_reroute(request, self._view))
        lines = merge_lines([line for p in affected for line in p.view.lines])
        trial = await self.allocate(
            lines, force=request.location_id, dry_run=True,
            also_exclude=request.exclude_location_ids,
        )  # fmt: skip
        if trial.decision.status != "routed":
            raise RerouteRefused(f"no plan without those locations: {trial.decision.reason}")
        # Decided only now, on the state after the dry run: a package that shipped or
        # closed meanwhile stays as it is.
        if self._ended():
            raise RerouteRefused(f"the order is already {self._view.status.value}")
        affected = [p for p in rerouted(request, self._packages.open()) if p in affected]
        if not affected:
            raise RerouteRefused(nothing_to_reroute(request, self._view))
        self.excluded.update(request.exclude_location_ids)
        ids = [p.fulfillment_id for p in affected]
        self._timeline.record(
            "reroute_requested", reason=request.reason, actor=request.actor,
            detail={
                "cancel": ids, "exclude": request.exclude_location_ids,
                "force": request.location_id,
            },
        )  # fmt: skip
        for package in affected:
            self._packages.stop(package, f"rerouted by operations: {request.reason}", request.actor)
        before = set(self._packages.by_id)
        still = merge_lines([line for p in affected for line in p.view.lines])
        allocation = await self.place(still, force=request.location_id, reroute="operator")
        return RerouteResult(
            order_id=self._order.order_id,
            cancelled_fulfillment_ids=ids,
            decision=allocation.decision,
            fulfillments=[f for f in self._view.fulfillments if f.fulfillment_id not in before],
            pending=self._packages.pending(),
        )

    async def note_backorder(self, skus: list[str]) -> None:
        """Tell the store which SKUs this order waits for (only when that changes)."""
        wanted = sorted(set(skus))
        if wanted == self._noted_backorder:
            return
        self._noted_backorder = wanted
        await workflow.execute_activity_method(
            InventoryActivities.record_backorder,
            BackorderRecord(order_id=self._order.order_id, skus=wanted),
            **STORE_ACTIVITY,
        )

    async def forget_backorder(self) -> None:
        """The order waits for nothing any more: the store is told, if it was waiting."""
        if self._noted_backorder:
            await self.note_backorder([])


def forget_repeated_retry(view: OrderView) -> None:
    """Keep a backorder's first decision and its latest retry, not every retry between:
    an order woken by every stock signal for days would otherwise carry thousands of
    identical "no stock" decisions (in every query's answer, and into each continue-as-new)."""
    last = view.routing_history[-3:]
    if len(last) == 3 and all(d.status != "routed" for d in last):
        del view.routing_history[-2]


def rerouted(request: RerouteRequest, open_packages: list[Package]) -> list[Package]:
    """The open packages a reroute moves: those at the locations it avoids, or (where it
    names a location to go to) those anywhere else."""
    if request.exclude_location_ids:
        return [p for p in open_packages if p.location_id in request.exclude_location_ids]
    return [p for p in open_packages if p.location_id != request.location_id]


def nothing_to_reroute(request: RerouteRequest, view: OrderView) -> str:
    """Why a reroute finds nothing to move: what already shipped there, or nothing open."""
    at = ", ".join(request.exclude_location_ids) or f"anywhere but {request.location_id}"
    shipped = [
        f"{f.fulfillment_id} ({f.location_id}) already {f.status.value}"
        for f in view.fulfillments
        if is_delivered(f.status)
        and (
            f.location_id in request.exclude_location_ids
            or (not request.exclude_location_ids and f.location_id != request.location_id)
        )
    ]
    return "; ".join(shipped) if shipped else f"no open fulfillment at {at}"


def reroute_refusal(
    request: RerouteRequest, order: PlacedOrder, open_packages: list[Package], view: OrderView
) -> str | None:
    """Why this reroute makes no sense for the order as it stands (None: it may go on)."""
    if not request.exclude_location_ids and not request.location_id:
        return "say which locations to avoid (exclude_location_ids) or where to go (location_id)"
    if order.delivery is DeliveryType.PICKUP:
        return "a store-pickup order stays at its pickup store; cancel it instead"
    if not rerouted(request, open_packages):
        return nothing_to_reroute(request, view)
    return None
