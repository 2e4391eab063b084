"""Returns: support authorizes shipped lines to come back; the return location reports
what it found in the parcel; both read where a return stands."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from domain.access import NotAllowed, Principal, Right
from domain.returns import ReturnReceipt, ReturnReport, ReturnRequest, ReturnView
from services import returns
from starter.api.auth import Allowed, CallerDep
from starter.api.deps import GatewayDep, StoreDep
from starter.api.errors import error_responses
from starter.api.params import LocationIdPath, OrderIdPath, ReturnIdPath

router = APIRouter(tags=["returns"])


@router.post(
    "/orders/{order_id}/returns",
    status_code=status.HTTP_201_CREATED,
    response_model=ReturnView,
    response_model_exclude={"events", "received", "received_event_id"},
    responses={
        200: {"model": ReturnView, "description": "The same request_id was answered before"},
        **error_responses(
            400,
            404,
            409,
            422,
            e404="Unknown order",
            e409="A line never shipped, more than shipped (less earlier returns), past the "
            "return window, or a location that takes no returns; the message names the line",
            e422="Invalid body, an unknown line or location; the message names the field",
        ),
    },
)
async def authorize_return(
    order_id: OrderIdPath,
    body: ReturnRequest,
    request: Request,
    response: Response,
    store: StoreDep,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.AUTHORIZE_RETURNS)],
) -> ReturnView:
    """Authorize shipped lines to come back: where the parcel goes (`location_id`) and
    the `refund_due` (unit_price x quantity). Idempotent on `request_id`."""
    settings = request.app.state.settings
    subscribed: list[str] = request.app.state.subscribed_types.current()
    view, created = await returns.authorize_return(
        store,
        gateway,
        request.app.state.returns,
        request.app.state.catalog,
        order_id,
        body,
        actor=caller.actor,
        window=timedelta(days=settings.return_window_days),
        subscribed=subscribed,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return view


@router.get(
    "/returns/{return_id}",
    response_model=ReturnView,
    responses=error_responses(404, 422, e404="Unknown return (or another location's)"),
)
async def get_return(
    return_id: ReturnIdPath,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
) -> ReturnView:
    """One return: its lines, where it goes, what came back, the refund, its timeline.
    A location's token sees only the returns coming to it (another's is a 404)."""
    if not caller.may(Right.READ_RETURNS):
        raise NotAllowed(f"the {caller.role.value} role may not do this ({Right.READ_RETURNS})")
    return await returns.get_return(store, request.app.state.returns, return_id, caller)


@router.get(
    "/locations/{location_id}/returns",
    response_model=list[ReturnView],
    response_model_exclude={"events"},
    responses=error_responses(404, 422, e404="Unknown location"),
    dependencies=[Allowed(Right.READ_RETURNS, at_location=True)],
)
async def awaited_returns(location_id: LocationIdPath, store: StoreDep) -> list[ReturnView]:
    """Returns on their way to this location, the oldest first."""
    return await returns.awaited_at(store, location_id)


@router.post(
    "/locations/{location_id}/returns/{return_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReturnReceipt,
    response_model_exclude={"request_id"},
    responses=error_responses(
        400,
        404,
        409,
        422,
        e404="Unknown location or return, or a return to another location",
        e409="The report does not fit the return: a line not in it, more units than "
        "authorized, or a return already received",
    ),
)
async def report_return_event(
    location_id: LocationIdPath,
    return_id: ReturnIdPath,
    body: ReturnReport,
    request: Request,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.REPORT_EVENTS, at_location=True)],
) -> ReturnReceipt:
    """The parcel arrived: sellable units go back on hand, damaged ones are written off.
    The same event_id again is answered `duplicate: true` and changes nothing."""
    return await returns.report_received(
        store, request.app.state.returns, location_id, return_id, body, caller
    )
