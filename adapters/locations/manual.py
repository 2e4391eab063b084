"""Locations whose staff read their queue from the API and report events by hand.

Nothing is pushed: the fulfillment shows up in ``GET /locations/{id}/fulfillments``
as soon as its reservation is made, and leaves it when it closes.
"""

from __future__ import annotations

from domain.orders import FulfillmentRequest


class ManualAdapter:
    async def dispatch(self, request: FulfillmentRequest, idempotency_key: str) -> None:
        return None

    async def cancel(self, request: FulfillmentRequest, reason: str, idempotency_key: str) -> None:
        return None
