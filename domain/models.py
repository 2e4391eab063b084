"""The business's nouns: SKUs, locations, the network, orders and fulfillments.

These pydantic models are the one vocabulary shared by the network file, the HTTP
API, the workflows (through Temporal's pydantic data converter) and the store.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from domain.durations import format_duration, parse_duration
from domain.errors import UnknownPostalCode
from domain.geo import Point, zip_point

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_ID = re.compile(ID_PATTERN)

Identifier = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


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

    @property
    def is_final(self) -> bool:
        return self in _FINAL_ORDER_STATUSES


_FINAL_ORDER_STATUSES = {
    OrderStatus.SHIPPED,
    OrderStatus.PICKED_UP,
    OrderStatus.CANCELLED,
    OrderStatus.FAILED,
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


class Sku(BaseModel):
    """A catalogue item; weight drives the per-pound part of shipping cost."""

    model_config = ConfigDict(frozen=True)

    sku: Identifier
    weight_lb: float = Field(gt=0, le=2000)
    name: str | None = None


class ManualAdapterConfig(BaseModel):
    """Staff read their queue from the API and post events by hand (or a tablet app)."""

    type: Literal["manual"] = "manual"


class WebhookAdapterConfig(BaseModel):
    """Fulfillment requests are POSTed as JSON to ``url``; the location reports events back."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://")
    secret: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class SimulatedAdapterConfig(BaseModel):
    """A built-in pretend location that accepts, picks, packs and ships after short delays."""

    type: Literal["simulated"] = "simulated"
    min_delay_seconds: float = Field(default=0.5, ge=0)
    max_delay_seconds: float = Field(default=2.0, ge=0)
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


class Location(BaseModel):
    """A place that holds stock and can fulfill orders."""

    id: Identifier
    name: str = ""
    kind: LocationKind
    postal_code: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    stock: dict[str, int] = Field(default_factory=dict)
    adapter: AdapterConfig = Field(default_factory=ManualAdapterConfig)
    handling_cost: float | None = Field(default=None, ge=0)
    safety_stock: int | None = Field(default=None, ge=0)
    daily_capacity: int | None = Field(default=None, ge=0)
    priority: int | None = None
    active: bool = True
    pickup: bool = False
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
            raise ValueError("a cut-off is a local time such as '15:00'; set timezone instead")
        return cutoff

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}; use an IANA name") from None
        return name

    @model_validator(mode="after")
    def _has_a_place(self) -> Location:
        if self.postal_code is None and (self.lat is None or self.lon is None):
            raise ValueError(f"location {self.id!r} needs a postal_code or both lat and lon")
        if self.postal_code is not None:
            try:
                zip_point(self.postal_code)
            except UnknownPostalCode as exc:
                raise ValueError(f"location {self.id!r}: {exc}") from None
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


class Customer(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class ShipTo(BaseModel):
    """Where the order goes. ``lat``/``lon``, when given, win over the ZIP's centre."""

    postal_code: str
    country: Literal["US"] = "US"
    name: str | None = None
    address1: str | None = None
    city: str | None = None
    region: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("postal_code")
    @classmethod
    def _known_zip(cls, value: str) -> str:
        try:
            zip_point(value)
        except UnknownPostalCode as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    @property
    def point(self) -> Point:
        if self.lat is not None and self.lon is not None:
            return Point(self.lat, self.lon)
        return zip_point(self.postal_code)


class OrderLine(BaseModel):
    line_id: Identifier
    sku: Identifier
    quantity: int = Field(gt=0, le=10_000)


class OrderRequest(BaseModel):
    """What checkout sends: the body of ``POST /orders``."""

    order_id: Identifier
    customer: Customer
    ship_to: ShipTo
    lines: list[OrderLine] = Field(min_length=1, max_length=200)
    service_level: ServiceLevel = ServiceLevel.GROUND
    delivery: DeliveryType = DeliveryType.SHIP
    pickup_location_id: Identifier | None = None
    channel: str | None = None

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines: list[OrderLine]) -> list[OrderLine]:
        seen: set[str] = set()
        for line in lines:
            if line.line_id in seen:
                raise ValueError(f"line_id {line.line_id!r} is used twice")
            seen.add(line.line_id)
        return lines

    @model_validator(mode="after")
    def _pickup_needs_a_store(self) -> OrderRequest:
        if self.delivery is DeliveryType.PICKUP and not self.pickup_location_id:
            raise ValueError("pickup_location_id is required when delivery is 'pickup'")
        return self

    def units_by_sku(self) -> dict[str, int]:
        """Total units per SKU (two lines of one SKU add up)."""
        units: dict[str, int] = {}
        for line in self.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
        return units


def is_identifier(value: str) -> bool:
    return bool(_ID.match(value))
