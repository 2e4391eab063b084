"""A return: authorized, awaited at its location, received (restocked or written off),
closed; or expired when nothing came back.

One workflow per return, ``return-<order id>-R<n>``: a return comes days after its
order's workflow ended, so it is a process of its own (the order's workflow is not
touched). The location's report is a validated update, its id derived from the
location's ``event_id``: a repeat is answered from the first (``duplicate: true``), a
report that does not fit the return is refused (404/409) before anything is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities
    from activities.returns import ReturnActivities
    from domain.errors import ReturnEventRefused, UnknownReturn
    from domain.events import RETURN_EVENTS, PublishedEvent
    from domain.fulfillment import TimelineEntry
    from domain.return_states import ReturnStatus
    from domain.returns import (
        RETURN_EXPIRES_AFTER,
        NewReturn,
        ReturnEventEnvelope,
        ReturnReceipt,
        ReturnStatusChange,
        ReturnView,
        check_receipt,
        is_repeat_report,
        restock_of,
    )
    from workflows.options import EVENT_DELIVERY, STORE_ACTIVITY


@workflow.defn
class ReturnWorkflow:
    @workflow.init
    def __init__(self, new: NewReturn) -> None:
        self._view = new.view.model_copy(deep=True)
        self._subscribed = frozenset(new.event_types)
        self._report: ReturnEventEnvelope | None = None
        self._published = 0
        self._publishing: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, new: NewReturn) -> ReturnView:
        """Wait for the parcel (or its expiry), restock what is sellable, close."""
        self._record("authorized", actor=self._view.authorized_by)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._report is not None, timeout=RETURN_EXPIRES_AFTER
            )
        # A report accepted in the same task as the timer firing was answered "received":
        # it wins over the expiry.
        if self._report is None:
            await self._expire()
        else:
            await self._receive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._publishing:
            await workflow.wait_condition(lambda: all(t.done() for t in self._publishing))
        return self._view

    async def _receive(self) -> None:
        report = self._report
        assert report is not None
        restock = restock_of(self._view, report.report, report.actor)
        await workflow.execute_activity_method(
            ReturnActivities.receive_return, restock, **STORE_ACTIVITY
        )
        counts = self._view.counts()
        self._record(
            "received",
            actor=report.actor,
            detail={
                "refund": None if self._view.refund is None else str(self._view.refund),
                "currency": self._view.currency,
                **counts,
            },
        )
        await self._settle(ReturnStatus.CLOSED)
        self._record("closed")

    async def _expire(self) -> None:
        days = RETURN_EXPIRES_AFTER / timedelta(days=1)
        self._view.status = ReturnStatus.EXPIRED
        await self._settle(ReturnStatus.EXPIRED)
        self._record("expired", reason=f"nothing came back within {days:g} days")

    async def _settle(self, status: ReturnStatus) -> None:
        """The store's copy moves to ``status`` first, then the workflow's."""
        await workflow.execute_activity_method(
            ReturnActivities.set_return_status,
            ReturnStatusChange(return_id=self._view.return_id, status=status),
            **STORE_ACTIVITY,
        )
        self._view.status = status

    # --- the return location's side -------------------------------------------------

    @workflow.update
    def report(self, envelope: ReturnEventEnvelope) -> ReturnReceipt:
        """Apply the location's "received" report; its ``event_id`` again changes nothing."""
        try:
            if self._is_repeat(envelope):
                return ReturnReceipt.of(self._view, duplicate=True, request_id=envelope.request_id)
            self._check(envelope)
        except (UnknownReturn, ReturnEventRefused) as refused:
            raise ApplicationError(
                str(refused), type=type(refused).__name__, non_retryable=True
            ) from None
        self._report = envelope
        self._view.received = envelope.report.lines
        self._view.received_event_id = envelope.report.event_id
        self._view.status = ReturnStatus.RECEIVED
        return ReturnReceipt.of(self._view, request_id=envelope.request_id)

    @report.validator
    def _validate_report(self, envelope: ReturnEventEnvelope) -> None:
        if not self._is_repeat(envelope):
            self._check(envelope)

    def _is_repeat(self, envelope: ReturnEventEnvelope) -> bool:
        if envelope.location_id != self._view.location_id:
            raise UnknownReturn.named(self._view.return_id)
        return is_repeat_report(self._view, envelope.report)

    def _check(self, envelope: ReturnEventEnvelope) -> None:
        check_receipt(self._view, envelope.report)

    @workflow.query
    def state(self) -> ReturnView:
        return self._view

    # --- the timeline and its events ------------------------------------------------

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
                location_id=self._view.location_id,
                reason=reason,
                actor=actor,
                detail=detail,
            )
        )
        workflow.logger.info(
            "return %s %s", self._view.return_id, type_, extra={"order_id": self._view.order_id}
        )
        kind = RETURN_EVENTS.get(type_)
        if kind is None or kind.value not in self._subscribed:
            return
        self._published += 1
        event = PublishedEvent(
            id=f"{self._view.return_id}:E{self._published}",
            type=kind,
            occurred_at=workflow.now(),
            order_id=self._view.order_id,
            data=self._event_data(),
        )
        self._publishing.append(asyncio.create_task(self._publish(event)))

    def _event_data(self) -> dict[str, object]:
        data = self._view.model_dump(mode="json", exclude={"events"})
        data["counts"] = self._view.counts()
        return data

    async def _publish(self, event: PublishedEvent) -> None:
        """Deliver in the background; a subscriber that is down never holds the return up."""
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity_method(
                EventActivities.publish_event, event, **EVENT_DELIVERY
            )
