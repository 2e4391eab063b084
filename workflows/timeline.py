"""The order's timeline: each entry, its log line, the event subscribers hear of, and the
search attributes that keep the order findable.

Passed through the workflow sandbox (loaded once per worker, ``workflows/runner.py``):
it keeps no module state, and its workflow calls act on the order that calls them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from temporalio import workflow
from temporalio.exceptions import ActivityError

from activities.events import EventActivities
from domain.events import ORDER_EVENTS, PACKAGE_EVENTS, PublishedEvent
from domain.fulfillment import FulfillmentView, TimelineEntry
from domain.models import OrderStatus
from domain.orders import OrderView
from workflows import search
from workflows.options import EVENT_DELIVERY

# Timeline entries logged at INFO: what someone may have to look at. The happy path
# (received, allocated, dispatched ... shipped) is DEBUG: a line per order step would be
# most of a busy stack's log, and `dom up`'s console is for people.
_NOTABLE = frozenset(
    {"backordered", "rerouting", "reroute_requested", "rejected", "timed_out", "short",
     "cancelled", "failed", "partially_shipped", "cancel_not_delivered", "held",
     "hold_released", "hold_expired"}
)  # fmt: skip
# Orders placed before events existed have no publish activities in their histories.
EVENTS_PATCH = "order-events"


class Timeline:
    """What the order records as it goes, and who hears of it."""

    def __init__(self, order_id: str, view: OrderView) -> None:
        self._order_id = order_id
        self._view = view
        # The event types the order's subscribers asked for when it was placed.
        self.subscribed: frozenset[str] = frozenset()
        self._events_published = 0
        self._publishing: list[asyncio.Task[None]] = []
        self._searchable: tuple[str, list[str]] = (OrderStatus.RECEIVED.value, [])

    @property
    def events_published(self) -> int:
        return self._events_published

    def restore(self, events_published: int) -> None:
        """Go on from a previous run: its event ids, and the search attributes it set
        (a continued run keeps them: only a change is written)."""
        self._events_published = events_published
        self._searchable = (
            self._view.status.value,
            sorted({f.location_id for f in self._view.fulfillments}),
        )

    def quiet(self) -> bool:
        """Every event published so far is delivered (or given up on)."""
        return all(t.done() for t in self._publishing)

    def record(
        self,
        type_: str,
        *,
        fulfillment: FulfillmentView | None = None,
        reason: str | None = None,
        actor: str = "system",
        detail: dict[str, object] | None = None,
    ) -> None:
        """One timeline entry: the order's own, or (``fulfillment``) that package's."""
        entry = TimelineEntry(
            at=workflow.now(),
            type=type_,
            fulfillment_id=fulfillment.fulfillment_id if fulfillment else None,
            location_id=fulfillment.location_id if fulfillment else None,
            reason=reason,
            actor=actor,
            detail=detail,
        )
        (fulfillment.events if fulfillment else self._view.events).append(entry)
        self._emit(type_, fulfillment)
        # The same entry as a log line carrying the order's (and package's) ids; the SDK
        # adds the workflow's and skips it while replaying. Routine steps at DEBUG.
        workflow.logger.log(
            logging.INFO if type_ in _NOTABLE else logging.DEBUG,
            "%s%s",
            type_,
            f": {reason}" if reason else "",
            extra={
                "order_id": self._order_id,
                "fulfillment_id": entry.fulfillment_id,
                "location_id": entry.location_id,
            },
        )

    def update_search_attributes(self) -> None:
        """Keep the order findable by status and location (only when they change)."""
        status = self._view.status.value
        locations = sorted({f.location_id for f in self._view.fulfillments})
        if (status, locations) == self._searchable:
            return
        self._searchable = (status, locations)
        workflow.upsert_search_attributes(
            [search.ORDER_STATUS.value_set(status), search.ORDER_LOCATIONS.value_set(locations)]
        )

    async def delivered(self) -> None:
        """Wait until every event published so far is delivered (or given up on)."""
        if self._publishing:
            await workflow.wait_condition(lambda: all(t.done() for t in self._publishing))

    def _emit(self, type_: str, fulfillment: FulfillmentView | None) -> None:
        """Publish the timeline entry as an event, if it is one the order's subscribers
        asked for (as the API found them when the order was placed)."""
        kind = (PACKAGE_EVENTS if fulfillment else ORDER_EVENTS).get(type_)
        if kind is None or kind.value not in self.subscribed:
            return
        if not workflow.patched(EVENTS_PATCH):
            return  # a history from before events: replay it as it ran
        self._events_published += 1
        if fulfillment is not None:
            data = fulfillment.model_dump(mode="json")
        else:
            view = self._view.model_copy()
            view.routing = view.routing_history[-1] if view.routing_history else None
            data = view.model_dump(mode="json", exclude={"routing_history", "personal"})
        event = PublishedEvent(
            id=f"{self._order_id}:E{self._events_published}",
            type=kind,
            occurred_at=workflow.now(),
            order_id=self._order_id,
            data=data,
            personal=self._view.personal,
        )
        self._publishing.append(asyncio.create_task(self._publish_event(event)))

    async def _publish_event(self, event: PublishedEvent) -> None:
        """Deliver in the background: a subscriber that is down never holds the order up
        (only its close waits, for the retries to run out); its failure is shown in the
        subscription's deliveries, not in the order."""
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity_method(
                EventActivities.publish_event, event, **EVENT_DELIVERY
            )
