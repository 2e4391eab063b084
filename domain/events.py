"""Events Switchyard tells subscribers (an ERP, a notification service) about orders.

Each event is ``{"id", "type", "occurred_at", "data"}``: ``data`` is the order (or the
package, for ``fulfillment.*``) as the API shows it at that moment. The id is minted by
the order's workflow (``<order id>:E<n>``), the same on every delivery attempt, so a
receiver deduplicates on it. Plain pydantic, safe to import in workflows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.personal import SealedPersonal


class EventType(StrEnum):
    ORDER_RECEIVED = "order.received"
    ORDER_ALLOCATED = "order.allocated"
    ORDER_BACKORDERED = "order.backordered"
    FULFILLMENT_DISPATCHED = "fulfillment.dispatched"
    FULFILLMENT_SHIPPED = "fulfillment.shipped"
    ORDER_SHIPPED = "order.shipped"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_FAILED = "order.failed"
    ORDER_REROUTED = "order.rerouted"
    RETURN_AUTHORIZED = "return.authorized"
    RETURN_RECEIVED = "return.received"
    ORDER_HELD = "order.held"
    ORDER_HOLD_RELEASED = "order.hold_released"


# Timeline entry types (``OrderWorkflow._record``) that are events: (order's, package's).
ORDER_EVENTS = {
    "received": EventType.ORDER_RECEIVED,
    "allocated": EventType.ORDER_ALLOCATED,
    "backordered": EventType.ORDER_BACKORDERED,
    "shipped": EventType.ORDER_SHIPPED,
    "cancelled": EventType.ORDER_CANCELLED,
    "failed": EventType.ORDER_FAILED,
    "rerouting": EventType.ORDER_REROUTED,
    "reroute_requested": EventType.ORDER_REROUTED,
    "held": EventType.ORDER_HELD,
    "hold_released": EventType.ORDER_HOLD_RELEASED,
}
# A return's workflow publishes these (``data``: the return, ``workflows/returns.py``).
RETURN_EVENTS = {
    "authorized": EventType.RETURN_AUTHORIZED,
    "received": EventType.RETURN_RECEIVED,
}
PACKAGE_EVENTS = {
    "dispatched": EventType.FULFILLMENT_DISPATCHED,
    "shipped": EventType.FULFILLMENT_SHIPPED,
}


class PublishedEvent(BaseModel):
    """One event as subscribers receive it (and as the publish activity is given it)."""

    id: str = Field(max_length=100)
    type: EventType
    occurred_at: datetime
    order_id: str  # for the store and the logs; not part of what subscribers receive
    data: dict[str, Any]
    # The order's customer and destination, sealed under the customer's key
    # (``domain/personal.py``): the publish activity opens it into ``data``.
    personal: SealedPersonal | None = None

    def body(self) -> dict[str, Any]:
        """What a subscriber receives."""
        return {
            "id": self.id,
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }
