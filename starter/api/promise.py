"""``POST /promise``: at checkout, when would this cart arrive, and where could it be
collected today? Reserves nothing.

The ship options come from the routing engine, asked exactly what the order's allocation
would ask (``domain.promise.trial_allocation`` through ``route_on_live_stock``, the
function the allocate activity uses), so a promise and the routing of the order placed
right after it agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from adapters.network_cache import NetworkCache
from adapters.store import InventoryStore
from domain.access import Right
from domain.errors import UnknownSku
from domain.geo import miles_between
from domain.models import DEFAULT_SLA, DeliveryType, Location, ServiceLevel
from domain.promise import (
    PickupOption,
    Promise,
    ShipOption,
    Unavailable,
    pickup_option,
    ship_option,
    trial_allocation,
)
from domain.routing.rules import Rules, default_rules
from domain.timezones import location_zone
from services.inventory import route_on_live_stock
from starter.api.auth import Allowed
from starter.api.deps import StoreDep
from starter.api.errors import error_responses
from starter.api.schemas import PromiseRequest

router = APIRouter(tags=["promise"])


@router.post(
    "/promise",
    response_model=Promise,
    responses=error_responses(
        400, 422, e422="Invalid cart or address; the message names the field"
    ),
    dependencies=[Allowed(Right.PROMISE)],
)
async def promise(body: PromiseRequest, request: Request, store: StoreDep) -> Promise:
    """Ship options per service level (cost, transit days, estimated delivery date counting
    each location's cut-off and weekends, whether it splits) and nearby pickup stores that
    hold the whole cart, with when it would be ready. Nothing is reserved."""
    rules = request.app.state.rules() or default_rules()
    return await run_in_threadpool(quote, body, request.app.state.catalog, store, rules)


def quote(
    body: PromiseRequest, catalog: NetworkCache, store: InventoryStore, rules: Rules
) -> Promise:
    """The promise for ``body`` on the live network and stock."""
    skus = catalog.skus()
    for i, line in enumerate(body.lines):
        if line.sku not in skus:
            raise UnknownSku(f"unknown SKU {line.sku!r}", ("lines", i, "sku"))
    network = catalog.network()
    now = body.at or datetime.now(UTC)
    point = body.ship_to.point
    levels = [body.service_level] if body.service_level else list(ServiceLevel)
    nearby = sorted(
        (
            (miles, loc)
            for loc in network.locations
            if loc.pickup
            and loc.active
            and (miles := miles_between(loc.point, point)) <= body.pickup_radius_miles
        ),
        key=lambda pair: (pair[0], pair[1].id),
    )
    requests = [trial_allocation(body, point, service_level=level) for level in levels]
    requests += [
        trial_allocation(
            body,
            point,
            service_level=ServiceLevel.GROUND,  # what a pickup order carries by default
            delivery=DeliveryType.PICKUP,
            pickup_location_id=loc.id,
        )
        for _, loc in nearby
    ]
    decisions = route_on_live_stock(store, network, rules, requests)

    by_id = {loc.id: loc for loc in network.locations}
    zones: dict[str, tuple[Location, ZoneInfo]] = {}

    def located(location_id: str) -> tuple[Location, ZoneInfo]:
        if location_id not in zones:
            location = by_id[location_id]
            zones[location_id] = (location, location_zone(location))
        return zones[location_id]

    ships: list[ShipOption] = []
    unavailable: list[Unavailable] = []
    for level, decision in zip(levels, decisions[: len(levels)], strict=True):
        if decision.status == "routed" and decision.plan is not None:
            for package in decision.plan.packages:
                located(package.location_id)
            ships.append(ship_option(decision, level, zones, now, body.lines))
        else:
            unavailable.append(Unavailable(service_level=level, reason=decision.reason))
    pickups: list[PickupOption] = []
    for (miles, loc), decision in zip(nearby, decisions[len(levels) :], strict=True):
        if decision.status != "routed":
            continue
        preparation = network.sla_for(loc).ready_for_pickup or DEFAULT_SLA.ready_for_pickup
        assert preparation is not None
        pickups.append(pickup_option(loc, located(loc.id)[1], miles, preparation, now))
    return Promise(
        quoted_at=now, ship_options=ships, pickup_options=pickups, unavailable=unavailable
    )
