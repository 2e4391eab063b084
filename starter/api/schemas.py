"""Request bodies of the HTTP API that are not the domain's own shapes.

The console's forms are turned into these very bodies, so a form is refused exactly
where (and in the words) the API refuses the same request. Request bodies take ``EDGE``
(``EdgeModel``, domain/checkout.py): an unknown field is a 422 naming it, nothing is
coerced. Shapes that other doors share (the checkout order, ``OrderRequest``; the
workflow's update bodies) stay in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator, model_validator

from domain.checkout import EdgeModel, IsoText, ShipTo
from domain.fulfillment import LocationEvent
from domain.holds import HoldReason
from domain.models import (
    EVENT_ID_PATTERN,
    IMAGE_URL_PATTERN,
    Identifier,
    LocationEventType,
    ServiceLevel,
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


class PromiseLine(EdgeModel):
    sku: Identifier
    quantity: int = Field(gt=0, le=10_000)


class PromiseRequest(EdgeModel):
    """The body of ``POST /promise``: a cart and where it would go. Nothing is reserved."""

    lines: list[PromiseLine] = Field(min_length=1, max_length=200)
    ship_to: ShipTo
    service_level: ServiceLevel | None = Field(
        default=None, strict=False, description="Only this service level (default: every one)"
    )
    pickup_radius_miles: float = Field(default=DEFAULT_PICKUP_RADIUS_MILES, gt=0, le=500)
    channel: str | None = Field(default=None, max_length=100)
    at: Annotated[AwareDatetime | None, IsoText] = Field(
        default=None, strict=False, description="When the order would be placed (default: now)"
    )

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime | None) -> datetime | None:
        return at.astimezone(UTC) if at is not None else None

    def units_by_sku(self) -> dict[str, int]:
        """Total units per SKU in first-appearance order, as ``OrderRequest`` counts them."""
        return units_by_sku(self.lines)
