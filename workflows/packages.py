"""The order's packages: each one a small state machine run by the order workflow itself
(no child workflow), in its own coroutine: dispatch, hold the location to its deadlines,
settle shortfalls, then commit or release (once).

A package's ``view`` is what support and the location see; its flags say how far its own
work (dispatch, compensation) has gone. Passed through the workflow sandbox (loaded once
per worker, ``workflows/runner.py``): it keeps no module state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from activities.dispatch import DispatchActivities
from activities.inventory import InventoryActivities
from activities.messages import CommitRequest, ReleaseRequest
from domain.durations import format_duration
from domain.errors import InvalidTransition, UnknownFulfillment
from domain.fulfillment import FulfillmentView, is_delivered, next_status, split_shortfall
from domain.models import DeliveryType, FulfillmentStatus, LocationEventType
from domain.orders import (
    CancelAtLocationRequest,
    CarriedPackage,
    FulfillmentRequest,
    LocationEventEnvelope,
    OrderView,
    ShortfallNotice,
    ShortfallRecord,
)
from workflows.inbox import Inbox
from workflows.options import LOCATION_CALL, STORE_ACTIVITY, store_call
from workflows.timeline import Timeline

S = FulfillmentStatus
E = LocationEventType
# How long a location gets to hear "stop" before the units are released anyway.
CANCEL_AT_LOCATION_FOR = timedelta(hours=1)


@dataclass
class Package:
    """A package the order sent to a location, and the work still to do for it."""

    request: FulfillmentRequest
    view: FulfillmentView
    dispatched_at: datetime
    shortfalls: list[ShortfallNotice] = field(default_factory=list)
    dispatch_started: bool = False  # the location may have heard of it: tell it to stop
    stopped: bool = False  # the order took it back (cancel, reroute, the order ended)
    done: bool = False  # its units are committed or released: nothing more to do here

    @property
    def fulfillment_id(self) -> str:
        return self.view.fulfillment_id

    @property
    def location_id(self) -> str:
        return self.view.location_id

    @property
    def is_open(self) -> bool:
        """The location may still act on it (its status is open)."""
        return self.view.status.is_open

    def pending(self) -> str | None:
        """What the order still does for a package that is closed but not yet settled."""
        if self.done or self.is_open:
            return None
        if is_delivered(self.view.status):
            return f"{self.fulfillment_id}: committing the units that left {self.location_id}"
        if self.view.status in (S.TIMED_OUT, S.CANCELLED) and self.dispatch_started:
            return (
                f"{self.fulfillment_id}: telling {self.location_id} to stop, "
                "then releasing its units"
            )
        return f"{self.fulfillment_id}: releasing its units at {self.location_id}"


def check_event(package: Package, envelope: LocationEventEnvelope) -> None:
    """InvalidTransition if the location's event makes no sense now, saying why."""
    view, event = package.view, envelope.event
    if package.stopped:
        raise InvalidTransition(
            f"fulfillment {view.fulfillment_id} was taken back ({view.reason}); "
            f"'{event.type.value}' cannot change it"
        )
    next_status(view.status, event.type, view.delivery)
    if event.type is E.SHORT:
        split_shortfall(view.lines, event.lines or [])


