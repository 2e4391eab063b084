"""A location's work queue: its open packages, each with who receives it and what its
SLA asks for next, by when. Read by the API's ``GET /locations/{id}/fulfillments`` and
by the console's pick list alike."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from adapters.store.views import MovementKind
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


class DonePackage(BaseModel):
    """A package a location finished today: shipped, or handed over at the counter."""

    fulfillment_id: str
    order_id: str
    at: datetime = Field(description="When its units left the shelf (the ledger's time)")
    units: int
    skus: list[str]
    actor: str = Field(description="Who reported it shipped or picked up")
    status: FulfillmentStatus | None = Field(
        default=None, description="shipped or picked_up; None when the order cannot be read"
    )
    recipient: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None


async def done_today(
    store: StockReads,
    orders: OrderReader,
    location_id: str,
    *,
    since: datetime,
    limit: int = 100,
) -> list[DonePackage]:
    """The packages ``location_id`` shipped or handed over since ``since`` (its start of
    day), the latest first: read from the ledger, where a delivered package's units leave
    the shelf, and each order's view for who received it and how."""
    rows = await asyncio.to_thread(
        store.location_ledger, location_id, limit=20 * limit, since=since, kinds=[MovementKind.SHIP]
    )
    packages: dict[str, DonePackage] = {}
    for row in rows:  # newest first: the first row of a package is its latest
        if not row.reference:
            continue
        done = packages.get(row.reference)
        if done is None:
            if len(packages) == limit:
                continue
            done = packages[row.reference] = DonePackage(
                fulfillment_id=row.reference, order_id=order_id_of_fulfillment(row.reference),
                at=row.at, units=0, skus=[], actor=row.actor,
            )  # fmt: skip
        done.units -= row.on_hand_delta
        if row.sku not in done.skus:
            done.skus.append(row.sku)
    order_ids = list(dict.fromkeys(p.order_id for p in packages.values()))
    found = await asyncio.gather(
        *(orders.get_order(oid) for oid in order_ids), return_exceptions=True
    )
    views = {v.order_id: v for v in found if isinstance(v, OrderView)}
    for done in packages.values():
        order = views.get(done.order_id)
        package = (
            next((f for f in order.fulfillments if f.fulfillment_id == done.fulfillment_id), None)
            if order
            else None
        )
        if order is not None and package is not None:
            done.status, done.recipient = package.status, recipient_of(order)
            done.carrier, done.tracking_number = package.carrier, package.tracking_number
            handed = [e for e in package.events if e.type in ("shipped", "picked_up")]
            if handed:  # who reported it (the ledger books the units as "system")
                done.actor = handed[-1].actor
    return list(packages.values())
