"""Checkout places orders; support reads them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from adapters.catalog import Catalog
from domain.errors import InvalidOrder, UnknownSku
from domain.models import DeliveryType, OrderRequest, OrderStatus
from domain.orders import OrderView
from starter.api.deps import ActorDep, GatewayDep

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderAccepted(BaseModel):
    order_id: str
    status: OrderStatus
    created: bool
    href: str


def check_against_network(order: OrderRequest, catalog: Catalog) -> None:
    """What pydantic cannot know alone: SKUs in the catalogue, a real pickup store."""
    skus = catalog.skus()
    for i, line in enumerate(order.lines):
        if line.sku not in skus:
            raise UnknownSku(f"unknown SKU {line.sku!r}", ("lines", i, "sku"))
    if order.delivery is DeliveryType.PICKUP:
        store = catalog.location(order.pickup_location_id or "")
        if store is None:
            raise InvalidOrder(
                f"unknown location {order.pickup_location_id!r}", "pickup_location_id"
            )
        if not store.pickup:
            raise InvalidOrder(
                f"location {store.id} does not take pickup orders", "pickup_location_id"
            )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrderAccepted,
    responses={
        200: {"model": OrderAccepted, "description": "The same order was already placed"},
        409: {"description": "The order id was used before with a different body"},
        422: {"description": "Invalid order; the message names the field"},
    },
)
async def place_order(
    order: OrderRequest, request: Request, response: Response, gateway: GatewayDep, actor: ActorDep
) -> OrderAccepted:
    """Start the order's workflow. Repeating the same body is harmless (200, no second order)."""
    await run_in_threadpool(check_against_network, order, request.app.state.catalog)
    current, created = await gateway.place_order(order)
    if not created:
        response.status_code = status.HTTP_200_OK
    return OrderAccepted(
        order_id=order.order_id, status=current, created=created, href=f"/orders/{order.order_id}"
    )


@router.get(
    "/{order_id}", response_model=OrderView, responses={404: {"description": "Unknown order"}}
)
async def get_order(order_id: str, gateway: GatewayDep) -> OrderView:
    """The whole order: status, packages with tracking, the routing decision, the timeline."""
    return await gateway.get_order(order_id)