class Packages:
    """Every package of one order, by fulfillment id, in the order they were sent.

    ``inbox``: where a package that closed, and units a location could not find, are
    handed back to the order. ``changed``: called when a package closes (the order's
    status may follow)."""

    def __init__(
        self,
        order_id: str,
        view: OrderView,
        timeline: Timeline,
        inbox: Inbox,
        changed: Callable[[], None],
    ) -> None:
        self._order_id = order_id
        self._view = view
        self._timeline = timeline
        self._inbox = inbox
        self._changed = changed
        self.by_id: dict[str, Package] = {}
        # Reserve (placement) and commit as local activities (``workflows.options.store_call``).
        self.local_store = False
        self.crash: BaseException | None = None  # a bug in a package's coroutine

    def open(self) -> list[Package]:
        return [p for p in self.by_id.values() if p.is_open]

    def all_done(self) -> bool:
        return all(p.done for p in self.by_id.values())

    def pending(self) -> list[str]:
        return [note for p in self.by_id.values() if (note := p.pending())]

    def carry(self) -> list[CarriedPackage]:
        """The settled packages for the order's next run (call only when all are done)."""
        assert self.all_done(), "a package in flight cannot be carried"
        return [
            CarriedPackage(
                request=p.request, dispatched_at=p.dispatched_at,
                dispatch_started=p.dispatch_started, stopped=p.stopped,
            )
            for p in self.by_id.values()
        ]  # fmt: skip

    def restore(self, carried: list[CarriedPackage]) -> None:
        """Take back the settled packages a previous run carried, each bound to its view
        in the order's (so a repeated event finds the event ids it took)."""
        views = {f.fulfillment_id: f for f in self._view.fulfillments}
        for c in carried:
            self.by_id[c.request.fulfillment_id] = Package(
                request=c.request, view=views[c.request.fulfillment_id],
                dispatched_at=c.dispatched_at, dispatch_started=c.dispatch_started,
                stopped=c.stopped, done=True,
            )  # fmt: skip

    def start(self, request: FulfillmentRequest) -> None:
        """Send a package out: it is ``dispatched`` at once, its coroutine does the rest."""
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
        self.by_id[request.fulfillment_id] = package
        self._view.fulfillments.append(view)
        self._timeline.record("dispatched", fulfillment=package.view)
        asyncio.create_task(self._run(package))  # noqa: RUF006 (tracked by done)

    def addressed_by(self, envelope: LocationEventEnvelope) -> Package:
        """The package a location's event is for; UnknownFulfillment if none of its own."""
        package = self.by_id.get(envelope.fulfillment_id or "")
        if package is None or envelope.location_id != package.location_id:
            raise UnknownFulfillment.named(envelope.fulfillment_id)
        return package

    def apply(self, package: Package, envelope: LocationEventEnvelope) -> None:
        """Apply a location's event (checked by ``check_event``) and record it."""
        view, event = package.view, envelope.event
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
        self._timeline.record(
            event.type.value, fulfillment=package.view, actor=envelope.actor, reason=event.reason,
            detail=detail,
        )  # fmt: skip

    def stop(self, package: Package, reason: str, actor: str) -> None:
        """The order takes the package back: it closes ``cancelled`` now, so a location
        event after this is refused; its own coroutine tells the location and releases."""
        if package.is_open:
            package.stopped = True
            self.close_as(package, S.CANCELLED, reason, actor=actor)

    def stop_all(self, reason: str, actor: str = "system") -> list[str]:
        stopped = [p.fulfillment_id for p in self.by_id.values() if p.is_open]
        for fid in stopped:
            self.stop(self.by_id[fid], reason, actor)
        return stopped

    def close_as(
        self, package: Package, status: FulfillmentStatus, reason: str, actor: str = "system"
    ) -> None:
        package.view.status = status
        package.view.reason = reason
        self._timeline.record(status.value, fulfillment=package.view, reason=reason, actor=actor)
        self._changed()

    # --- one package's coroutine ------------------------------------------------------

    async def _run(self, package: Package) -> None:
        """Dispatch, hold the location to its deadlines, then commit or release (once)."""
        try:
            if await self._dispatch(package):
                await self._hold_to_deadlines(package)
            await self._settle_shortfalls(package)
            await self._close(package)
            self._inbox.closed.append(package.view)
        except Exception as exc:  # a bug: the order fails, compensating what it holds
            if self.crash is None:
                self.crash = exc
            # The order takes every package back as it fails; this one then settles like
            # any other taken back (the location told, its units released).
            await workflow.wait_condition(lambda: not package.is_open)
            with contextlib.suppress(Exception):
                await self._close(package)
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
        call = workflow.start_activity_method(
            DispatchActivities.dispatch_fulfillment,
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
            self.close_as(package, S.REJECTED, f"the location refused the request: {cause}")
        else:
            self.close_as(package, S.TIMED_OUT, f"could not reach the location: {cause}")
        return False

    async def _hold_to_deadlines(self, package: Package) -> None:
        sla = package.request.sla
        accepted = await self._until(
            package, lambda: package.view.status is not S.DISPATCHED, sla.accept, "accepted",
            since=package.dispatched_at,
        )  # fmt: skip
        if not accepted:
            return
        if package.request.delivery is DeliveryType.PICKUP:
            ready = await self._until(
                package, lambda: package.view.status is S.READY_FOR_PICKUP, sla.ready_for_pickup,
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
        on a timeout; settles shortfalls as they come. No ``deadline``: no limit."""
        ends = (since or workflow.now()) + deadline if deadline else None
        while True:
            left = (ends - workflow.now()) if ends else None
            if deadline and left is not None and left <= timedelta(0):
                why = f"not {what} within {format_duration(deadline)}"
                self.close_as(package, on_timeout, why)
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
            await workflow.execute_activity_method(
                InventoryActivities.record_shortfall,
                ShortfallRecord(
                    order_id=self._order_id,
                    fulfillment_id=notice.fulfillment_id,
                    location_id=notice.location_id,
                    missing=notice.missing,
                    key=f"{notice.fulfillment_id}:short:{workflow.uuid4()}",
                ),
                **STORE_ACTIVITY,
            )
            self._inbox.shortfalls.append(notice)
            package.shortfalls.pop(0)

    async def _close(self, package: Package) -> None:
        """Commit what left; otherwise tell the location to stop (where it may be working
        on it) and release the units. Both are idempotent."""
        order_id, fid = self._order_id, package.fulfillment_id
        if is_delivered(package.view.status):
            await store_call(
                self.local_store,
                InventoryActivities.commit_shipment,
                CommitRequest(order_id=order_id, fulfillment_id=fid),
                **STORE_ACTIVITY,
            )
            return
        if package.view.status in (S.TIMED_OUT, S.CANCELLED) and package.dispatch_started:
            try:
                await workflow.execute_activity_method(
                    DispatchActivities.cancel_fulfillment_at_location,
                    CancelAtLocationRequest(
                        request=package.request, reason=package.view.reason or "cancelled"
                    ),
                    schedule_to_close_timeout=CANCEL_AT_LOCATION_FOR,
                    **LOCATION_CALL,
                )
            except ActivityError as err:
                # The units are released either way; the location is told on its timeline.
                why_not = str(err.cause or err)
                self._timeline.record(
                    "cancel_not_delivered", fulfillment=package.view, reason=why_not
                )
        why = f"{package.view.status.value}: {package.view.reason or ''}".strip(": ")
        await workflow.execute_activity_method(
            InventoryActivities.release_reservations,
            ReleaseRequest(
                order_id=order_id,
                fulfillment_id=fid,
                reason=why,
                outcome=package.view.status.value,
                location_id=package.location_id,
            ),
            **STORE_ACTIVITY,
        )
