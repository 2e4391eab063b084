"""A location's work queue, and the events it reports about its fulfillments."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from domain.access import Principal, Right
from domain.fulfillment import LocationEvent
from domain.models import OPEN_FULFILLMENT_STATUSES, FulfillmentStatus
from domain.orders import EventReceipt, FulfillmentView
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep, StoreDep, known_location

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
    response_model=list[FulfillmentView],
    responses={404: {"description": "Unknown location"}},
    dependencies=[Allowed(Right.READ_QUEUE, at_location=True)],
)
async def work_queue(
    location_id: str,
    request: Request,
    store: StoreDep,
    gateway: GatewayDep,
    status: QueueStatus = "open",
) -> list[FulfillmentView]:
    """The fulfillments this location still has to work on, oldest first."""
    await run_in_threadpool(known_location, request, location_id)
    reservations = await run_in_threadpool(store.open_reservations)
    ids = sorted(
        {r.fulfillment_id for r in reservations if r.location_id == location_id},
        key=lambda fid: min(r.created_at for r in reservations if r.fulfillment_id == fid),
    )
    found = await asyncio.gather(*(gateway.fulfillment(fid) for fid in ids), return_exceptions=True)
    views = [f for f in found if isinstance(f, FulfillmentView)]  # not yet dispatched: skip
    if status == "open":
        return [v for v in views if v.status.is_open]
    return [v for v in views if v.status is FulfillmentStatus(status)]


@router.post(
    "/{location_id}/fulfillments/{fulfillment_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventReceipt,
    responses={
        404: {"description": "Unknown fulfillment, or one of another location"},
        409: {"description": "The event makes no sense in the fulfillment's state"},
    },
)
async def report_event(
    location_id: str,
    fulfillment_id: str,
    event: LocationEvent,
    request: Request,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.REPORT_EVENTS, at_location=True)],
) -> EventReceipt:
    """Record accepted, picked, packed, shipped (and the rest). A repeated event_id counts once."""
    if not request.app.state.catalog.has_seen_location(location_id):  # no store read per event
        await run_in_threadpool(known_location, request, location_id)  # 404 if unknown
    return await gateway.report_event(location_id, fulfillment_id, event, actor=caller.actor)
