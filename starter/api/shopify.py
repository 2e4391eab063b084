"""Shopify's ``orders/create`` webhook: a storefront's order becomes a Switchyard order.

Authenticated by its signature (``X-Shopify-Hmac-Sha256`` under
``DOM_SHOPIFY_WEBHOOK_SECRET``), not a bearer token: Shopify cannot send one. Answered
within Shopify's 5 s: the order's workflow is started and nothing else is awaited.
Every signed order is answered 200, so Shopify never retries one forever: an order
Switchyard cannot place is kept as a ``failed`` order saying why, for support to find.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from adapters import metrics
from adapters.shopify import (
    HMAC_HEADER,
    Refusal,
    ShopifyOrder,
    refused_order,
    to_order_request,
    verify_shopify,
)
from domain.errors import InvalidOrder, OrderConflict
from services.orders import check_against_network
from starter.api.deps import GatewayDep
from starter.api.errors import error_responses
from starter.bootstrap.log_format import bind_order

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks/shopify", tags=["shopify"])

ACTOR = "shopify:orders-create"


class ShopifyReceipt(BaseModel):
    """What Switchyard made of the delivery (Shopify reads only the status code)."""

    order_id: str
    created: bool
    outcome: Literal["placed", "failed", "already_received"]
    reason: str | None = None
    href: str


async def signed_by_shopify(
    request: Request,
    signature: Annotated[
        str | None,
        Header(
            alias=HMAC_HEADER,
            max_length=200,
            description="Base64 HMAC-SHA256 of the raw body under the app's shared secret",
        ),
    ] = None,
) -> bytes:
    """The raw body once Shopify's signature checks out; ``InvalidSignature`` (401) if not."""
    body = await request.body()
    settings = request.app.state.settings
    verify_shopify(signature, body, settings.shopify_webhook_secrets)
    return body


@router.post(
    "/orders-create",
    response_model=ShopifyReceipt,
    responses=error_responses(
        401,
        422,
        e401="Missing or wrong X-Shopify-Hmac-Sha256 (or no secret set up)",
        e422="Signed, but not a Shopify order (no id)",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "Shopify's `orders/create` payload, as Shopify sends it",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def orders_create(
    body: Annotated[bytes, Depends(signed_by_shopify)], request: Request, gateway: GatewayDep
) -> ShopifyReceipt:
    """Place the Shopify order under its Shopify id; a redelivery creates nothing new."""
    started = time.perf_counter()
    try:
        order = ShopifyOrder.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        raise InvalidOrder("the body is not a Shopify order with an id", ()) from None
    bind_order(order.order_id)
    href = f"/orders/{order.order_id}"
    reason: str | None = None
    try:
        request_ = to_order_request(order)
        await run_in_threadpool(check_against_network, request_, request.app.state.catalog)
        placing = request_
    except Refusal as refusal:
        reason = str(refusal)
        placing = refused_order(order)  # type: ignore[assignment]
    except InvalidOrder as refusal:  # an unknown SKU: the catalogue's, as for POST /orders
        reason = f"the Shopify order cannot be placed: {refusal}"
        placing = refused_order(order)  # type: ignore[assignment]
    try:
        subscribed = await run_in_threadpool(request.app.state.subscribed_types.current)
        _, created = await gateway.place_order(
            placing, placed_by=ACTOR, refused=reason, read_back=False, subscribed=subscribed
        )
    except OrderConflict:
        # The Shopify id is the idempotency key: whatever was made of its first delivery
        # stands (a catalogue that changed since must not make Shopify retry forever).
        created = False
    metrics.record_placement(time.perf_counter() - started, created=created)
    if not created:
        return ShopifyReceipt(
            order_id=order.order_id, created=False, outcome="already_received", href=href
        )
    if reason:
        log.warning("Shopify order %s kept as failed: %s", order.order_id, reason)
    return ShopifyReceipt(
        order_id=order.order_id,
        created=True,
        outcome="failed" if reason else "placed",
        reason=reason,
        href=href,
    )
