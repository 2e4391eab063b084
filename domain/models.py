"""The business's nouns: SKUs, locations, the network, orders and fulfillments.

These pydantic models are the one vocabulary shared by the network file, the HTTP
API, the workflows (through Temporal's pydantic data converter) and the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.durations import (
    DURATION_PATTERN,
    MAX_SECONDS,
    MAX_TEXT,
    DurationTooLong,
    format_duration,
    parse_duration,
)
from domain.errors import UnknownPostalCode
from domain.geo import Point, zip_point
from domain.holds import HoldTerms
from domain.money import DEFAULT_CURRENCY, PRICE_DECIMALS, PRICE_DIGITS

# The id alphabet (docs/orders.md): letters, digits and ``. _ : -``, starting with a
# letter or digit, so an id is safe in a path, a query, a log line and a Temporal
# visibility query without escaping. Order ids, location ids and SKUs: up to 64.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_ID = re.compile(ID_PATTERN)
# A package is its order's id plus ``-F<n>`` (domain/ids.py), so it may pass 64.
FULFILLMENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}-F[0-9]{1,4}$"
# A location's own event ids often embed the fulfillment id (``sim:<fid>:shipped``).
EVENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"

Identifier = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]
# The most lines one order may have (a checkout's and a kept order's alike).
MAX_ORDER_LINES = 200


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value)
    except DurationTooLong as exc:
        raise refused("duration_too_long", str(exc)) from None


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "maxLength": MAX_TEXT},
                {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
            ],
            "description": "30s, 15m, 24h, 3d, 1h30m, or a number of seconds",
        }
    ),
]


def refused(kind: str, message: str) -> PydanticCustomError:
    """A 422 for a business rule a schema cannot state (the ZIP table, time zones,
    fields compared with each other); ``kind`` is its type (see starter/api/errors.py)."""
    return PydanticCustomError(kind, message)


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    THREE_PL = "3pl"
    SUPPLIER = "supplier"


class ServiceLevel(StrEnum):
    GROUND = "ground"
    EXPRESS = "express"


class DeliveryType(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


class OrderStatus(StrEnum):
    RECEIVED = "received"
    ALLOCATED = "allocated"
    FULFILLING = "fulfilling"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    BACKORDERED = "backordered"
    CANCELLED = "cancelled"
    FAILED = "failed"
    PARTIALLY_SHIPPED = "partially_shipped"  # some packages left, the rest cancelled or failed
    ON_HOLD = "on_hold"  # a person keeps it from its locations (payment, fraud, address...)

    @property
    def is_final(self) -> bool:
        return self in _FINAL_ORDER_STATUSES


_FINAL_ORDER_STATUSES = {
    OrderStatus.SHIPPED,
    OrderStatus.PICKED_UP,
    OrderStatus.CANCELLED,
    OrderStatus.FAILED,
    OrderStatus.PARTIALLY_SHIPPED,
}


class FulfillmentStatus(StrEnum):
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    SHORT = "short"

    @property
    def is_open(self) -> bool:
        """Still waiting on the location (or the customer, for pickup)."""
        return self in OPEN_FULFILLMENT_STATUSES


OPEN_FULFILLMENT_STATUSES = frozenset(
    {
        FulfillmentStatus.DISPATCHED,
        FulfillmentStatus.ACCEPTED,
        FulfillmentStatus.PICKED,
        FulfillmentStatus.PACKED,
        FulfillmentStatus.READY_FOR_PICKUP,
    }
)


class LocationEventType(StrEnum):
    """What a location may report about one of its fulfillments."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    SHORT = "short"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"


# --- the network -------------------------------------------------------------------------


IMAGE_URL_PATTERN = r"^https?://[^\s\"'<>]+$"
"""A product picture's address: http(s) only, so a page never runs a ``javascript:``."""


class Sku(BaseModel):
    """A catalogue item; weight drives the per-pound part of shipping cost."""

    model_config = ConfigDict(frozen=True)

    sku: Identifier
    weight_lb: float = Field(gt=0, le=2000)
    name: str | None = None
    image_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=IMAGE_URL_PATTERN,
        description="A picture of it for pick lists and order pages (http or https)",
    )


class ManualAdapterConfig(BaseModel):
    """Staff read their queue from the API and post events by hand (or a tablet app)."""

    type: Literal["manual"] = "manual"


# The longest a webhook may take to answer; the activity that calls it waits a little more.
WEBHOOK_TIMEOUT_MAX_SECONDS = 120


