"""What routes are given: the orders (the gateway to Temporal) and the inventory store
(the caller comes from ``starter.api.auth``).

Routes see the orders through their port (``services.ports.OrderGateway``): reading it
here as the adapter and handing it on as the port is where mypy checks that the adapter
still fits. The store stays the adapter: its plain reads and writes (tokens,
subscriptions, locations) have no use case to go through."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from adapters.store import InventoryStore
from services import ports
from starter.gateway.orders import OrderGateway


# ``async`` although they never wait: FastAPI runs a plain ``def`` dependency in its
# thread pool: a thread hop per request (anyio's thread machinery was over a tenth of
# the API's CPU in a py-spy profile under load).
async def get_gateway(request: Request) -> ports.OrderGateway:
    gateway: OrderGateway = request.app.state.gateway
    return gateway


async def get_store(request: Request) -> InventoryStore:
    store: InventoryStore = request.app.state.store
    return store


GatewayDep = Annotated[ports.OrderGateway, Depends(get_gateway)]
StoreDep = Annotated[InventoryStore, Depends(get_store)]
