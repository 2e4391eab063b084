"""Hand fulfillments to locations (and take them back) through their adapters."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.names import CANCEL_AT_LOCATION, DISPATCH
from adapters.locations import LocationAdapters, LocationRefused
from domain.orders import CancelAtLocationRequest, FulfillmentRequest


class DispatchActivities:
    def __init__(self, adapters: LocationAdapters) -> None:
        self._adapters = adapters

    @activity.defn(name=DISPATCH)
    async def dispatch_fulfillment(self, request: FulfillmentRequest) -> None:
        """Send the fulfillment to its location; the key is the same on every retry."""
        adapter = self._adapters.for_config(request.adapter)
        try:
            await adapter.dispatch(request, idempotency_key=f"{request.fulfillment_id}:dispatch")
        except LocationRefused as exc:
            raise ApplicationError(str(exc), type="LocationRefused", non_retryable=True) from exc

    @activity.defn(name=CANCEL_AT_LOCATION)
    async def cancel_fulfillment_at_location(self, cancel: CancelAtLocationRequest) -> None:
        """Tell the location to stop; cancelling twice is harmless."""
        adapter = self._adapters.for_config(cancel.request.adapter)
        try:
            await adapter.cancel(
                cancel.request,
                cancel.reason,
                idempotency_key=f"{cancel.request.fulfillment_id}:cancel",
            )
        except LocationRefused as exc:
            raise ApplicationError(str(exc), type="LocationRefused", non_retryable=True) from exc
