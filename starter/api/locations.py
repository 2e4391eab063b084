"""A location's work queue, and the events it reports about its fulfillments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from domain.access import Principal, Right
from domain.models import OPEN_FULFILLMENT_STATUSES, FulfillmentStatus
from domain.orders import EventReceipt
from services import orders
from services import work_queue as queue
from services.network import known_location
from services.work_queue import QueueEntry
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep, StoreDep
from starter.api.errors import error_responses
from starter.api.params import FulfillmentIdPath, LocationIdPath
from starter.api.schemas import LocationEventBody

router = APIRouter(prefix="/locations", tags=["locations"])

QueueStatus = Annotated[
    str,
    Query(
        description="'open' for everything still to do, or one open status such as 'accepted'",
        pattern="^(open|" + "|".join(sorted(s.value for s in OPEN_FULFILLMENT_STATUSES)) + ")$",
    ),
]


@router.get(
    "/{location_id}/fulfillments",
    response_model=list[QueueEntry],
    responses=error_responses(404, 422, e404="Unknown location"),
    dependencies=[Allowed(Right.READ_QUEUE, at_location=True)],
)
async def work_queue(
    location_id: LocationIdPath,
    request: Request,
    store: StoreDep,
    gateway: GatewayDep,
    status: QueueStatus = "open",
) -> list[QueueEntry]:
    """The fulfillments this location still has to work on, oldest first, each with who
    receives it and the next step its SLA times (``due``, ``due_by``)."""
    catalog = request.app.state.catalog
    await run_in_threadpool(known_location, catalog, location_id)
    network = await run_in_threadpool(catalog.network)
    views = await queue.work_queue(store, gateway, network, location_id)
    if status == "open":
        return [v for v in views if v.status.is_open]
    return [v for v in views if v.status is FulfillmentStatus(status)]


@router.post(
    "/{location_id}/fulfillments/{fulfillment_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventReceipt,
    responses=error_responses(
        400,
        404,
        409,
        422,
        e404="Unknown location or fulfillment, or one of another location",
        e409="The event makes no sense in the fulfillment's state",
    ),
)
async def report_event(
    location_id: LocationIdPath,
    fulfillment_id: FulfillmentIdPath,
    body: LocationEventBody,
    request: Request,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.REPORT_EVENTS, at_location=True)],
) -> EventReceipt:
    """Record accepted, picked, packed, shipped (and the rest). A repeated event_id counts once."""
    return await orders.report_event(
        gateway,
        request.app.state.catalog,
        location_id,
        fulfillment_id,
        body.event(),
        actor=caller.actor,
    )