class WebhookAdapterConfig(BaseModel):
    """Fulfillment requests are POSTed as JSON to ``url``; the location reports events back."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://", max_length=2000)
    secret: str | None = Field(default=None, max_length=500, repr=False)  # never in a log line
    timeout_seconds: float = Field(default=10.0, gt=0, le=WEBHOOK_TIMEOUT_MAX_SECONDS)


class SimulatedAdapterConfig(BaseModel):
    """A built-in pretend location that accepts, picks, packs and ships after short delays."""

    type: Literal["simulated"] = "simulated"
    min_delay_seconds: float = Field(default=0.5, ge=0, le=3600)
    max_delay_seconds: float = Field(default=2.0, ge=0, le=3600)
    carrier: str = "UPS"


AdapterConfig = Annotated[
    ManualAdapterConfig | WebhookAdapterConfig | SimulatedAdapterConfig,
    Field(discriminator="type"),
]


class Sla(BaseModel):
    """How long a location has for each step; unset steps fall back to the kind's defaults."""

    accept: Duration | None = None
    ship: Duration | None = None
    ready_for_pickup: Duration | None = None
    pickup_window: Duration | None = None

    def over(self, fallback: Sla) -> Sla:
        """This SLA with its unset steps taken from ``fallback``."""
        merged = fallback.model_dump()
        merged.update(self.model_dump(exclude_none=True))
        return Sla.model_validate(merged)


DEFAULT_SLA = Sla(
    accept=timedelta(hours=2),
    ship=timedelta(days=2),
    ready_for_pickup=timedelta(hours=2),
    pickup_window=timedelta(days=3),
)


# One bad number in one location must not stop every order: every number a location
# carries is finite and bounded, so it can always be costed (422 at the edge otherwise).
MAX_HANDLING_COST = 10_000.0
MAX_UNITS = 1_000_000_000
MAX_PRIORITY = 1_000_000


