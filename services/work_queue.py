"""A location's work queue: its open packages, each with who receives it and what its
SLA asks for next, by when. Read by the API's ``GET /locations/{id}/fulfillments`` and
by the console's pick list alike."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from domain.fulfillment import FulfillmentView
from domain.ids import order_id_of_fulfillment
from domain.models import DeliveryType, FulfillmentStatus, Network, Sla
from domain.orders import OrderView
from services.ports import OrderReader, StockReads

DueStep = Literal["accept", "ship", "ready_for_pickup", "pickup"]


class QueueEntry(FulfillmentView):
    """An open package as its location works it."""

    recipient: str | None = Field(
        default=None,
        description="Who receives it: the ship-to name (else the customer's) for a shipment, "
        "the customer who collects a pickup order",
    )
    due: DueStep | None = Field(
        default=None, description="The next step the location's SLA times, if any"
    )
    due_by: datetime | None = Field(default=None, description="When that step is due")


def recipient_of(order: OrderView) -> str | None:
    """Whose name goes on the package (a shipment) or is asked for at the counter (pickup);
    None once the customer was erased."""
    customer = order.customer.name if order.customer else None
    if order.delivery is DeliveryType.PICKUP:
        return customer
    return order.ship_to.name or customer


def next_deadline(package: FulfillmentView, sla: Sla) -> tuple[DueStep | None, datetime | None]:
    """The step the order workflow holds the package to next, and when it is due (the
    same clocks as the workflow's: accept and ready-for-pickup from dispatch, ship from
    acceptance, collection from ready-for-pickup)."""
    when = {entry.type: entry.at for entry in package.events}

    def after(event: str, span: timedelta | None) -> datetime | None:
        return when[event] + span if event in when and span else None

    status = package.status
    if status is FulfillmentStatus.DISPATCHED:
        return "accept", after("dispatched", sla.accept)
    if package.delivery is DeliveryType.PICKUP:
        if status is FulfillmentStatus.READY_FOR_PICKUP:
            return "pickup", after("ready_for_pickup", sla.pickup_window)
        return "ready_for_pickup", after("dispatched", sla.ready_for_pickup)
    return "ship", after("accepted", sla.ship)


def queue_entry(order: OrderView, package: FulfillmentView, network: Network) -> QueueEntry:
    location = next((loc for loc in network.locations if loc.id == package.location_id), None)
    due, due_by = (None, None)
    if location is not None and package.status.is_open:
        due, due_by = next_deadline(package, network.sla_for(location))
    return QueueEntry(**package.model_dump(), recipient=recipient_of(order), due=due, due_by=due_by)


async def work_queue(
    store: StockReads, orders: OrderReader, network: Network, location_id: str
) -> list[QueueEntry]:
    """The packages ``location_id`` holds units for, oldest first (open or just closed:
    callers filter by status). A package not yet dispatched is left out."""
    reservations = await asyncio.to_thread(store.open_reservations)
    first_seen: dict[str, datetime] = {}
    for r in reservations:
        if r.location_id == location_id:
            seen = first_seen.get(r.fulfillment_id)
            first_seen[r.fulfillment_id] = min(seen, r.created_at) if seen else r.created_at
    ids = sorted(first_seen, key=first_seen.__getitem__)
    order_ids = list(dict.fromkeys(order_id_of_fulfillment(fid) for fid in ids))
    found = await asyncio.gather(
        *(orders.get_order(oid) for oid in order_ids), return_exceptions=True
    )
    views = {v.order_id: v for v in found if isinstance(v, OrderView)}
    entries = []
    for fid in ids:
        order = views.get(order_id_of_fulfillment(fid))
        package = (
            next((f for f in order.fulfillments if f.fulfillment_id == fid), None)
            if order
            else None
        )
        if order is not None and package is not None and package.location_id == location_id:
            entries.append(queue_entry(order, package, network))
    return entries
