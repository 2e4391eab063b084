"""Delivery promises at checkout: when each way of getting the order would arrive.

Plain Python over the routing engine's decisions (no HTTP, no SQL, no clock: ``now`` is
always passed in). A promise asks the engine exactly what the order's allocation would
ask (``trial_allocation``), so the promise and the routing of the order placed right
after it agree. Dates follow the carriers' calendar: a package leaves on a business day
(the same one if the order is in before the location's local cut-off), and transit days
are business days, so Saturdays and Sundays neither ship nor deliver. Public holidays
are not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.geo import Point
from domain.models import DeliveryType, Destination, Location, ServiceLevel
from domain.orders import AllocationRequest
from domain.routing.types import RoutingDecision, RoutingLine

DEFAULT_CUTOFF = time(14, 0)
"""A location without a ``cutoff`` ships orders placed before 14:00 local the same day."""
DEFAULT_PICKUP_RADIUS_MILES = 25.0
PROMISE_ORDER_ID = "promise"
"""The order id a promise's trial allocations carry (no order exists yet)."""

_SATURDAY = 5


# --- the calendar -----------------------------------------------------------------------


def is_business_day(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < _SATURDAY


def next_business_day(day: date) -> date:
    """The first business day after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def ship_date(now: datetime, zone: ZoneInfo, cutoff: time | None = None) -> date:
    """The day a package leaves a location, for an order placed at ``now``.

    Today (in the location's zone) if it is a business day and the order is in strictly
    before the cut-off; otherwise the next business day.
    """
    local = now.astimezone(zone)
    today = local.date()
    if is_business_day(today) and local.time() < (cutoff or DEFAULT_CUTOFF):
        return today
    return next_business_day(today)


def delivery_date(shipped: date, transit_days: int) -> date:
    """The day a package shipped on ``shipped`` arrives: ``transit_days`` business days on."""
    if transit_days < 0:
        raise ValueError(f"transit days cannot be negative ({transit_days})")
    day = shipped
    for _ in range(transit_days):
        day = next_business_day(day)
    return day


def ready_by(now: datetime, zone: ZoneInfo, preparation: timedelta) -> datetime:
    """When a pickup order placed at ``now`` is ready, in the store's local time."""
    return (now + preparation).astimezone(zone)


# --- what checkout asks, and what it is told --------------------------------------------


class CartLineLike(Protocol):
    """A line of a cart: the shop's optional ``line_id``, a SKU and its units."""

    @property
    def line_id(self) -> str | None: ...
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...


class Cart(Protocol):
    """What a promise is asked about: the lines (and units by SKU), where they would go,
    and the sales channel (the body of ``POST /promise``, ``starter/api/schemas.py``)."""

    @property
    def lines(self) -> Sequence[CartLineLike]: ...

    @property
    def ship_to(self) -> Destination: ...

    @property
    def channel(self) -> str | None: ...

    def units_by_sku(self) -> dict[str, int]: ...


class PromisedPackage(BaseModel):
    location_id: str
    location_name: str
    lines: list[RoutingLine]
    ship_date: date
    transit_days: int
    estimated_delivery_date: date
    cutoff: time = Field(description="The location's local order cut-off")
    timezone: str


class LineSource(BaseModel):
    """Where some of a line's units would ship from, and when they would arrive."""

    location_id: str
    quantity: int
    estimated_delivery_date: date


class PromisedLine(BaseModel):
    """The answer for one line of the cart, in the cart's order."""

    line_id: str | None = Field(default=None, description="The line's own id, as sent")
    sku: str
    quantity: int
    estimated_delivery_date: date = Field(description="When the line's last unit arrives")
    ships_from: list[LineSource] = Field(
        description="One entry per package (a line splits only when no location holds it all)"
    )


class ShipOption(BaseModel):
    """One service level: what it costs, when the last package arrives, and per line of
    the cart where it ships from and when it arrives."""

    service_level: ServiceLevel
    cost: Decimal
    transit_days: int = Field(description="Of the slowest package, in business days")
    estimated_delivery_date: date = Field(description="When the last package arrives")
    split: bool = Field(description="True if it would ship in more than one package")
    packages: list[PromisedPackage]
    lines: list[PromisedLine] = Field(
        default_factory=list, description="Per line of the cart, in its order"
    )


class PickupOption(BaseModel):
    """A store near the customer that holds the whole order (after safety stock)."""

    location_id: str
    name: str
    postal_code: str | None = None
    distance_miles: float
    ready_by: datetime = Field(description="In the store's local time")


class Unavailable(BaseModel):
    service_level: ServiceLevel
    reason: str | None


class Promise(BaseModel):
    quoted_at: datetime
    ship_options: list[ShipOption]
    pickup_options: list[PickupOption]
    unavailable: list[Unavailable] = Field(
        default_factory=list, description="Service levels no plan can serve today, and why"
    )


# --- from routing decisions to a promise ------------------------------------------------


def trial_allocation(
    promise: Cart,
    point: Point,
    *,
    service_level: ServiceLevel,
    delivery: DeliveryType = DeliveryType.SHIP,
    pickup_location_id: str | None = None,
) -> AllocationRequest:
    """The dry-run allocation the order workflow would ask for this cart (its first one:
    the order's units merged by SKU, nothing excluded, nothing forced)."""
    return AllocationRequest(
        order_id=PROMISE_ORDER_ID,
        allocation_key=PROMISE_ORDER_ID,
        first_fulfillment_number=1,
        lines=[RoutingLine(sku=s, quantity=q) for s, q in promise.units_by_sku().items()],
        ship_to=promise.ship_to,
        customer_name="",
        dest_lat=point.lat,
        dest_lon=point.lon,
        service_level=service_level,
        delivery=delivery,
        pickup_location_id=pickup_location_id,
        channel=promise.channel,
        dry_run=True,
    )


def ship_option(
    decision: RoutingDecision,
    service_level: ServiceLevel,
    locations: dict[str, tuple[Location, ZoneInfo]],
    now: datetime,
    lines: Sequence[CartLineLike] = (),
) -> ShipOption:
    """The ship option a routed decision makes: its cost, each package's dates, and what
    that means for each of the cart's ``lines``."""
    plan = decision.plan
    if plan is None:
        raise ValueError(f"decision for {decision.order_id} has no plan: {decision.reason}")
    packages = []
    for package in plan.packages:
        location, zone = locations[package.location_id]
        leaves = ship_date(now, zone, location.cutoff)
        packages.append(
            PromisedPackage(
                location_id=location.id,
                location_name=location.name,
                lines=package.lines,
                ship_date=leaves,
                transit_days=package.transit_days,
                estimated_delivery_date=delivery_date(leaves, package.transit_days),
                cutoff=location.cutoff or DEFAULT_CUTOFF,
                timezone=zone.key,
            )
        )
    return ShipOption(
        service_level=service_level,
        cost=plan.cost,
        transit_days=plan.transit_days,
        estimated_delivery_date=max(p.estimated_delivery_date for p in packages),
        split=len(packages) > 1,
        packages=packages,
        lines=promised_lines(lines, packages),
    )


def promised_lines(
    lines: Sequence[CartLineLike], packages: Sequence[PromisedPackage]
) -> list[PromisedLine]:
    """Each cart line's share of the packages. The router plans units by SKU (two lines of
    one SKU add up), so a SKU's units are handed back to its lines in the cart's order,
    package by package."""
    left: dict[str, list[tuple[PromisedPackage, int]]] = {}
    for package in packages:
        for unit in package.lines:
            left.setdefault(unit.sku, []).append((package, unit.quantity))
    answers = []
    for line in lines:
        wanted, sources = line.quantity, []
        queue = left.get(line.sku, [])
        while wanted and queue:
            package, units = queue[0]
            taken = min(wanted, units)
            sources.append(
                LineSource(
                    location_id=package.location_id,
                    quantity=taken,
                    estimated_delivery_date=package.estimated_delivery_date,
                )
            )
            wanted -= taken
            if taken == units:
                queue.pop(0)
            else:
                queue[0] = (package, units - taken)
        if not sources:  # the plan left the SKU out: not a plan for this cart
            raise ValueError(f"the plan ships no {line.sku}")
        answers.append(
            PromisedLine(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                estimated_delivery_date=max(s.estimated_delivery_date for s in sources),
                ships_from=sources,
            )
        )
    return answers


def pickup_option(
    location: Location, zone: ZoneInfo, distance_miles: float, preparation: timedelta, now: datetime
) -> PickupOption:
    return PickupOption(
        location_id=location.id,
        name=location.name,
        postal_code=location.postal_code,
        distance_miles=round(distance_miles, 1),
        ready_by=ready_by(now, zone, preparation),
    )
