"""Request bodies of the HTTP API that are not the domain's own shapes.

The console's forms are turned into these very bodies, so a form is refused exactly
where (and in the words) the API refuses the same request. Request bodies take ``EDGE``
(``EdgeModel``, domain/checkout.py): an unknown field is a 422 naming it, nothing is
coerced. Shapes that other doors share (the checkout order, ``OrderRequest``; the
workflow's update bodies) stay in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, WithJsonSchema, field_validator, model_validator

from domain.checkout import CartLine, EdgeModel, IsoText, ShipTo, unique_line_ids
from domain.fulfillment import LocationEvent
from domain.holds import HoldReason
from domain.models import (
    EVENT_ID_PATTERN,
    IMAGE_URL_PATTERN,
    MAX_HANDLING_COST,
    MAX_PRIORITY,
    MAX_UNITS,
    Identifier,
    LocationEventType,
    ManualAdapterConfig,
    ServiceLevel,
    SimulatedAdapterConfig,
    Sla,
    WebhookAdapterConfig,
    refused,
    units_by_sku,
)
from domain.promise import DEFAULT_PICKUP_RADIUS_MILES

# --- orders -----------------------------------------------------------------------------


class RerouteBody(EdgeModel):
    """Operations moves an order's open packages off some locations, or onto one."""

    exclude_location_ids: list[Identifier] = Field(default_factory=list, max_length=100)
    location_id: Identifier | None = Field(default=None, description="Force the packages here")
    reason: str = Field(min_length=1, max_length=500)


class CancelBody(EdgeModel):
    reason: str = Field(min_length=1, max_length=500)


class ReleaseHoldBody(EdgeModel):
    """Which hold to lift (``POST /orders/{id}/hold`` takes ``domain.checkout.HoldBody``,
    the shape ``POST /orders`` takes as ``hold``)."""

    reason: HoldReason = Field(strict=False, description="The reason the hold was placed with")


# --- the catalogue ------------------------------------------------------------------------

NAME = Field(default=None, max_length=200, description="What people call it: 'Vitamin C serum'")
IMAGE = Field(
    default=None,
    max_length=500,
    pattern=IMAGE_URL_PATTERN,
    description="A picture for pick lists and order pages (http or https)",
)


class NewSku(EdgeModel):
    sku: Identifier
    weight_lb: float = Field(gt=0, le=2000, description="Drives the per-pound shipping cost")
    name: str | None = NAME
    image_url: str | None = IMAGE


class SkuPatch(EdgeModel):
    """Only the fields sent change; ``name: null`` clears the name."""

    name: str | None = NAME
    image_url: str | None = IMAGE
    weight_lb: float | None = Field(default=None, gt=0, le=2000)


# --- stock movements ---------------------------------------------------------------------


class Receipt(EdgeModel):
    """Units arrived at a location (a delivery, a transfer in, a return to stock)."""

    location_id: Identifier
    sku: Identifier
    quantity: int = Field(gt=0, le=1_000_000)
    reference: str | None = Field(default=None, max_length=200)


class Adjustment(EdgeModel):
    """Units found (+) or lost, damaged, written off (-), with the reason why."""

    location_id: Identifier
    sku: Identifier
    delta: int = Field(ge=-1_000_000, le=1_000_000, json_schema_extra={"not": {"const": 0}})
    reason: str = Field(min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200)

    @field_validator("delta")
    @classmethod
    def _moves_something(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("an adjustment of 0 units changes nothing")
        return delta


class Count(EdgeModel):
    """A cycle count: what is on the shelf now."""

    on_hand: int = Field(ge=0, le=10_000_000)
    reason: str = Field(default="cycle count", min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200)


# --- locations' settings -----------------------------------------------------------------


# The settings' shapes as the API takes them: no unknown fields, no coercion (EDGE).
# The network file's models stay lenient: a file written for an older release still loads.


class SlaBody(Sla, EdgeModel):
    pass


class ManualAdapterBody(ManualAdapterConfig, EdgeModel):
    type: Literal["manual"]


class WebhookAdapterBody(WebhookAdapterConfig, EdgeModel):
    type: Literal["webhook"]
    secret: str | None = Field(default=None, min_length=1, max_length=500, repr=False)


class SimulatedAdapterBody(SimulatedAdapterConfig, EdgeModel):
    type: Literal["simulated"]
    carrier: str = Field(default="UPS", min_length=1, max_length=100)


AdapterBody = Annotated[
    ManualAdapterBody | WebhookAdapterBody | SimulatedAdapterBody, Field(discriminator="type")
]

LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
LocalTime = Annotated[
    time,
    IsoText,
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME_PATTERN, "examples": ["15:00"]}),
]
TimeZoneName = Annotated[
    str, Field(min_length=1, max_length=64, description="IANA name, e.g. America/Denver")
]


class LocationPatch(EdgeModel):
    """The settings operations may change; fields left out stay as they are, ``null``
    clears an optional one (``daily_capacity: null``: no daily limit)."""

    # Never null (a location always has them): None here only means "left out".
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]
    pickup: bool = None  # type: ignore[assignment]
    returns: bool = None  # type: ignore[assignment]
    daily_capacity: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    safety_stock: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    handling_cost: float | None = Field(
        default=None, ge=0, le=MAX_HANDLING_COST, allow_inf_nan=False
    )
    priority: int | None = Field(default=None, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    sla: SlaBody | None = None
    adapter: AdapterBody = None  # type: ignore[assignment]
    cutoff: LocalTime | None = Field(
        default=None, strict=False, description="Local order cut-off, e.g. 15:00"
    )
    timezone: TimeZoneName | None = None


# --- a location's events ------------------------------------------------------------------


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


# --- promise ----------------------------------------------------------------------------


class PromiseRequest(EdgeModel):
    """The body of ``POST /promise``: a cart and where it would go. Nothing is reserved."""

    lines: list[CartLine] = Field(
        min_length=1,
        max_length=200,
        description="The same line objects as POST /orders takes (line_id optional here)",
    )
    ship_to: ShipTo
    service_level: ServiceLevel | None = Field(
        default=None, strict=False, description="Only this service level (default: every one)"
    )
    pickup_radius_miles: float = Field(default=DEFAULT_PICKUP_RADIUS_MILES, gt=0, le=500)
    channel: str | None = Field(default=None, max_length=100)
    at: Annotated[AwareDatetime | None, IsoText] = Field(
        default=None, strict=False, description="When the order would be placed (default: now)"
    )

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines: list[CartLine]) -> list[CartLine]:
        return unique_line_ids(lines)

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime | None) -> datetime | None:
        return at.astimezone(UTC) if at is not None else None

    def units_by_sku(self) -> dict[str, int]:
        """Total units per SKU in first-appearance order, as ``OrderRequest`` counts them."""
        return units_by_sku(self.lines)
