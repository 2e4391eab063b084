"""One package at one location: dispatch it, hold the location to its deadlines, close it.

The location's events arrive as an update, so the caller learns at once whether the
event was taken (404/409 come from the validator, and a rejected update leaves no
trace in the history). Its id is ``order-<order_id>-F<n>``, so Temporal itself
refuses a second workflow for the same package.

How it closes: ``shipped``/``picked_up`` commit the reserved units; ``rejected``,
``timed_out``, ``cancelled`` and ``short`` (nothing found) release them, after telling
the location to stop where that makes sense. The parent order decides what comes next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.messages import CommitRequest, ReleaseRequest
    from activities.names import (
        CANCEL_AT_LOCATION,
        COMMIT_SHIPMENT,
        DISPATCH,
        RECORD_SHORTFALL,
        RELEASE_RESERVATIONS,
    )
    from domain.durations import format_duration
    from domain.errors import UnknownFulfillment
    from domain.fulfillment import TimelineEntry, is_delivered, next_status, split_shortfall
    from domain.models import DeliveryType, FulfillmentStatus, LocationEventType
    from domain.orders import (
        CancelAtLocationRequest,
        EventReceipt,
        FulfillmentRequest,
        FulfillmentView,
        LocationEventEnvelope,
        ShortfallNotice,
        ShortfallRecord,
    )
    from workflows.options import LOCATION_CALL, STORE_ACTIVITY

S = FulfillmentStatus
SHORTFALL_SIGNAL = "package_short"
READY_SIGNAL = "package_ready"


@workflow.defn
class FulfillmentWorkflow:
    @workflow.init
    def __init__(self, request: FulfillmentRequest) -> None:
        self._request = request
        self._view = FulfillmentView(
            fulfillment_id=request.fulfillment_id,
            order_id=request.order_id,
            location_id=request.location_id,
            status=S.DISPATCHED,
            lines=request.lines,
            delivery=request.delivery,
            ship_to=request.ship_to,
        )
        self._cancel_reason: str | None = None
        self._cancel_actor = "system"
        self._shortfalls: list[ShortfallNotice] = []
        self._dispatched_at: datetime | None = None

    @workflow.run
    async def run(self, request: FulfillmentRequest) -> FulfillmentView:
        self._record("dispatched")
        self._dispatched_at = workflow.now()
        if await self._dispatch(request):
            await self._hold_location_to_deadlines(request)
        await self._settle_shortfalls()
        await self._close(request)
        return self._view

    # --- the location's side -------------------------------------------------------------

    @workflow.update
    def report_event(self, envelope: LocationEventEnvelope) -> EventReceipt:
        """Apply a location's event; repeating an ``event_id`` changes nothing."""
        event = envelope.event
        if event.event_id and event.event_id in self._view.processed_event_ids:
            return EventReceipt.of(self._view, duplicate=True)
        self._view.status = next_status(self._view.status, event.type, self._view.delivery)
        detail: dict[str, object] | None = None
        if event.type is LocationEventType.SHIPPED:
            self._view.carrier = event.carrier
            self._view.tracking_number = event.tracking_number
            if event.tracking_number:
                detail = {"carrier": event.carrier, "tracking_number": event.tracking_number}
        elif event.type is LocationEventType.SHORT:
            kept, missing = split_shortfall(self._view.lines, event.lines or [])
            self._view.lines = kept
            self._shortfalls.append(
                ShortfallNotice(
                    fulfillment_id=self._view.fulfillment_id,
                    location_id=self._view.location_id,
                    missing=missing,
                )
            )
            if not kept:
                self._view.status = S.SHORT
            detail = {
                "found": {line.sku: line.quantity for line in kept},
                "missing": {line.sku: line.quantity for line in missing},
            }
        if event.reason:
            self._view.reason = event.reason
        if event.event_id:
            self._view.processed_event_ids.append(event.event_id)
        self._record(event.type.value, actor=envelope.actor, reason=event.reason, detail=detail)
        return EventReceipt.of(self._view)

    @report_event.validator
    def _validate_event(self, envelope: LocationEventEnvelope) -> None:
        if envelope.location_id != self._view.location_id:
            raise UnknownFulfillment(
                f"fulfillment {self._view.fulfillment_id} does not belong to location "
                f"{envelope.location_id}"
            )
        event = envelope.event
        if event.event_id and event.event_id in self._view.processed_event_ids:
            return
        next_status(self._view.status, event.type, self._view.delivery)  # InvalidTransition
        if event.type is LocationEventType.SHORT:
            split_shortfall(self._view.lines, event.lines or [])

    # --- the order's side -----------------------------------------------------------------

    @workflow.signal
    def cancel(self, reason: str, actor: str = "system") -> None:
        """The order no longer wants this package here (reroute or cancel)."""
        if self._cancel_reason is None:
            self._cancel_reason = reason
            self._cancel_actor = actor

    @workflow.query
    def state(self) -> FulfillmentView:
        return self._view

    # --- steps ----------------------------------------------------------------------------

    async def _dispatch(self, request: FulfillmentRequest) -> bool:
        """Hand the package over; a refusal counts as a rejection, silence as a timeout."""
        try:
            await workflow.execute_activity(
                DISPATCH,
                request,
                schedule_to_close_timeout=request.sla.accept,
                **LOCATION_CALL,
            )
            return True
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "LocationRefused":
                self._close_as(S.REJECTED, f"the location refused the request: {cause.message}")
            else:
                self._close_as(S.TIMED_OUT, f"could not reach the location: {cause or err}")
            return False

    async def _hold_location_to_deadlines(self, request: FulfillmentRequest) -> None:
        sla = request.sla
        accepted = await self._until(
            lambda: self._view.status is not S.DISPATCHED,
            sla.accept,
            "accepted",
            since=self._dispatched_at,
        )
        if not accepted:
            return
        if request.delivery is DeliveryType.PICKUP:
            ready = await self._until(
                lambda: self._view.status is S.READY_FOR_PICKUP,
                sla.ready_for_pickup,
                "ready for pickup",
                since=self._dispatched_at,
            )
            if not ready:
                return
            await self._tell_parent(READY_SIGNAL, self._view.fulfillment_id)
            # Never collected: cancel and put the units back on the shelf.
            await self._until(lambda: False, sla.pickup_window, "collected", on_timeout=S.CANCELLED)
        else:
            await self._until(lambda: False, sla.ship, "shipped after acceptance")

    async def _until(
        self,
        reached: Callable[[], bool],
        deadline: timedelta | None,
        what: str,
        *,
        since: datetime | None = None,
        on_timeout: FulfillmentStatus = S.TIMED_OUT,
    ) -> bool:
        """Wait for ``reached`` (or the package closing) until ``deadline`` after ``since``
        (default: now); True if reached with the package still open. Closes the package
        on a timeout or a cancel."""
        ends = (since or workflow.now()) + deadline if deadline else None
        while True:
            left = (ends - workflow.now()) if ends else None
            if left is not None and left <= timedelta(0):
                self._close_as(on_timeout, f"not {what} within {format_duration(deadline)}")
                return False
            try:
                await workflow.wait_condition(
                    lambda: (
                        reached()
                        or not self._view.status.is_open
                        or self._cancel_reason is not None
                        or bool(self._shortfalls)
                    ),
                    timeout=left,
                )
            except TimeoutError:
                continue
            await self._settle_shortfalls()
            if self._cancel_reason is not None and self._view.status.is_open:
                self._close_as(S.CANCELLED, self._cancel_reason, actor=self._cancel_actor)
                return False
            if not self._view.status.is_open:
                return False
            if reached():
                return True

    async def _settle_shortfalls(self) -> None:
        """Correct the location's stock for each short pick, then hand the missing units
        to the order to place elsewhere."""
        while self._shortfalls:
            notice = self._shortfalls[0]
            await workflow.execute_activity(
                RECORD_SHORTFALL,
                ShortfallRecord(
                    order_id=self._view.order_id,
                    fulfillment_id=notice.fulfillment_id,
                    location_id=notice.location_id,
                    missing=notice.missing,
                    key=f"{notice.fulfillment_id}:short:{workflow.uuid4()}",
                ),
                **STORE_ACTIVITY,
            )
            await self._tell_parent(SHORTFALL_SIGNAL, notice)
            self._shortfalls.pop(0)

    async def _close(self, request: FulfillmentRequest) -> None:
        if is_delivered(self._view.status):
            await workflow.execute_activity(
                COMMIT_SHIPMENT,
                CommitRequest(order_id=request.order_id, fulfillment_id=request.fulfillment_id),
                **STORE_ACTIVITY,
            )
            return
        if self._view.status in (S.TIMED_OUT, S.CANCELLED):
            await self._cancel_at_location(request)
        await workflow.execute_activity(
            RELEASE_RESERVATIONS,
            ReleaseRequest(
                order_id=request.order_id,
                fulfillment_id=request.fulfillment_id,
                reason=f"{self._view.status.value}: {self._view.reason or ''}".strip(": "),
            ),
            **STORE_ACTIVITY,
        )

    async def _cancel_at_location(self, request: FulfillmentRequest) -> None:
        try:
            await workflow.execute_activity(
                CANCEL_AT_LOCATION,
                CancelAtLocationRequest(request=request, reason=self._view.reason or "cancelled"),
                schedule_to_close_timeout=timedelta(hours=1),
                **LOCATION_CALL,
            )
        except ActivityError as err:
            # The units are released either way; the location is told on its timeline.
            self._record("cancel_not_delivered", reason=str(err.cause or err))

    async def _tell_parent(self, signal: str, payload: object) -> None:
        parent = workflow.info().parent
        if parent is None:
            return
        await workflow.get_external_workflow_handle(parent.workflow_id).signal(signal, payload)

    def _close_as(self, status: FulfillmentStatus, reason: str, actor: str = "system") -> None:
        self._view.status = status
        self._view.reason = reason
        self._record(status.value, reason=reason, actor=actor)

    def _record(
        self,
        type_: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        self._view.events.append(
            TimelineEntry(
                at=workflow.now(),
                type=type_,
                fulfillment_id=self._view.fulfillment_id,
                location_id=self._view.location_id,
                reason=reason,
                actor=actor,
                detail=detail,
            )
        )
