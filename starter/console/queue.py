"""A location's work queue as a pick list, with a button per event the location reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from domain.access import Principal, Right
from domain.errors import UnknownFulfillment, UnknownLocation
from domain.models import (
    FULFILLMENT_ID_PATTERN,
    DeliveryType,
    FulfillmentStatus,
    Location,
    LocationEventType,
)
from services import orders
from services.network import known_location
from services.work_queue import QueueEntry, work_queue
from starter.api.schemas import EventLineBody, LocationEventBody
from starter.console.returns import awaited, report_id
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.web import REFRESH_EVENT, ConsoleRoute, is_htmx, render

router = APIRouter(prefix="/console/locations", include_in_schema=False, route_class=ConsoleRoute)

_FULFILLMENT_ID = re.compile(FULFILLMENT_ID_PATTERN)
E = LocationEventType
S = FulfillmentStatus
_SHIP_STEPS = {S.DISPATCHED: [E.ACCEPTED], S.ACCEPTED: [E.PICKED], S.PICKED: [E.PACKED],
               S.PACKED: [E.SHIPPED]}  # fmt: skip
_PICKUP_STEPS = {S.DISPATCHED: [E.ACCEPTED], S.ACCEPTED: [E.PICKED, E.READY_FOR_PICKUP],
                 S.PICKED: [E.PACKED, E.READY_FOR_PICKUP], S.PACKED: [E.READY_FOR_PICKUP],
                 S.READY_FOR_PICKUP: [E.PICKED_UP]}  # fmt: skip
_LABELS = {E.ACCEPTED: "Accept", E.PICKED: "Picked", E.PACKED: "Packed", E.SHIPPED: "Shipped",
           E.READY_FOR_PICKUP: "Ready for pickup", E.PICKED_UP: "Picked up",
           E.REJECTED: "Reject", E.SHORT: "Short"}  # fmt: skip


def next_steps(entry: QueueEntry) -> list[LocationEventType]:
    """The forward events that make sense for the package now (the workflow decides)."""
    steps = _PICKUP_STEPS if entry.delivery is DeliveryType.PICKUP else _SHIP_STEPS
    return steps.get(entry.status, [])


def may_fail(entry: QueueEntry) -> bool:
    """Reject and Short apply until the package is on its way (or on the counter)."""
    return entry.status in (S.DISPATCHED, S.ACCEPTED, S.PICKED, S.PACKED)


def _location(request: Request, me: Principal, location_id: str, right: Right) -> Location:
    me.check(right, location_id)  # another location's queue: 404, as in the API
    if len(location_id) > 64:
        raise UnknownLocation(f"unknown location {location_id!r}")
    return known_location(request.app.state.catalog, location_id)


async def _queue_context(request: Request, me: Principal, location_id: str) -> dict[str, Any]:
    location = await run_in_threadpool(_location, request, me, location_id, Right.READ_QUEUE)
    network = await run_in_threadpool(request.app.state.catalog.network)
    entries = await work_queue(request.app.state.store, request.app.state.gateway, network,
                               location_id)  # fmt: skip
    return {
        "location": location,
        "entries": [e for e in entries if e.status.is_open],
        "names": {s.sku: s.name for s in network.skus if s.name},
        "images": {s.sku: s.image_url for s in network.skus if s.image_url},
        "steps": next_steps,
        "may_fail": may_fail,
        "labels": _LABELS,
        "may_report": me.may(Right.REPORT_EVENTS),
        "now": datetime.now(UTC),
        "returns": await awaited(request, me, location_id),
        "report_id": report_id,
    }


@router.get("/{location_id}/queue", response_class=HTMLResponse)
async def queue_page(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    context = await _queue_context(request, me, location_id)
    return render(request, "queue.html", me, **context)


@router.get("/{location_id}/queue/list", response_class=HTMLResponse)
async def queue_list(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    """The pick list alone: the page reloads it every few seconds and after each event."""
    context = await _queue_context(request, me, location_id)
    return render(request, "_queue.html", me, **context)


def _short_lines(form_items: list[tuple[str, str]]) -> list[EventLineBody]:
    """``found:<sku>=<units>`` fields as the lines a 'short' event reports."""
    lines = []
    for name, value in form_items:
        if name.startswith("found:") and value.strip() != "":
            lines.append(
                EventLineBody.model_validate({"sku": name[6:], "quantity": value}, strict=False)
            )
    return lines


@router.post("/{location_id}/queue/{fulfillment_id}/events", response_class=HTMLResponse)
async def report(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    fulfillment_id: str,
    type: Annotated[LocationEventType, Form()],
    carrier: Annotated[str, Form(max_length=100)] = "",
    tracking_number: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Post the event as the API's ``POST /locations/{id}/fulfillments/{fid}/events`` does
    (same body, same checks, the caller as actor); answer in words."""
    await run_in_threadpool(_location, request, me, location_id, Right.REPORT_EVENTS)
    if not (len(fulfillment_id) <= 70 and _FULFILLMENT_ID.match(fulfillment_id)):
        raise UnknownFulfillment.named(fulfillment_id)  # as the API's path
    form = await request.form()
    lines = _short_lines([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    body = LocationEventBody(
        type=type,
        carrier=carrier.strip() or None,
        tracking_number=tracking_number.strip() or None,
        reason=reason.strip() or None,
        lines=lines or None,
    )
    receipt = await orders.report_event(
        request.app.state.gateway,
        request.app.state.catalog,
        location_id,
        fulfillment_id,
        body.event(),
        actor=me.actor,
    )
    message = f"{receipt.fulfillment_id} is now {receipt.status.value.replace('_', ' ')}."
    if is_htmx(request):
        return render(request, "_answer.html", me, headers={"HX-Trigger": REFRESH_EVENT},
                      ok=True, message=message)  # fmt: skip
    return render(request, "answer.html", me, ok=True, message=message,
                  back=f"/console/locations/{location_id}/queue")  # fmt: skip
