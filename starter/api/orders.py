"""Checkout places orders; support reads and cancels them; operations reroutes them."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel

from adapters import metrics
from domain.access import Principal, Right
from domain.checkout import HoldBody, IsoText, OrderRequest
from domain.holds import HoldRelease, HoldRequest
from domain.models import ID_PATTERN, OrderStatus
from domain.orders import (
    CancelRequest,
    HoldResult,
    OrderSummary,
    OrderView,
    RerouteRequest,
    RerouteResult,
)
from services import orders, returns
from services.repair import Repaired, release_closed_order
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep, StoreDep
from starter.api.errors import error_responses
from starter.api.params import OrderIdPath
from starter.api.schemas import CancelBody, ReleaseHoldBody, RerouteBody
from starter.bootstrap.log_format import bind_order

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderAccepted(BaseModel):
    order_id: str
    status: OrderStatus
    created: bool
    href: str


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrderAccepted,
    responses={
        200: {"model": OrderAccepted, "description": "The same order was already placed"},
        **error_responses(
            400,
            409,
            422,
            e409="The order id was used before with a different body",
            e422="Invalid order; the message names the field (an unknown SKU, ZIP or "
            "pickup store too)",
        ),
    },
)
async def place_order(
    order: OrderRequest,
    request: Request,
    response: Response,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.PLACE_ORDERS)],
) -> OrderAccepted:
    """Start the order's workflow. Repeating the same body is harmless (200, no second order)."""
    started = time.perf_counter()
    bind_order(order.order_id)

    def prepare() -> list[str]:  # one thread hop for both store-backed reads
        orders.check_against_network(order, request.app.state.catalog)
        subscribed: list[str] = request.app.state.subscribed_types.current()
        return subscribed

    subscribed = await run_in_threadpool(prepare)
    current, created = await gateway.place_order(
        order, placed_by=caller.actor, subscribed=subscribed
    )
    metrics.record_placement(time.perf_counter() - started, created=created)
    if not created:
        response.status_code = status.HTTP_200_OK
    return OrderAccepted(
        order_id=order.order_id, status=current, created=created, href=f"/orders/{order.order_id}"
    )


@router.get(
    "",
    response_model=list[OrderSummary],
    responses=error_responses(422),
    dependencies=[Allowed(Right.READ_ORDERS)],
)
async def find_orders(
    gateway: GatewayDep,
    status: OrderStatus | None = None,
    customer_email: Annotated[str | None, Query(max_length=320)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An order id in any case, or part of the customer's name or e-mail "
            "(3 characters at least)",
        ),
    ] = None,
    location_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)] = None,
    sku: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)] = None,
    placed_after: Annotated[AwareDatetime | None, IsoText] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[OrderSummary]:
    """Find orders for support, newest first: by an order id in any case or part of the
    customer's name or e-mail (`q`), status, customer email, a location that had a
    package of it, a SKU in it, or when it was placed; each with its customer. Eventually
    consistent (a change shows within about a second)."""
    return await gateway.find_orders(
        status=status,
        customer_email=customer_email,
        location_id=location_id,
        sku=sku,
        placed_after=placed_after,
        text=q or None,
        limit=limit,
    )


@router.get(
    "/{order_id}",
    response_model=OrderView,
    responses=error_responses(404, 422, e404="Unknown order"),
    dependencies=[Allowed(Right.READ_ORDERS)],
)
async def get_order(
    order_id: OrderIdPath,
    gateway: GatewayDep,
    store: StoreDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=60,
            description="Seconds to wait for an open order to end before answering (a long "
            "poll: ask once for the outcome instead of polling)",
        ),
    ] = 0,
) -> Response:
    """The whole order: status, packages with tracking, the routing decision, the
    timeline, and its returns."""
    view = await (
        gateway.get_order(order_id, wait=timedelta(seconds=wait))
        if wait
        else gateway.get_order(order_id)
    )
    view.returns = await returns.returns_of(store, order_id)  # one indexed read of the store
    # Already an OrderView, validated when it was read: serialize it once, not re-validate
    # it as a response model (this is the call integrations poll).
    return Response(
        content=view.model_dump_json(exclude={"personal"}), media_type="application/json"
    )


