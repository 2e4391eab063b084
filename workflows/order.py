"""The order: route and reserve, send each package to its location, see every unit home.

One workflow per order, ``order-<id>``, and nothing else: each package is a small state
machine inside it (a coroutine per package, ``_run_package``), so every race between a
location, an operator and a deadline is decided here, on one consistent state, one
handler at a time.

* Location events are updates addressed by fulfillment id: the validator answers 404
  (unknown, or another location's) and 409 (makes no sense now) before anything is
  written; the handler applies the event synchronously.
* A cancel is decided synchronously too: it wins if nothing has shipped (every open
  package closes ``cancelled`` at once, so a ``shipped`` that comes after it is refused),
  or it is refused naming what shipped. Telling locations and releasing units goes on
  afterwards; the answer lists that work as ``pending``.
* A reroute needs a dry-run routing first, so it is queued for the decision loop, which
  makes every allocation one at a time (fulfillment numbers stay unique).
* Every exit compensates: completion, a cancel, a cancellation through Temporal, a bug.
  Whatever the order still holds is released and open locations are told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.messages import CommitRequest, ReleaseRequest
    from activities.names import (
        ALLOCATE,
        CANCEL_AT_LOCATION,
        COMMIT_SHIPMENT,
        DISPATCH,
        PUBLISH_EVENT,
        RECORD_BACKORDER,
        RECORD_SHORTFALL,
        RELEASE_RESERVATIONS,
    )
    from domain.durations import format_duration
    from domain.errors import InvalidTransition, NotReroutable, UnknownFulfillment
    from domain.events import ORDER_EVENTS, PACKAGE_EVENTS, Event
    from domain.fulfillment import (
        FulfillmentView,
        TimelineEntry,
        is_delivered,
        is_repeat,
        next_status,
        split_shortfall,
    )
    from domain.inbox import Inbox, Ticket
    from domain.models import (
        DeliveryType,
        FulfillmentStatus,
        LocationEventType,
        OrderStatus,
        PlacedOrder,
    )
    from domain.orders import (
        Allocation,
        AllocationRequest,
        BackorderRecord,
        CancelAtLocationRequest,
        CancelRequest,
        EventReceipt,
        FulfillmentRequest,
        LocationEventEnvelope,
        OrderOutcome,
        OrderPolicy,
        OrderView,
        RerouteRequest,
        RerouteResult,
        ShortfallNotice,
        ShortfallRecord,
        merge_lines,
        shipped_summary,
    )
    from domain.packages import Package
    from domain.routing.types import RoutingLine
    from workflows import search
    from workflows.options import EVENT_DELIVERY, LOCATION_CALL, STORE_ACTIVITY

S = FulfillmentStatus
E = LocationEventType
# A backordered order is woken by receipts, counts and releases; it also re-checks stock
# about a dozen times over its window (every 6 hours at most), in case a wake-up was missed.
BACKORDER_RECHECKS = 12
BACKORDER_RECHECK_MAX = timedelta(hours=6)
BACKORDER_RECHECK_MIN = timedelta(minutes=1)
# Timeline entries logged at INFO: what someone may have to look at. The happy path
# (received, allocated, dispatched ... shipped) is DEBUG: a line per order step would be
# most of a busy stack's log, and `dom up`'s console is for people.
_NOTABLE = frozenset(
    {"backordered", "rerouting", "reroute_requested", "rejected", "timed_out", "short",
     "cancelled", "failed", "partially_shipped", "cancel_not_delivered"}
)  # fmt: skip
# Orders placed before events existed have no publish activities in their histories.
EVENTS_PATCH = "order-events"
# How long a location gets to hear "stop" before the units are released anyway.
CANCEL_AT_LOCATION_FOR = timedelta(hours=1)


def _refusal(error: Exception) -> ApplicationError:
    """A business refusal as an update failure the API maps to its status code.

    (A plain exception raised in an update handler would fail the workflow task, not the
    update; validators may raise anything, handlers must raise this.)"""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


@workflow.defn
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: PlacedOrder) -> None:
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
        self._packages: dict[str, Package] = {}
        self._crash: BaseException | None = None
        self._noted_backorder: list[str] = []
        self._published: tuple[str, list[str]] = (OrderStatus.RECEIVED.value, [])
        self._excluded: set[str] = set()
        self._policy = OrderPolicy()
        self._next_fulfillment = 1
        self._allocations = 0
        self._end: tuple[OrderStatus, str | None] | None = None
        self._subscribed: frozenset[str] = frozenset()
        self._events_published = 0
        self._publishing: list[asyncio.Task[None]] = []
        self._local_store = False  # reserve and commit as local activities (the memo says)

    # --- the process ------------------------------------------------------------------

    @workflow.run
    async def run(self, order: PlacedOrder) -> OrderOutcome:
        try:
            placed_by = workflow.memo_value(search.PLACED_BY_MEMO, "checkout", type_hint=str)
            subscribed = workflow.memo_value(search.EVENTS_MEMO, [], type_hint=list[str])
            self._subscribed = frozenset(subscribed)
            store_calls = workflow.memo_value(search.STORE_CALLS_MEMO, "", type_hint=str)
            self._local_store = store_calls == search.STORE_CALLS_LOCAL
            self._record("received", actor=placed_by)
            refused = workflow.memo_value(search.REFUSED_MEMO, "", type_hint=str)
            if refused:  # kept to be seen, never placed: it fails at once, saying why
                self._conclude(OrderStatus.FAILED, refused)
                return await self._finish()
            lines = [RoutingLine(sku=s, quantity=q) for s, q in order.units_by_sku().items()]
            await self._place(lines)
            self._refresh_status()
            self._publish()
            while not self._settled():
                # A timeout: time to look at the backorder again (or give up on it).
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(self._news, timeout=self._recheck_in())
                if self._crash is not None:
                    raise self._crash
                await self._handle_news()
                self._publish()
            return await self._finish()
        except asyncio.CancelledError:
            # Cancelled through Temporal (``temporal workflow cancel``): still compensate.
            await self._abandon(OrderStatus.CANCELLED, "the order's workflow was cancelled")
            raise
        except workflow.NondeterminismError:
            raise  # the code does not match the history: retry the task, never guess
        except Exception as exc:
            reason = f"the order could not go on: {_describe(exc)}"
            await self._abandon(OrderStatus.FAILED, reason)
            raise ApplicationError(reason, type="OrderFailed", non_retryable=True) from exc

    def _news(self) -> bool:
        return bool(self._inbox) or self._crash is not None or self._settled()

    def _settled(self) -> bool:
        if any(not p.done for p in self._packages.values()):
            return False
        if self._end is not None:
            return not self._inbox.tickets
        return not (self._view.backordered or self._inbox)

    def _recheck_in(self) -> timedelta | None:
        """When a backordered order looks at stock again (or gives up) by itself."""
        if not self._view.backordered or self._view.backorder_until is None:
            return None
        every = self._policy.backorder_window / BACKORDER_RECHECKS
        every = min(max(every, BACKORDER_RECHECK_MIN), BACKORDER_RECHECK_MAX)
        left = self._view.backorder_until - workflow.now()
        return max(min(every, left), timedelta(0))

    async def _handle_news(self) -> None:
        inbox = self._inbox
        if not inbox:  # the recheck timer fired
            inbox.stock_arrived = bool(self._view.backordered)
        if inbox.tickets:
            await self._serve(inbox.tickets.pop(0))
        elif inbox.shortfalls:
            notice = inbox.shortfalls.pop(0)
            if not self._ended():
                self._excluded.add(notice.location_id)
                await self._replace(
                    notice.missing,
                    f"{notice.fulfillment_id}: {notice.location_id} could not find every unit",
                    cause=S.SHORT.value,
                )
        elif inbox.closed:
            await self._package_closed(inbox.closed.pop(0))
        elif inbox.stock_arrived:
            inbox.stock_arrived = False
            if self._view.backordered and not self._ended():
                await self._retry_backorder()
        self._refresh_status()

    async def _package_closed(self, package: FulfillmentView) -> None:
        if self._ended() or is_delivered(package.status) or package.status is S.SHORT:
            return  # nothing to place again (a short package handed back its units already)
        if self._packages[package.fulfillment_id].stopped:
            return  # taken back on purpose (reroute or cancel): already handled
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
            cause=package.status.value,
        )

    async def _replace(self, lines: list[RoutingLine], why: str, *, cause: str) -> None:
        """Place units again after a location failed them; bounded by ``max_reroutes``.
        ``cause``: the failed package's status, for the reroute metric."""
        self._view.reroutes += 1
        if self._view.reroutes > self._policy.max_reroutes:
            self._stop_all("the order failed")
            self._conclude(
                OrderStatus.FAILED,
                f"gave up after {self._policy.max_reroutes} reroutes; the last: {why}",
            )
            return
        self._record("rerouting", reason=why)
        await self._place(lines, reroute=cause)

    async def _retry_backorder(self) -> None:
        until = self._view.backorder_until
        if until is not None and workflow.now() >= until:
            window = self._policy.backorder_window
            self._stop_all("the order was cancelled")
            self._conclude(
                OrderStatus.CANCELLED, f"no stock arrived within the backorder window ({window})"
            )
            return
        waiting = self._view.backordered
        self._view.backordered = []
        await self._place(waiting, retry=True)

    # --- placing units ----------------------------------------------------------------

    async def _place(
        self,
        lines: list[RoutingLine],
        *,
        retry: bool = False,
        force: str | None = None,
        reroute: str | None = None,
    ) -> Allocation:
        """Route and reserve ``lines``; start a package per location, or backorder them.
        ``reroute``: why they are placed again (None: the first time, or a backorder)."""
        allocation = await self._allocate(lines, force=force, reroute=reroute)
        if self._ended():
            # Decided while routing (a cancel): what was just reserved is released with
            # the rest of the order's units when it finishes.
            return allocation
        if allocation.decision.status == "routed":
            if self._view.backorder_until is not None and not self._view.backordered:
                self._view.backorder_until = None
                await self._note_backorder([])
            for request in allocation.fulfillments:
                self._start_package(request)
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
        reroute: str | None = None,
    ) -> Allocation:
        """Route and reserve in one idempotent activity (it re-routes itself on a lost race)."""
        self._allocations += 1
        point = self._order.ship_to.point
        allocation: Allocation = await self._store_call(
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
                reroute_reason=reroute,
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

    async def _store_call(self, activity: str, arg: object, **options: Any) -> Any:
        """Reserve or commit: a local activity (run by this worker inside the workflow
        task, recorded as one marker), or a plain activity in histories from before.

        Both are quick idempotent writes to the store (keyed by allocation key, by
        fulfillment), so a worker that dies mid-call just runs them again. As local
        activities they spare each order two activity tasks and two workflow tasks on the
        Temporal server (docs/performance.md). Which one is the order's memo's to say
        (``search.STORE_CALLS_MEMO``, fixed at start): orders started before keep theirs."""
        if self._local_store:
            return await workflow.execute_local_activity(activity, arg, **options)
        return await workflow.execute_activity(activity, arg, **options)

    def _start_package(self, request: FulfillmentRequest) -> None:
        view = FulfillmentView(
            fulfillment_id=request.fulfillment_id,
            order_id=request.order_id,
            location_id=request.location_id,
            status=S.DISPATCHED,
            lines=request.lines,
            delivery=request.delivery,
            ship_to=request.ship_to,
        )
        package = Package(request=request, view=view, dispatched_at=workflow.now())
        self._packages[request.fulfillment_id] = package
        self._view.fulfillments.append(view)
        self._record("dispatched", package=package)
        asyncio.create_task(self._run_package(package))  # noqa: RUF006 (tracked by done)

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

    # --- one package ------------------------------------------------------------------

    async def _run_package(self, package: Package) -> None:
        """Dispatch, hold the location to its deadlines, then commit or release (once)."""
        try:
            if await self._dispatch(package):
                await self._hold_to_deadlines(package)
            await self._settle_shortfalls(package)
            await self._close_package(package)
            self._inbox.closed.append(package.view)
        except Exception as exc:  # a bug: the order fails, compensating what it holds
            if self._crash is None:
                self._crash = exc
            # The order takes every package back as it fails; this one then settles like
            # any other taken back (the location told, its units released).
            await workflow.wait_condition(lambda: not package.is_open)
            with contextlib.suppress(Exception):
                await self._close_package(package)
        finally:
            package.done = True

    async def _dispatch(self, package: Package) -> bool:
        """Hand the package over; a refusal counts as a rejection, silence as a timeout.

        Events the location reports while this call is still running are applied at
        once (the package is ``dispatched`` from the start): a 3PL that answers the
        webhook and posts ``accepted`` in the same breath is never told to retry."""
        if not package.is_open:
            return False  # taken back before it went out
        package.dispatch_started = True
        call = workflow.start_activity(
            DISPATCH,
            package.request,
            schedule_to_close_timeout=package.request.sla.accept,
            **LOCATION_CALL,
        )
        await workflow.wait_condition(lambda: call.done() or not package.is_open)
        if not call.done():
            call.cancel()  # taken back mid-call: the location is told to stop instead
            with contextlib.suppress(ActivityError, asyncio.CancelledError):
                await call
            return False
        error = call.exception()
        if error is None:
            return package.is_open
        if not package.is_open:
            return False
        if package.view.status is not S.DISPATCHED:
            return True  # the location already reported progress: it has the package
        cause = error.cause if isinstance(error, ActivityError) else error
        if isinstance(cause, ApplicationError) and cause.type == "LocationRefused":
            self._close_as(package, S.REJECTED, f"the location refused the request: {cause}")
        else:
            self._close_as(package, S.TIMED_OUT, f"could not reach the location: {cause}")
        return False

    async def _hold_to_deadlines(self, package: Package) -> None:
        sla = package.request.sla
        status = lambda: package.view.status  # noqa: E731
        accepted = await self._until(
            package, lambda: status() is not S.DISPATCHED, sla.accept, "accepted",
            since=package.dispatched_at,
        )  # fmt: skip
        if not accepted:
            return
        if package.request.delivery is DeliveryType.PICKUP:
            ready = await self._until(
                package, lambda: status() is S.READY_FOR_PICKUP, sla.ready_for_pickup,
                "ready for pickup", since=package.dispatched_at,
            )  # fmt: skip
            if ready:  # never collected: cancel and put the units back on the shelf
                await self._until(
                    package, lambda: False, sla.pickup_window, "collected", on_timeout=S.CANCELLED
                )
        else:
            await self._until(package, lambda: False, sla.ship, "shipped after acceptance")

    async def _until(
        self,
        package: Package,
        reached: Callable[[], bool],
        deadline: timedelta | None,
        what: str,
        *,
        since: datetime | None = None,
        on_timeout: FulfillmentStatus = S.TIMED_OUT,
    ) -> bool:
        """Wait for ``reached`` (or the package closing) until ``deadline`` after ``since``
        (default: now); True if reached with the package still open. Closes the package
        on a timeout; settles shortfalls as they come."""
        ends = (since or workflow.now()) + deadline if deadline else None
        while True:
            left = (ends - workflow.now()) if ends else None
            if left is not None and left <= timedelta(0):
                why = f"not {what} within {format_duration(deadline)}"
                self._close_as(package, on_timeout, why)
                return False
            try:
                await workflow.wait_condition(
                    lambda: reached() or not package.is_open or bool(package.shortfalls),
                    timeout=left,
                )
            except TimeoutError:
                continue
            await self._settle_shortfalls(package)
            if not package.is_open:
                return False
            if reached():
                return True

    async def _settle_shortfalls(self, package: Package) -> None:
        """Correct the location's stock for each short pick, then hand the missing units
        to the order to place elsewhere."""
        while package.shortfalls:
            notice = package.shortfalls[0]
            await workflow.execute_activity(
                RECORD_SHORTFALL,
                ShortfallRecord(
                    order_id=self._order.order_id,
                    fulfillment_id=notice.fulfillment_id,
                    location_id=notice.location_id,
                    missing=notice.missing,
                    key=f"{notice.fulfillment_id}:short:{workflow.uuid4()}",
                ),
                **STORE_ACTIVITY,
            )
            self._inbox.shortfalls.append(notice)
            package.shortfalls.pop(0)

    async def _close_package(self, package: Package) -> None:
        """Commit what left; otherwise tell the location to stop (where it may be working
        on it) and release the units. Both are idempotent."""
        order_id, fid = self._order.order_id, package.fulfillment_id
        if is_delivered(package.view.status):
            await self._store_call(
                COMMIT_SHIPMENT, CommitRequest(order_id=order_id, fulfillment_id=fid),
                **STORE_ACTIVITY,
            )  # fmt: skip
            return
        if package.view.status in (S.TIMED_OUT, S.CANCELLED) and package.dispatch_started:
            try:
                await workflow.execute_activity(
                    CANCEL_AT_LOCATION,
                    CancelAtLocationRequest(
                        request=package.request, reason=package.view.reason or "cancelled"
                    ),
                    schedule_to_close_timeout=CANCEL_AT_LOCATION_FOR,
                    **LOCATION_CALL,
                )
            except ActivityError as err:
                # The units are released either way; the location is told on its timeline.
                why_not = str(err.cause or err)
                self._record("cancel_not_delivered", package=package, reason=why_not)
        why = f"{package.view.status.value}: {package.view.reason or ''}".strip(": ")
        await workflow.execute_activity(
            RELEASE_RESERVATIONS,
            ReleaseRequest(
                order_id=order_id,
                fulfillment_id=fid,
                reason=why,
                outcome=package.view.status.value,
                location_id=package.location_id,
            ),
            **STORE_ACTIVITY,
        )

    def _stop(self, package: Package, reason: str, actor: str) -> None:
        """The order takes the package back: it closes ``cancelled`` now, so a location
        event after this is refused; its own coroutine tells the location and releases."""
        if package.is_open:
            package.stopped = True
            self._close_as(package, S.CANCELLED, reason, actor=actor)

    def _stop_all(self, reason: str, actor: str = "system") -> list[str]:
        stopped = [p.fulfillment_id for p in self._packages.values() if p.is_open]
        for fid in stopped:
            self._stop(self._packages[fid], reason, actor)
        return stopped

    def _close_as(
        self, package: Package, status: FulfillmentStatus, reason: str, actor: str = "system"
    ) -> None:
        package.view.status = status
        package.view.reason = reason
        self._record(status.value, package=package, reason=reason, actor=actor)
        self._refresh_status()

    # --- the locations' side ----------------------------------------------------------

    @workflow.update
    def report_event(self, envelope: LocationEventEnvelope) -> EventReceipt:
        """Apply a location's event to one package; repeating an ``event_id`` changes nothing."""
        try:
            package = self._package_for(envelope)
            event = envelope.event
            if is_repeat(package.view, event):
                return EventReceipt.of(package.view, duplicate=True)
            self._check_event(package, envelope)
        except (UnknownFulfillment, InvalidTransition) as refused:
            raise _refusal(refused) from None
        view = package.view
        view.status = next_status(view.status, event.type, view.delivery)
        detail: dict[str, object] | None = None
        if event.type is E.SHIPPED:
            view.carrier = event.carrier
            view.tracking_number = event.tracking_number
            if event.tracking_number:
                detail = {"carrier": event.carrier, "tracking_number": event.tracking_number}
        elif event.type is E.SHORT:
            kept, missing = split_shortfall(view.lines, event.lines or [])
            view.lines = kept
            package.shortfalls.append(
                ShortfallNotice(
                    fulfillment_id=view.fulfillment_id, location_id=view.location_id,
                    missing=missing,
                )
            )  # fmt: skip
            if not kept:
                view.status = S.SHORT
            detail = {
                "found": {line.sku: line.quantity for line in kept},
                "missing": {line.sku: line.quantity for line in missing},
            }
        if event.reason:
            view.reason = event.reason
        if event.event_id:
            view.processed_events[event.event_id] = event.type
        self._record(
            event.type.value,
            package=package,
            actor=envelope.actor,
            reason=event.reason,
            detail=detail,
        )
        self._refresh_status()
        self._publish()
        return EventReceipt.of(view)

    @report_event.validator
    def _validate_event(self, envelope: LocationEventEnvelope) -> None:
        package = self._package_for(envelope)
        if not is_repeat(package.view, envelope.event):
            self._check_event(package, envelope)

    def _package_for(self, envelope: LocationEventEnvelope) -> Package:
        package = self._packages.get(envelope.fulfillment_id or "")
        if package is None:
            raise UnknownFulfillment(f"no fulfillment {envelope.fulfillment_id!r}")
        if envelope.location_id != package.location_id:
            raise UnknownFulfillment(
                f"fulfillment {package.fulfillment_id} does not belong to location "
                f"{envelope.location_id}"
            )
        return package

    @staticmethod
    def _check_event(package: Package, envelope: LocationEventEnvelope) -> None:
        """InvalidTransition if the event makes no sense now, saying why."""
        view, event = package.view, envelope.event
        if package.stopped:
            raise InvalidTransition(
                f"fulfillment {view.fulfillment_id} was taken back ({view.reason}); "
                f"'{event.type.value}' cannot change it"
            )
        next_status(view.status, event.type, view.delivery)
        if event.type is E.SHORT:
            split_shortfall(view.lines, event.lines or [])

    # --- operators --------------------------------------------------------------------

    @workflow.update
    def cancel(self, request: CancelRequest) -> OrderView:
        """Cancel the order, decided now: every open package closes ``cancelled`` and the
        answer lists what is still being done (locations told, units released)."""
        try:
            self._check_cancel()
        except NotReroutable as refused:
            raise _refusal(refused) from None
        self._record("cancel_requested", reason=request.reason, actor=request.actor)
        self._stop_all(f"order cancelled: {request.reason}", request.actor)
        self._view.backordered = []
        self._conclude(OrderStatus.CANCELLED, request.reason)
        self._publish()
        return self.state()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check_cancel()

    def _check_cancel(self) -> None:
        self._check_open("cancel")
        shipped = shipped_summary(self._view)
        if shipped:
            raise NotReroutable(f"cannot cancel: {shipped} already left")

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
            raise NotReroutable(self._why_nothing_to_reroute(request))

    def _why_nothing_to_reroute(self, request: RerouteRequest) -> str:
        at = ", ".join(request.exclude_location_ids) or f"anywhere but {request.location_id}"
        shipped = [
            f"{f.fulfillment_id} ({f.location_id}) already {f.status.value}"
            for f in self._view.fulfillments
            if is_delivered(f.status)
            and (
                f.location_id in request.exclude_location_ids
                or (not request.exclude_location_ids and f.location_id != request.location_id)
            )
        ]
        return "; ".join(shipped) if shipped else f"no open fulfillment at {at}"

    async def _serve(self, ticket: Ticket) -> None:
        try:
            if self._ended():
                ticket.error = f"the order is already {self._view.status.value}"
            else:
                await self._serve_reroute(ticket)
        finally:
            ticket.done = True

    async def _serve_reroute(self, ticket: Ticket) -> None:
        request = ticket.reroute
        assert request is not None
        affected = self._affected(request)
        if not affected:
            ticket.error = self._why_nothing_to_reroute(request)
            return
        lines = merge_lines([line for p in affected for line in p.view.lines])
        trial = await self._allocate(
            lines,
            force=request.location_id,
            dry_run=True,
            also_exclude=request.exclude_location_ids,
        )
        if trial.decision.status != "routed":
            ticket.error = f"no plan without those locations: {trial.decision.reason}"
            return
        # Decided only now, on the state after the dry run: a package that shipped or
        # closed meanwhile stays as it is.
        if self._ended():
            ticket.error = f"the order is already {self._view.status.value}"
            return
        affected = [p for p in self._affected(request) if p in affected]
        if not affected:
            ticket.error = self._why_nothing_to_reroute(request)
            return
        self._excluded.update(request.exclude_location_ids)
        ids = [p.fulfillment_id for p in affected]
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
        for package in affected:
            self._stop(package, f"rerouted by operations: {request.reason}", request.actor)
        before = set(self._packages)
        still = merge_lines([line for p in affected for line in p.view.lines])
        allocation = await self._place(still, force=request.location_id, reroute="operator")
        self._refresh_status()
        ticket.reroute_result = RerouteResult(
            order_id=self._order.order_id,
            cancelled_fulfillment_ids=ids,
            decision=allocation.decision,
            fulfillments=[f for f in self._view.fulfillments if f.fulfillment_id not in before],
            pending=self._pending(),
        )

    def _affected(self, request: RerouteRequest) -> list[Package]:
        open_ones = [p for p in self._packages.values() if p.is_open]
        if request.exclude_location_ids:
            return [p for p in open_ones if p.location_id in request.exclude_location_ids]
        return [p for p in open_ones if p.location_id != request.location_id]

    def _conclude(self, status: OrderStatus, reason: str | None) -> None:
        """The order's outcome is decided (the loop still waits for packages to settle)."""
        self._end = (status, reason)
        self._view.status = status
        self._view.reason = reason

    def _ended(self) -> bool:
        """The outcome is decided (packages may still be settling) or final."""
        return self._end is not None or self._view.status.is_final

    def _check_open(self, what: str) -> None:
        if self._ended():
            status = self._end[0] if self._end else self._view.status
            raise NotReroutable(f"cannot {what}: the order is already {status.value}")

    # --- news from the store ----------------------------------------------------------

    @workflow.signal
    def stock_arrived(self, skus: list[str]) -> None:
        """Availability of these SKUs went up somewhere; a backordered order tries again."""
        if {line.sku for line in self._view.backordered} & set(skus):
            self._inbox.stock_arrived = True

    @workflow.query
    def state(self) -> OrderView:
        """The order as support sees it, with the work still under way in ``pending``."""
        return self._view.model_copy(update={"pending": self._pending()})

    def _pending(self) -> list[str]:
        return [note for p in self._packages.values() if (note := p.pending())]

    # --- endings ----------------------------------------------------------------------

    def _refresh_status(self) -> None:
        if self._ended():
            return
        open_ones = [p for p in self._packages.values() if p.is_open]
        if open_ones:
            ready = self._order.delivery is DeliveryType.PICKUP and all(
                p.view.status is S.READY_FOR_PICKUP for p in open_ones
            )
            self._view.status = OrderStatus.READY_FOR_PICKUP if ready else OrderStatus.FULFILLING
        elif self._view.backordered:
            self._view.status = OrderStatus.BACKORDERED

    async def _abandon(self, status: OrderStatus, reason: str) -> None:
        """An abnormal exit: take every package back, let each settle, then finish."""
        if self._end is None:
            self._conclude(status, reason)
        self._stop_all(reason)
        self._view.backordered = []
        await workflow.wait_condition(lambda: all(p.done for p in self._packages.values()))
        await self._finish()

    async def _finish(self) -> OrderOutcome:
        if self._end is None:
            done = (
                OrderStatus.PICKED_UP
                if self._order.delivery is DeliveryType.PICKUP
                else OrderStatus.SHIPPED
            )
            self._conclude(done, None)
        assert self._end is not None
        status, reason = self._end
        if status in (OrderStatus.CANCELLED, OrderStatus.FAILED):
            # Packages released their own units; this catches anything else (an allocation
            # made while the order was being cancelled) and costs nothing otherwise.
            await workflow.execute_activity(
                RELEASE_RESERVATIONS,
                ReleaseRequest(
                    order_id=self._order.order_id, reason=f"order {status.value}: {reason}"
                ),
                **STORE_ACTIVITY,
            )
            self._view.backordered = []
        if self._noted_backorder:
            await self._note_backorder([])
        if status in (OrderStatus.CANCELLED, OrderStatus.FAILED):
            left = shipped_summary(self._view)
            if left:  # not a bare "cancelled": part of it is on its way to the customer
                reason = f"{left} left; the rest was {status.value}: {reason}"
                status = OrderStatus.PARTIALLY_SHIPPED
                self._end = (status, reason)
        for ticket in self._inbox.tickets:
            ticket.error, ticket.done = f"the order is already {status.value}", True
        self._inbox.tickets.clear()
        self._view.status = status
        self._view.reason = reason
        self._record(status.value, reason=reason)
        self._publish()
        if self._publishing:  # subscribers hear of the end before the order closes
            await workflow.wait_condition(lambda: all(t.done() for t in self._publishing))
        # An update that arrived as the order ended gets its real answer before the close.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OrderOutcome(
            order_id=self._order.order_id,
            status=status,
            reason=reason,
            fulfillments={f.fulfillment_id: f.status for f in self._view.fulfillments},
            view=self.state(),
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
        package: Package | None = None,
        reason: str | None = None,
        actor: str = "system",
        detail: dict[str, object] | None = None,
    ) -> None:
        """One timeline entry: the order's own, or (``package``) that package's."""
        entry = TimelineEntry(
            at=workflow.now(),
            type=type_,
            fulfillment_id=package.fulfillment_id if package else None,
            location_id=package.location_id if package else None,
            reason=reason,
            actor=actor,
            detail=detail,
        )
        (package.view.events if package else self._view.events).append(entry)
        self._emit(type_, package)
        # The same entry as a log line carrying the order's (and package's) ids; the SDK
        # adds the workflow's and skips it while replaying. Routine steps at DEBUG.
        workflow.logger.log(
            logging.INFO if type_ in _NOTABLE else logging.DEBUG,
            "%s%s",
            type_,
            f": {reason}" if reason else "",
            extra={
                "order_id": self._order.order_id,
                "fulfillment_id": entry.fulfillment_id,
                "location_id": entry.location_id,
            },
        )

    def _emit(self, type_: str, package: Package | None) -> None:
        """Publish the timeline entry as an event, if it is one the order's subscribers
        asked for (as the API found them when the order was placed)."""
        kind = (PACKAGE_EVENTS if package else ORDER_EVENTS).get(type_)
        if kind is None or kind.value not in self._subscribed:
            return
        if not workflow.patched(EVENTS_PATCH):
            return  # a history from before events: replay it as it ran
        self._events_published += 1
        if package is not None:
            data = package.view.model_dump(mode="json")
        else:
            view = self._view.model_copy()
            view.routing = view.routing_history[-1] if view.routing_history else None
            data = view.model_dump(mode="json", exclude={"routing_history"})
        event = Event(
            id=f"{self._order.order_id}:E{self._events_published}",
            type=kind,
            occurred_at=workflow.now(),
            order_id=self._order.order_id,
            data=data,
        )
        self._publishing.append(asyncio.create_task(self._publish_event(event)))

    async def _publish_event(self, event: Event) -> None:
        """Deliver in the background: a subscriber that is down never holds the order up
        (only its close waits, for the retries to run out); its failure is shown in the
        subscription's deliveries, not in the order."""
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(PUBLISH_EVENT, event, **EVENT_DELIVERY)


def _describe(error: BaseException) -> str:
    """An exception in a sentence (an activity's failure names its cause)."""
    cause = error.cause if isinstance(error, ActivityError) and error.cause else error
    return f"{type(cause).__name__}: {cause}"
