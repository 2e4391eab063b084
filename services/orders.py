"""Orders as checkout, support, operations and locations drive them: what must hold
before a request reaches the order's workflow.

The workflow judges everything that depends on the order's state (its update
validators); these check what depends on the network instead (a SKU in the catalogue,
a real pickup store, a known location), so a refusal names the field before anything
is sent. The API's routes, the Shopify webhook and the console all come through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from domain.checkout import OrderRequest
from domain.errors import InvalidOrder, UnknownSku
from domain.fulfillment import LocationEvent
from domain.models import DeliveryType
from domain.orders import EventReceipt, RerouteRequest, RerouteResult
from services.network import known_location
from services.ports import NetworkCatalog, OrderGateway


def check_against_network(order: OrderRequest, catalog: NetworkCatalog) -> None:
    """What pydantic cannot know alone: SKUs in the catalogue, a real pickup store.
    May read the store (a stale catalogue): call it off the event loop."""
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


def _known_locations(catalog: NetworkCatalog, ids: Sequence[str], field: str) -> None:
    for i, location_id in enumerate(ids):
        if catalog.location(location_id) is None:
            raise InvalidOrder(f"unknown location {location_id!r}", (field, i) if field else ())


async def reroute(
    gateway: OrderGateway, catalog: NetworkCatalog, order_id: str, request: RerouteRequest
) -> RerouteResult:
    """Move the order's open packages off ``request.exclude_location_ids`` (or onto
    ``request.location_id``): the locations named must exist (``InvalidOrder`` naming the
    field), then the order's workflow judges and answers with the new plan."""
    await asyncio.to_thread(
        _known_locations, catalog, request.exclude_location_ids, "exclude_location_ids"
    )
    if request.location_id:
        await asyncio.to_thread(_known_locations, catalog, [request.location_id], "")
    return await gateway.reroute(order_id, request)


async def report_event(
    gateway: OrderGateway,
    catalog: NetworkCatalog,
    location_id: str,
    fulfillment_id: str,
    event: LocationEvent,
    *,
    actor: str,
) -> EventReceipt:
    """Deliver a location's event to the package's order; ``UnknownLocation`` if the
    network has no such location. A location seen before costs no store read (this is
    the call locations make most)."""
    if not catalog.has_seen_location(location_id):
        await asyncio.to_thread(known_location, catalog, location_id)
    return await gateway.report_event(location_id, fulfillment_id, event, actor=actor)
