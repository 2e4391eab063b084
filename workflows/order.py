"""The order: route and reserve, send each package to its location, see every unit home.

One workflow per order, ``order-<id>``, and nothing else: each package is a small state
machine inside it (``workflows/packages.py``), so every race between a location, an
operator and a deadline is decided here, on one consistent state, one handler at a time.

* Location events are updates addressed by fulfillment id: the validator answers 404
  (unknown, or another location's) and 409 (makes no sense now) before anything is
  written; the handler applies the event synchronously.
* A cancel is decided synchronously too: it wins if nothing has shipped (every open
  package closes ``cancelled`` at once, so a ``shipped`` that comes after it is refused),
  or it is refused naming what shipped. Telling locations and releasing units goes on
  afterwards; the answer lists that work as ``pending``.
* A reroute needs a dry-run routing first, so it is queued for the decision loop, which
  makes every allocation one at a time (``workflows/placement.py``).
* Every exit compensates: completion, a cancel, a cancellation through Temporal, a bug.
  Whatever the order still holds is released and open locations are told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import NoReturn, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.inventory import InventoryActivities
    from activities.messages import ReleaseRequest
    from domain.errors import (
        CancelRefused,
        HoldRefused,
        InvalidTransition,
        RerouteRefused,
        UnknownFulfillment,
    )
    from domain.fulfillment import FulfillmentView, is_delivered, is_repeat
    from domain.holds import HoldRelease, HoldRequest
    from domain.models import DeliveryType, FulfillmentStatus, OrderStatus
    from domain.orders import (
        CancelRequest,
        CarriedOrder,
        EventOutcome,
        HoldResult,
        LocationEventEnvelope,
        NewOrder,
        OrderOutcome,
        OrderView,
        RerouteRequest,
        RerouteResult,
        shipped_summary,
    )
    from domain.routing.types import RoutingLine
    from workflows import continuation, search
    from workflows.holds import Holds
    from workflows.inbox import Inbox, Ticket
    from workflows.options import STORE_ACTIVITY
    from workflows.packages import Packages, check_event
    from workflows.placement import Placement, reroute_refusal
    from workflows.timeline import Timeline

S = FulfillmentStatus
T = TypeVar("T")
# A backordered order is woken by receipts, counts and releases; it also re-checks stock
# about a dozen times over its window (every 6 hours at most), in case a wake-up was missed.
BACKORDER_RECHECKS = 12
BACKORDER_RECHECK_MAX = timedelta(hours=6)
BACKORDER_RECHECK_MIN = timedelta(minutes=1)


def _refusal(error: Exception) -> ApplicationError:
    """A business refusal as an update failure the API maps to its status code.

    (A plain exception raised in an update handler would fail the workflow task, not the
    update; validators may raise anything, handlers must raise this.)"""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


@workflow.defn
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: NewOrder) -> None:
        carried = order.carried  # set: this run continues an earlier one of the order
        self._order = order.model_copy(update={"carried": None})  # the live state is ours
        self._runs = carried.runs + 1 if carried else 1
        self._placed_by = "checkout"
        self._view = OrderView(
            order_id=order.order_id,
            status=OrderStatus.RECEIVED,
            customer=order.customer,
            ship_to=order.ship_to,
            personal=order.personal,
            lines=order.lines,
            service_level=order.service_level,
            delivery=order.delivery,
            pickup_location_id=order.pickup_location_id,
            currency=order.currency,
        )
        if carried:
            self._view = carried.view  # as the earlier run left it
        self._end: tuple[OrderStatus, str | None] | None = None  # decided: outcome, why
        self._inbox = Inbox()
        self._timeline = Timeline(order.order_id, self._view)
        self._packages = Packages(
            order.order_id, self._view, self._timeline, self._inbox, self._refresh_status
        )
        self._holds = Holds(
            self._view, self._timeline, self._packages, self._ended, self._refresh_status,
            placing=lambda: self._placement.placing > 0,
        )  # fmt: skip
        self._placement = Placement(
            self._order, self._view, self._timeline, self._packages, self._ended,
            self._holds.dispatch,
        )  # fmt: skip
        if carried:
            self._timeline.restore(carried.events_published)
            self._packages.restore(carried.packages)
            self._placement.restore(carried.placement)
            self._holds.restore(carried.held_packages)
            self._inbox.stock_arrived = carried.stock_arrived

    # --- the process ------------------------------------------------------------------

    @workflow.run
    async def run(self, order: NewOrder) -> OrderOutcome:
        """Receive the order, place its units (or hold them until stock arrives), see
        every package home, finish; every exit compensates. An order that continued as
        new goes on from what its earlier run carried (``order.carried``)."""
        try:
            refused = self._receive(order, resumed=order.carried is not None)
            if refused:  # kept to be seen, never placed: it fails at once, saying why
                self._conclude(OrderStatus.FAILED, refused)
                return await self._finish()
            if order.carried is None:
                lines = [RoutingLine(sku=s, quantity=q) for s, q in order.units_by_sku().items()]
                await self._placement.place(lines)
            await self._fulfil()
            return await self._finish()
        # (continue-as-new is a BaseException, neither of the below: it ends this run.)
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

    def _receive(self, order: NewOrder, *, resumed: bool = False) -> str | None:
        """Take in how the order was placed (from its input; an order started before the
        input carried it, from its memo) and record it (``resumed``: an earlier run did);
        why it was refused, if it was."""
        self._placed_by = _given(order.placed_by, search.PLACED_BY_MEMO, "checkout", str)
        self._timeline.subscribed = frozenset(
            _given(order.event_types, search.EVENTS_MEMO, [], list[str])
        )
        store_calls = _given(order.store_calls, search.STORE_CALLS_MEMO, "", str)
        self._packages.local_store = store_calls == search.STORE_CALLS_LOCAL
        if not resumed:
            self._timeline.record("received", actor=self._placed_by)
            if order.hold is not None:
                self._holds.place_at_checkout(order.hold, self._placed_by)
        return _given(order.refused, search.REFUSED_MEMO, "", str) or None

    async def _fulfil(self) -> None:
        """Act on the news (packages closing, shortfalls, operators, stock arriving) until
        every package has settled and nothing waits on a backorder."""
        self._refresh_status()
        self._timeline.update_search_attributes()
        while not self._settled():
            if self._may_start_afresh():
                self._continue_as_new()
            # A timeout: time to look at the backorder again (or give up on it).
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._news, timeout=self._wake_in())
            if self._packages.crash is not None:
                raise self._packages.crash
            self._expire_hold()
            await self._handle_news()
            self._timeline.update_search_attributes()

    def _may_start_afresh(self) -> bool:
        """The order waits for stock with nothing in flight (every package settled, no
        news but stock arriving, no handler running, every event published) and its
        history is long. (Stock signals may never stop coming for a popular SKU: the
        next run retries for one still waiting.)"""
        return (
            bool(self._view.backordered)
            and not self._ended()
            # News waiting, but for stock that arrived (carried: the next run retries).
            and not (self._inbox.closed or self._inbox.shortfalls or self._inbox.tickets)
            and self._packages.all_done()
            and self._timeline.quiet()
            and workflow.all_handlers_finished()
            and continuation.due()
            # Last: asked only of an order that is due, so no other history changes.
            and workflow.patched(continuation.patch_id())
        )

    def _continue_as_new(self) -> NoReturn:
        """End this run and start the next with what the order knows; its input says how
        it was placed (the memo and search attributes carry over by themselves)."""
        workflow.logger.info(
            "continuing as new after %d history events (run %d)",
            workflow.info().get_current_history_length(), self._runs,
            extra={"order_id": self._order.order_id},
        )  # fmt: skip
        carried = CarriedOrder(
            view=self._view,
            packages=self._packages.carry(),
            placement=self._placement.carry(),
            held_packages=self._holds.carry(),
            events_published=self._timeline.events_published,
            stock_arrived=self._inbox.stock_arrived,
            runs=self._runs,
        )
        local = self._packages.local_store
        order = self._order.model_copy(
            update={
                "placed_by": self._placed_by,
                "event_types": sorted(self._timeline.subscribed),
                "store_calls": search.STORE_CALLS_LOCAL if local else "activity",
                "carried": carried,
            }
        )
        workflow.continue_as_new(order)

    def _news(self) -> bool:
        return bool(self._inbox) or self._packages.crash is not None or self._settled()

    def _settled(self) -> bool:
        if not self._packages.all_done():
            return False
        if self._end is not None:
            return not self._inbox.tickets
        return not (self._view.backordered or self._inbox or self._holds.keeps_order_open())

    def _wake_in(self) -> timedelta | None:
        """When the loop wakes by itself: a backorder's recheck, or a hold running out."""
        hold_ends = None if self._ended() else self._holds.expires_in()
        times = [t for t in (self._recheck_in(), hold_ends) if t is not None]
        return min(times) if times else None

    def _expire_hold(self) -> None:
        """A hold ran out (a payment that never came): the order is cancelled, as by
        support, and everything it holds is released when it finishes."""
        if self._ended():
            return
        hold = self._holds.run_out()
        if hold is None:
            return
        why = f"hold {hold.reason.value} expired after {hold.lasted}"
        self._packages.stop_all(f"order cancelled: {why}")
        self._view.backordered = []
        self._conclude(OrderStatus.CANCELLED, why)

    def _recheck_in(self) -> timedelta | None:
        """When a backordered order looks at stock again (or gives up) by itself."""
        if not self._view.backordered or self._view.backorder_until is None:
            return None
        every = self._placement.policy.backorder_window / BACKORDER_RECHECKS
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
                self._placement.excluded.add(notice.location_id)
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
        if self._packages.by_id[package.fulfillment_id].stopped:
            return  # taken back on purpose (reroute or cancel): already handled
        if self._order.delivery is DeliveryType.PICKUP:
            outcome = OrderStatus.CANCELLED if package.status is S.CANCELLED else OrderStatus.FAILED
            self._conclude(
                outcome, f"{package.location_id} {package.status.value}: {package.reason}"
            )
            return
        self._placement.excluded.add(package.location_id)
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
        limit = self._placement.policy.max_reroutes
        if self._view.reroutes > limit:
            self._packages.stop_all("the order failed")
            self._conclude(OrderStatus.FAILED, f"gave up after {limit} reroutes; the last: {why}")
            return
        self._timeline.record("rerouting", reason=why)
        await self._placement.place(lines, reroute=cause)

    async def _retry_backorder(self) -> None:
        until = self._view.backorder_until
        if until is not None and workflow.now() >= until:
            window = self._placement.policy.backorder_window
            self._packages.stop_all("the order was cancelled")
            self._conclude(
                OrderStatus.CANCELLED, f"no stock arrived within the backorder window ({window})"
            )
            return
        waiting = self._view.backordered
        self._view.backordered = []
        await self._placement.place(waiting, retry=True)

    # --- the locations' side ----------------------------------------------------------

    @workflow.update
    def report_event(self, envelope: LocationEventEnvelope) -> EventOutcome:
        """Apply a location's event to one package; repeating an ``event_id`` changes nothing."""
        try:
            package = self._packages.addressed_by(envelope)
            if is_repeat(package.view, envelope.event):
                return EventOutcome.answering(envelope, package.view, duplicate=True)
            check_event(package, envelope)
        except (UnknownFulfillment, InvalidTransition) as refused:
            raise _refusal(refused) from None
        self._packages.apply(package, envelope)
        self._refresh_status()
        self._timeline.update_search_attributes()
        return EventOutcome.answering(envelope, package.view)

    @report_event.validator
    def _validate_event(self, envelope: LocationEventEnvelope) -> None:
        package = self._packages.addressed_by(envelope)
        if not is_repeat(package.view, envelope.event):
            check_event(package, envelope)

    # --- operators --------------------------------------------------------------------

    @workflow.update
    def cancel(self, request: CancelRequest) -> OrderView:
        """Cancel the order, decided now: every open package closes ``cancelled`` and the
        answer lists what is still being done (locations told, units released)."""
        try:
            self._check_cancel()
        except CancelRefused as refused:
            raise _refusal(refused) from None
        self._timeline.record("cancel_requested", reason=request.reason, actor=request.actor)
        self._packages.stop_all(f"order cancelled: {request.reason}", request.actor)
        self._view.backordered = []
        self._conclude(OrderStatus.CANCELLED, request.reason)
        self._timeline.update_search_attributes()
        return self.state()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check_cancel()

    def _check_cancel(self) -> None:
        self._check_open("cancel", CancelRefused)
        shipped = shipped_summary(self._view)
        if shipped:
            raise CancelRefused(f"cannot cancel: {shipped} already left")

    @workflow.update
    async def reroute(self, request: RerouteRequest) -> RerouteResult:
        """Move open packages off some locations (or onto one); answers with the new plan."""
        ticket = Ticket(reroute=request)
        self._inbox.tickets.append(ticket)
        await workflow.wait_condition(lambda: ticket.done)
        if ticket.error or ticket.result is None:
            raise ApplicationError(ticket.error or "reroute failed", type=RerouteRefused.__name__)
        return ticket.result

    @reroute.validator
    def _validate_reroute(self, request: RerouteRequest) -> None:
        self._check_open("reroute", RerouteRefused)
        refusal = reroute_refusal(request, self._order, self._packages.open(), self._view)
        if refusal:
            raise RerouteRefused(refusal)

    async def _serve(self, ticket: Ticket) -> None:
        """An operator's reroute, in its turn: every allocation is made one at a time."""
        try:
            if self._ended():
                ticket.error = f"the order is already {self._view.status.value}"
            else:
                ticket.result = await self._placement.reroute(ticket.reroute)
                self._refresh_status()
        except RerouteRefused as refused:
            ticket.error = str(refused)
        finally:
            ticket.done = True

    @workflow.update
    def hold(self, request: HoldRequest) -> HoldResult:
        """Hold what has not gone to a location yet; packages a location has go on."""
        try:
            self._holds.check_hold(request)
        except HoldRefused as refused:
            raise _refusal(refused) from None
        result = self._holds.hold(request)
        self._timeline.update_search_attributes()
        return result

    @hold.validator
    def _validate_hold(self, request: HoldRequest) -> None:
        self._holds.check_hold(request)

    @workflow.update
    def release_hold(self, release: HoldRelease) -> HoldResult:
        """Lift one hold; when none is left, what they kept back goes to its locations."""
        try:
            self._holds.check_release(release)
        except HoldRefused as refused:
            raise _refusal(refused) from None
        result = self._holds.release(release)
        self._timeline.update_search_attributes()
        return result

    @release_hold.validator
    def _validate_release_hold(self, release: HoldRelease) -> None:
        self._holds.check_release(release)

    def _conclude(self, status: OrderStatus, reason: str | None) -> None:
        """The order's outcome is decided (the loop still waits for packages to settle)."""
        self._end = (status, reason)
        self._view.status = status
        self._view.reason = reason
        self._holds.end()

    def _ended(self) -> bool:
        """The outcome is decided (packages may still be settling) or final."""
        return self._end is not None or self._view.status.is_final

    def _check_open(self, what: str, refusal: type[CancelRefused | RerouteRefused]) -> None:
        if self._ended():
            status = self._end[0] if self._end else self._view.status
            raise refusal(f"cannot {what}: the order is already {status.value}")

    # --- news from the store ----------------------------------------------------------

    @workflow.signal
    def stock_arrived(self, skus: list[str]) -> None:
        """Availability of these SKUs went up somewhere; a backordered order tries again."""
        if {line.sku for line in self._view.backordered} & set(skus):
            self._inbox.stock_arrived = True

    @workflow.query
    def state(self) -> OrderView:
        """The order as support sees it, with the work still under way in ``pending``."""
        return self._view.model_copy(update={"pending": self._packages.pending()})

    # --- endings ----------------------------------------------------------------------

    def _refresh_status(self) -> None:
        if self._ended():
            return
        if self._holds.active:
            self._view.status = OrderStatus.ON_HOLD
            return
        open_ones = self._packages.open()
        if open_ones:
            ready = self._order.delivery is DeliveryType.PICKUP and all(
                p.view.status is S.READY_FOR_PICKUP for p in open_ones
            )
            self._view.status = OrderStatus.READY_FOR_PICKUP if ready else OrderStatus.FULFILLING
        elif self._view.backordered:
            self._view.status = OrderStatus.BACKORDERED
        elif self._view.status is OrderStatus.ON_HOLD:  # released; its packages go out next
            routed = any(d.status == "routed" for d in self._view.routing_history)
            self._view.status = OrderStatus.ALLOCATED if routed else OrderStatus.RECEIVED

    async def _abandon(self, status: OrderStatus, reason: str) -> None:
        """An abnormal exit: take every package back, let each settle, then finish."""
        if self._end is None:
            self._conclude(status, reason)
        self._packages.stop_all(reason)
        self._view.backordered = []
        await workflow.wait_condition(self._packages.all_done)
        await self._finish()

    async def _finish(self) -> OrderOutcome:
        """Release what a cancelled or failed order still holds, record the outcome, let
        subscribers and pending updates hear of it, and return the order's final state."""
        if self._end is None:
            pickup = self._order.delivery is DeliveryType.PICKUP
            self._conclude(OrderStatus.PICKED_UP if pickup else OrderStatus.SHIPPED, None)
        assert self._end is not None
        status, reason = self._end
        if status in (OrderStatus.CANCELLED, OrderStatus.FAILED):
            # Packages released their own units; this catches anything else (an allocation
            # made while the order was being cancelled) and costs nothing otherwise.
            await workflow.execute_activity_method(
                InventoryActivities.release_reservations,
                ReleaseRequest(
                    order_id=self._order.order_id, reason=f"order {status.value}: {reason}"
                ),
                **STORE_ACTIVITY,
            )
            self._view.backordered = []
        await self._placement.forget_backorder()
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
        self._timeline.record(status.value, reason=reason)
        self._timeline.update_search_attributes()
        await self._timeline.delivered()  # subscribers hear of the end before the order closes
        # An update that arrived as the order ended gets its real answer before the close.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OrderOutcome(
            order_id=self._order.order_id,
            status=status,
            reason=reason,
            fulfillments={f.fulfillment_id: f.status for f in self._view.fulfillments},
            view=self.state(),
        )


def _given(value: T | None, memo_key: str, default: T, hint: type[T]) -> T:
    """``value`` if the order's input carried it, else its memo's (``default``: neither)."""
    if value is not None:
        return value
    return workflow.memo_value(memo_key, default, type_hint=hint)


def _describe(error: BaseException) -> str:
    """An exception in a sentence (an activity's failure names its cause)."""
    cause = error.cause if isinstance(error, ActivityError) and error.cause else error
    return f"{type(cause).__name__}: {cause}"