@router.post(
    "/{order_id}/reroute",
    response_model=RerouteResult,
    responses=error_responses(
        400,
        404,
        409,
        422,
        e404="Unknown order",
        e409="Nothing to reroute: shipped already, no plan, or the order ended",
        e422="Invalid body, or an unknown location; the message names the field",
    ),
)
async def reroute_order(
    order_id: OrderIdPath,
    body: RerouteBody,
    request: Request,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.REROUTE_ORDERS)],
) -> RerouteResult:
    """Cancel the affected open packages, release their units and route them again.
    Checked before anything changes; the answer is the new plan."""
    return await orders.reroute(
        gateway,
        request.app.state.catalog,
        order_id,
        RerouteRequest(
            exclude_location_ids=body.exclude_location_ids,
            location_id=body.location_id,
            reason=body.reason,
            actor=caller.actor,
        ),
    )


@router.post(
    "/{order_id}/cancel",
    response_model=OrderView,
    response_model_exclude={"personal"},
    responses=error_responses(
        400,
        404,
        409,
        422,
        e404="Unknown order",
        e409="Something already shipped (the message says what), or the order ended",
    ),
)
async def cancel_order(
    order_id: OrderIdPath,
    body: CancelBody,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.CANCEL_ORDERS)],
) -> OrderView:
    """Cancel at every location still working on it, release every unit; ends ``cancelled``."""
    return await gateway.cancel(order_id, CancelRequest(reason=body.reason, actor=caller.actor))


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Your id for this request: a retry with the same key is applied once "
        "and answered as the first was",
    ),
]


@router.post(
    "/{order_id}/hold",
    response_model=HoldResult,
    responses=error_responses(
        400,
        404,
        409,
        422,
        e404="Unknown order",
        e409="The order ended, every package is already with its location, or a hold "
        "with that reason is already on",
    ),
)
async def hold_order(
    order_id: OrderIdPath,
    body: HoldBody,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.HOLD_ORDERS)],
    idempotency_key: IdempotencyKey = None,
) -> HoldResult:
    """Put the order on hold: what is not with a location yet (packages routed and
    reserved, units waiting for stock, units not routed yet) waits for the release;
    packages a location already has go on. The answer lists both (`held`,
    `already_dispatched`). With `expires_in_hours`, an order still on hold then is
    cancelled and its units released."""
    return await gateway.hold(
        order_id, HoldRequest(**body.model_dump(), actor=caller.actor), request_id=idempotency_key
    )


@router.post(
    "/{order_id}/release-hold",
    response_model=HoldResult,
    responses=error_responses(
        400, 404, 409, 422, e404="Unknown order", e409="No hold with that reason, or it ended"
    ),
)
async def release_hold(
    order_id: OrderIdPath,
    body: ReleaseHoldBody,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.HOLD_ORDERS)],
    idempotency_key: IdempotencyKey = None,
) -> HoldResult:
    """Lift the hold placed with that reason. When none is left, the packages it kept
    back go to their locations as they were reserved (no new routing)."""
    return await gateway.release_hold(
        order_id, HoldRelease(reason=body.reason, actor=caller.actor), request_id=idempotency_key
    )


@router.post(
    "/{order_id}/release-held-stock",
    response_model=Repaired,
    responses=error_responses(422, 409, e409="The order is still running: cancel it instead"),
)
async def release_held_stock(
    order_id: OrderIdPath,
    gateway: GatewayDep,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.REROUTE_ORDERS)],
) -> Repaired:
    """Operations' repair for an order whose workflow was terminated (and so ran no
    compensation): release every unit it still holds, with a ledger row saying why.
    Refused while the order runs; a repeat releases nothing."""
    return await release_closed_order(store, gateway, order_id, actor=caller.actor)
