"""One package at one location: dispatch it, hear from the location, close it.

The location's events arrive as an update, so the caller learns at once whether the
event was taken (404/409 come from the validator, and a rejected update leaves no
trace in the history). Its id is ``order-<order_id>-F<n>``, so Temporal itself
refuses a second workflow for the same package.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.messages import CommitRequest, ReleaseRequest
    from activities.names import COMMIT_SHIPMENT, DISPATCH, RELEASE_RESERVATIONS
    from domain.errors import UnknownFulfillment
    from domain.fulfillment import TimelineEntry, is_delivered, next_status
    from domain.models import FulfillmentStatus, LocationEventType
    from domain.orders import (
        EventReceipt,
        FulfillmentRequest,
        FulfillmentView,
        LocationEventEnvelope,
    )

STORE_ACTIVITY = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10)),
}


@workflow.defn
class FulfillmentWorkflow:
    @workflow.init
    def __init__(self, request: FulfillmentRequest) -> None:
        self._request = request
        self._view = FulfillmentView(
            fulfillment_id=request.fulfillment_id,
            order_id=request.order_id,
            location_id=request.location_id,
            status=FulfillmentStatus.DISPATCHED,
            lines=request.lines,
            delivery=request.delivery,
            ship_to=request.ship_to,
        )

    @workflow.run
    async def run(self, request: FulfillmentRequest) -> FulfillmentView:
        self._record("dispatched", actor="system")
        await workflow.execute_activity(
            DISPATCH,
            request,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        await workflow.wait_condition(lambda: not self._view.status.is_open)
        if is_delivered(self._view.status):
            await workflow.execute_activity(
                COMMIT_SHIPMENT,
                CommitRequest(order_id=request.order_id, fulfillment_id=request.fulfillment_id),
                **STORE_ACTIVITY,
            )
        else:
            await workflow.execute_activity(
                RELEASE_RESERVATIONS,
                ReleaseRequest(
                    order_id=request.order_id,
                    fulfillment_id=request.fulfillment_id,
                    reason=self._view.reason or self._view.status.value,
                ),
                **STORE_ACTIVITY,
            )
        return self._view

    @workflow.update
    def report_event(self, envelope: LocationEventEnvelope) -> EventReceipt:
        """Apply a location's event; repeating an ``event_id`` changes nothing."""
        event = envelope.event
        if event.event_id and event.event_id in self._view.processed_event_ids:
            return EventReceipt(fulfillment=self._view, duplicate=True)
        self._view.status = next_status(self._view.status, event.type, self._view.delivery)
        if event.type is LocationEventType.SHIPPED:
            self._view.carrier = event.carrier
            self._view.tracking_number = event.tracking_number
        if event.reason:
            self._view.reason = event.reason
        if event.event_id:
            self._view.processed_event_ids.append(event.event_id)
        detail = {}
        if event.tracking_number:
            detail = {"carrier": event.carrier, "tracking_number": event.tracking_number}
        self._record(
            event.type.value, actor=envelope.actor, reason=event.reason, detail=detail or None
        )
        return EventReceipt(fulfillment=self._view)

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
        next_status(self._view.status, event.type, self._view.delivery)  # InvalidTransition -> 409

    @workflow.query
    def state(self) -> FulfillmentView:
        return self._view

    def _record(
        self,
        type_: str,
        *,
        actor: str,
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
