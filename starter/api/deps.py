"""What routes are given: the gateway to Temporal and the inventory store (the caller
comes from ``starter.api.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from adapters.order_gateway import OrderGateway
from adapters.store import InventoryStore
from domain.errors import UnknownLocation
from domain.models import Location


# ``async`` although they never wait: FastAPI runs a plain ``def`` dependency in its
# thread pool: a thread hop per request (anyio's thread machinery was over a tenth of
# the API's CPU in a py-spy profile under load).
async def get_gateway(request: Request) -> OrderGateway:
    return request.app.state.gateway


async def get_store(request: Request) -> InventoryStore:
    return request.app.state.store


def known_location(request: Request, location_id: str) -> Location:
    """The location named in the path, from the catalogue; ``UnknownLocation`` (404) if none.
    Reads the store when the catalogue is stale: call it off the event loop."""
    location = request.app.state.catalog.location(location_id)
    if location is None:
        raise UnknownLocation(f"unknown location {location_id!r}")
    return location


GatewayDep = Annotated[OrderGateway, Depends(get_gateway)]
StoreDep = Annotated[InventoryStore, Depends(get_store)]
