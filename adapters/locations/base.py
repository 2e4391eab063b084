"""The one small interface every location integration implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from domain.fulfillment import LocationEvent
from domain.orders import FulfillmentRequest

# (location_id, fulfillment_id, event) -> None: how a built-in location reports back.
EventSink = Callable[[str, str, LocationEvent], Awaitable[object]]


class LocationRefused(Exception):
    """The location answered that it will never take this request (retrying will not help)."""


class LocationAdapter(Protocol):
    """Send work to a location and take it back. Both calls must be idempotent per key."""

    async def dispatch(self, request: FulfillmentRequest, idempotency_key: str) -> None:
        """Hand the fulfillment to the location."""
        ...

    async def cancel(self, request: FulfillmentRequest, reason: str, idempotency_key: str) -> None:
        """Tell the location to stop working on the fulfillment."""
        ...
