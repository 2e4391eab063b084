"""What an order and its fulfillments look like in flight: the state the workflows keep,
the queries return and the API shows, and the messages between workflows and activities."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.fulfillment import LocationEvent, TimelineEntry
from domain.models import (
    AdapterConfig,
    Customer,
    DeliveryType,
    FulfillmentStatus,
    OrderLine,
    OrderStatus,
    ServiceLevel,
    ShipTo,
    Sla,
)
from domain.routing.types import RoutingDecision, RoutingLine


class FulfillmentRequest(BaseModel):
    """Everything a location needs to fill one package (what adapters send)."""

    fulfillment_id: str
    order_id: str
    location_id: str
    lines: list[RoutingLine]
    ship_to: ShipTo
    customer_name: str
    service_level: ServiceLevel
    delivery: DeliveryType = DeliveryType.SHIP
    adapter: AdapterConfig
    sla: Sla
    created_at: datetime | None = None


class FulfillmentView(BaseModel):
    """One package's state as its workflow knows it."""

    fulfillment_id: str
    order_id: str
    location_id: str
    status: FulfillmentStatus
    lines: list[RoutingLine]
    delivery: DeliveryType = DeliveryType.SHIP
    carrier: str | None = None
    tracking_number: str | None = None
    reason: str | None = None
    ship_to: ShipTo | None = None
    events: list[TimelineEntry] = Field(default_factory=list)
    processed_event_ids: list[str] = Field(default_factory=list, exclude=False)


class OrderView(BaseModel):
    """The whole state of an order: what ``GET /orders/{id}`` returns."""

    order_id: str
    status: OrderStatus
    customer: Customer
    ship_to: ShipTo
    lines: list[OrderLine]
    service_level: ServiceLevel
    delivery: DeliveryType
    pickup_location_id: str | None = None
    fulfillments: list[FulfillmentView] = Field(default_factory=list)
    routing: RoutingDecision | None = None
    reason: str | None = None
    events: list[TimelineEntry] = Field(default_factory=list)


class AllocationRequest(BaseModel):
    """Ask the allocate activity to route and reserve what is still unplaced."""

    order_id: str
    allocation_key: str
    first_fulfillment_number: int
    lines: list[RoutingLine]
    ship_to: ShipTo
    customer_name: str
    dest_lat: float
    dest_lon: float
    service_level: ServiceLevel
    delivery: DeliveryType
    pickup_location_id: str | None = None
    exclude_location_ids: list[str] = Field(default_factory=list)
    force_location_id: str | None = None
    channel: str | None = None


class Allocation(BaseModel):
    """The routing decision and the packages it reserved (none when unfulfillable)."""

    decision: RoutingDecision
    fulfillments: list[FulfillmentRequest] = Field(default_factory=list)


class EventReceipt(BaseModel):
    """The answer to a location event: the fulfillment after it, and whether it was new."""

    fulfillment: FulfillmentView
    duplicate: bool = False


class LocationEventEnvelope(BaseModel):
    """A location event as it travels to the fulfillment workflow."""

    location_id: str
    event: LocationEvent
    actor: str = "location"
    received_at: datetime | None = None
