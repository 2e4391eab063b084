"""Hand fulfillments to locations (and take them back) through their adapters.

The fulfillment request carries the location's id, never its adapter settings: the URL
and signing secret are read from the store here, at call time, so secrets never enter a
workflow history or the allocations table, and a changed URL reaches packages already
in flight (the next retry uses it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import business_errors_are_final
from activities.limits import HEARTBEAT_EVERY_SECONDS
from activities.names import CANCEL_AT_LOCATION, DISPATCH
from adapters.locations import LocationAdapters, LocationRefused
from adapters.locations.base import LocationAdapter
from adapters.network_cache import NetworkCache
from domain.errors import UnknownLocation
from domain.orders import CancelAtLocationRequest, FulfillmentRequest
from services.personal import opened_request
from services.ports import PersonalVault

T = TypeVar("T")


class DispatchActivities:
    """``vault``: opens the customer's name and street (sealed in the request) for the
    location, at the last moment; None: requests carry them in clear (tests)."""

    def __init__(
        self, adapters: LocationAdapters, catalog: NetworkCache, vault: PersonalVault | None
    ) -> None:
        self._adapters = adapters
        self._catalog = catalog
        self._vault = vault

    async def _opened(self, request: FulfillmentRequest) -> FulfillmentRequest:
        return await opened_request(self._vault, request) if self._vault else request

    async def _adapter(self, location_id: str) -> LocationAdapter:
        location = await asyncio.to_thread(self._catalog.location, location_id)
        if location is None:
            raise UnknownLocation(f"location {location_id!r} is no longer in the network")
        return self._adapters.for_config(location.adapter)

    @activity.defn(name=DISPATCH)
    @business_errors_are_final
    async def dispatch_fulfillment(self, request: FulfillmentRequest) -> None:
        """Send the fulfillment to its location; the key is the same on every retry."""
        adapter = await self._adapter(request.location_id)
        request = await self._opened(request)
        try:
            await heartbeating(
                adapter.dispatch(request, idempotency_key=f"{request.fulfillment_id}:dispatch")
            )
        except LocationRefused as exc:
            raise ApplicationError(str(exc), type="LocationRefused", non_retryable=True) from exc

    @activity.defn(name=CANCEL_AT_LOCATION)
    @business_errors_are_final
    async def cancel_fulfillment_at_location(self, cancel: CancelAtLocationRequest) -> None:
        """Tell the location to stop; cancelling twice is harmless."""
        adapter = await self._adapter(cancel.request.location_id)
        request = await self._opened(cancel.request)
        try:
            await heartbeating(
                adapter.cancel(
                    request,
                    cancel.reason,
                    idempotency_key=f"{cancel.request.fulfillment_id}:cancel",
                )
            )
        except LocationRefused as exc:
            raise ApplicationError(str(exc), type="LocationRefused", non_retryable=True) from exc


async def heartbeating(call: Awaitable[T], every: float = HEARTBEAT_EVERY_SECONDS) -> T:
    """Await a location call, heartbeating while it runs: a worker that dies mid-call is
    noticed within the heartbeat timeout (seconds), not the call's start-to-close
    timeout (which must outlast the slowest webhook), and the call is tried again."""
    task = asyncio.ensure_future(call)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            activity.heartbeat()
    finally:
        task.cancel()
