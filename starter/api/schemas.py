"""Request and response schemas of the HTTP API that only the API uses.

Request bodies take ``EDGE`` (``EdgeModel``, domain/checkout.py): an unknown field is a
422 naming it, nothing is coerced. Shapes that other doors share (the checkout order,
``OrderRequest``; the workflow's update bodies) stay in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator

from domain.checkout import EdgeModel, IsoText, ShipTo
from domain.models import Identifier, ServiceLevel, units_by_sku
from domain.promise import DEFAULT_PICKUP_RADIUS_MILES


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
