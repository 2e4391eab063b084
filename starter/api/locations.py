"""A location's work queue, and the events it reports about its fulfillments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, model_validator

from domain.access import Principal, Right
from domain.checkout import EdgeModel
from domain.fulfillment import LocationEvent
from domain.models import (
    EVENT_ID_PATTERN,
    OPEN_FULFILLMENT_STATUSES,
    FulfillmentStatus,
    Identifier,
    LocationEventType,
    refused,
)
from domain.orders import EventReceipt
from services import work_queue as queue
from services.work_queue import QueueEntry
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep, StoreDep, known_location
from starter.api.errors import error_responses
from starter.api.params import FulfillmentIdPath, LocationIdPath

router = APIRouter(prefix="/locations", tags=["locations"])

QueueStatus = Annotated[
    str,
    Query(
        description="'open' for everything still to do, or one open status such as 'accepted'",
        pattern="^(open|" + "|".join(sorted(s.value for s in OPEN_FULFILLMENT_STATUSES)) + ")$",
    ),
]


class EventLineBody(EdgeModel):
    sku: Identifier
    quantity: int = Field(ge=0, le=10_000)


class LocationEventBody(EdgeModel):
    """What a location reports about one of its fulfillments. ``event_id``: the
    location's own id for the event, so a repeat counts once."""

    type: LocationEventType = Field(strict=False)
    lines: list[EventLineBody] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="For 'short': what was actually found",
    )
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    event_id: str | None = Field(default=None, pattern=EVENT_ID_PATTERN, max_length=200)

    @model_validator(mode="after")
    def _short_names_lines(self) -> LocationEventBody:
        if self.type is LocationEventType.SHORT and not self.lines:
            raise refused(
                "inconsistent", "a 'short' event must list the lines and quantities actually found"
            )
        return self

    def event(self) -> LocationEvent:
        """The event as the order workflow takes it."""
        return LocationEvent.model_validate(self.model_dump())


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
    await run_in_threadpool(known_location, request, location_id)
    network = await run_in_threadpool(request.app.state.catalog.network)
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
    if not request.app.state.catalog.has_seen_location(location_id):  # no store read per event
        await run_in_threadpool(known_location, request, location_id)  # 404 if unknown
    return await gateway.report_event(location_id, fulfillment_id, body.event(), actor=caller.actor)