class Location(BaseModel):
    """A place that holds stock and can fulfill orders."""

    model_config = ConfigDict(allow_inf_nan=False)

    id: Identifier
    name: str = Field(default="", max_length=200)
    kind: LocationKind
    postal_code: str | None = Field(default=None, max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    stock: dict[str, Annotated[int, Field(le=MAX_UNITS)]] = Field(default_factory=dict)
    adapter: AdapterConfig = Field(default_factory=ManualAdapterConfig)
    handling_cost: float | None = Field(default=None, ge=0, le=MAX_HANDLING_COST)
    safety_stock: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    daily_capacity: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    priority: int | None = Field(default=None, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    active: bool = True
    pickup: bool = False
    returns: bool = Field(
        default=True, description="Takes customers' returns (POST /orders/{id}/returns)"
    )
    sla: Sla | None = None
    cutoff: time | None = Field(
        default=None, description="Local time after which orders ship the next business day"
    )
    timezone: str | None = Field(
        default=None, description="IANA time zone, e.g. America/Chicago (default: from the ZIP)"
    )

    @field_validator("cutoff")
    @classmethod
    def _local_cutoff(cls, cutoff: time | None) -> time | None:
        if cutoff is not None and cutoff.tzinfo is not None:
            raise refused(
                "inconsistent", "a cut-off is a local time such as '15:00'; set timezone instead"
            )
        return cutoff

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
                raise refused(
                    "unknown_time_zone", f"unknown time zone {name!r}; use an IANA name"
                ) from None
        return name

    @model_validator(mode="after")
    def _has_a_place(self) -> Location:
        if self.postal_code is None and (self.lat is None or self.lon is None):
            raise refused(
                "inconsistent", f"location {self.id!r} needs a postal_code or both lat and lon"
            )
        if self.postal_code is not None:
            try:
                zip_point(self.postal_code)
            except UnknownPostalCode as exc:
                raise refused("unknown_postal_code", f"location {self.id!r}: {exc}") from None
        if not self.name:
            self.name = self.id
        return self

    @field_validator("stock")
    @classmethod
    def _no_negative_stock(cls, stock: dict[str, int]) -> dict[str, int]:
        for sku, units in stock.items():
            if units < 0:
                raise ValueError(f"stock of {sku!r} cannot be negative ({units})")
        return stock

    @property
    def point(self) -> Point:
        if self.lat is not None and self.lon is not None:
            return Point(self.lat, self.lon)
        assert self.postal_code is not None
        return zip_point(self.postal_code)


class Network(BaseModel):
    """The catalogue, the locations and the fulfillment policy: what a network file holds."""

    skus: list[Sku]
    locations: list[Location]
    sla_defaults: dict[LocationKind, Sla] = Field(default_factory=dict)
    backorder_window: Duration = timedelta(days=3)
    max_reroutes: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Network:
        seen: set[str] = set()
        for sku in self.skus:
            if sku.sku in seen:
                raise ValueError(f"SKU {sku.sku!r} is listed twice")
            seen.add(sku.sku)
        ids: set[str] = set()
        for i, loc in enumerate(self.locations):
            if loc.id in ids:
                raise ValueError(f"locations[{i}]: id {loc.id!r} is used twice")
            ids.add(loc.id)
            unknown = sorted(set(loc.stock) - seen)
            if unknown:
                raise ValueError(f"locations[{i}] ({loc.id}): stock names unknown SKU(s) {unknown}")
        return self

    def sla_for(self, location: Location) -> Sla:
        """The effective deadlines at ``location``: its own, over its kind's, over the defaults."""
        kind_default = self.sla_defaults.get(location.kind, Sla()).over(DEFAULT_SLA)
        return (location.sla or Sla()).over(kind_default)


# --- orders ------------------------------------------------------------------------------


# Validation that reads data files (ZIP tables, e-mail rules) runs once, at the API edge,
# on the strict models of domain/checkout.py; the workflow and every reader of its state
# get the lenient base models here, which only check shape. So an upgrade of ``zipcodes``
# or ``email-validator`` can never make an order already accepted fail to load from its
# history.


class Contact(BaseModel):
    """The customer as an accepted order keeps them (checked when the order came in)."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)


class Destination(BaseModel):
    """Where an accepted order goes; ``lat``/``lon``, when set, win over the ZIP's centre
    (the API sets them when it accepts the order, so later readers never look the ZIP up)."""

    postal_code: str = Field(max_length=20)
    country: Literal["US"] = "US"
    name: str | None = Field(default=None, max_length=200)
    address1: str | None = Field(default=None, max_length=200, description="The street")
    address2: str | None = Field(
        default=None, max_length=200, description="Apartment, suite, unit or floor, if any"
    )
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @property
    def point(self) -> Point:
        if self.lat is not None and self.lon is not None:
            return Point(self.lat, self.lon)
        return zip_point(self.postal_code)

    def located(self) -> Destination:
        """This destination with its point resolved into ``lat``/``lon`` (reads the ZIP table
        once, here, instead of on every later read)."""
        point = self.point
        return Destination.model_validate({**self.model_dump(), "lat": point.lat, "lon": point.lon})


class OrderLine(BaseModel):
    line_id: Identifier
    sku: Identifier
    quantity: int = Field(gt=0, le=10_000)
    unit_price: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_DECIMALS,
        description='What one unit costs the customer, a decimal string ("24.00"), in the '
        "order's currency; what a return refunds",
    )


class PlacedOrder(BaseModel):
    """An order as the workflow runs it: accepted at the edge, its destination located."""

    order_id: Identifier
    # None when the customer is sealed under their own key (``NewOrder.personal``,
    # ``domain/personal.py``): every order placed since per-customer keys came in.
    customer: Contact | None = None
    ship_to: Destination
    # Checkout's orders have a line at least (``OrderRequest``); an order refused at the
    # edge (a Shopify order whose lines are not ours) may have none.
    lines: list[OrderLine] = Field(max_length=MAX_ORDER_LINES)
    service_level: ServiceLevel = ServiceLevel.GROUND
    delivery: DeliveryType = DeliveryType.SHIP
    pickup_location_id: Identifier | None = None
    channel: str | None = Field(default=None, max_length=100)
    currency: str = Field(
        default=DEFAULT_CURRENCY,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the lines' prices",
    )
    # Placed on hold at checkout: routed and reserved, dispatched once released.
    hold: HoldTerms | None = None

    def units_by_sku(self) -> dict[str, int]:
        """Total units per SKU (two lines of one SKU add up)."""
        return units_by_sku(self.lines)


class _Line(Protocol):
    sku: str
    quantity: int


def units_by_sku(lines: Iterable[_Line]) -> dict[str, int]:
    """Total units per SKU, in the order SKUs first appear (two lines of one SKU add up)."""
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def is_identifier(value: str) -> bool:
    return bool(_ID.match(value))
