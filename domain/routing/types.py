"""The routing engine's contract: what it is asked, and what it decides.

Money is ``Decimal`` dollars rounded to cents (serialised as strings such as ``"8.10"``,
the way Shopify's API writes prices).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.models import DeliveryType, ServiceLevel

# sku -> location_id -> units on hand minus units reserved (safety stock NOT yet subtracted:
# that is a routing rule, applied by the engine, and passed to the store's reserve check).
StockSnapshot = Mapping[str, Mapping[str, int]]


class RoutingLine(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class RoutingRequest(BaseModel):
    """One order (or the part of one still to be placed) to route."""

    order_id: str
    dest_lat: float
    dest_lon: float
    lines: list[RoutingLine]
    service_level: ServiceLevel = ServiceLevel.GROUND
    delivery: DeliveryType = DeliveryType.SHIP
    pickup_location_id: str | None = None
    exclude_location_ids: list[str] = Field(default_factory=list)
    force_location_id: str | None = None
    channel: str | None = None


class CostBreakdown(BaseModel):
    shipping: Decimal = Decimal("0.00")
    handling: Decimal = Decimal("0.00")
    split: Decimal = Decimal("0.00")
    days: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    # lookahead only: what the units it takes are worth to orders expected later; not
    # part of ``total`` (nobody pays it), but the plan was chosen on total + opportunity
    opportunity: Decimal = Decimal("0.00")


class PlannedPackage(BaseModel):
    """One box from one location."""

    location_id: str
    lines: list[RoutingLine]
    miles: float = 0.0
    zone: int | None = None
    transit_days: int = 0
    weight_lb: float = 0.0
    shipping: Decimal = Decimal("0.00")
    handling: Decimal = Decimal("0.00")
    cost: Decimal = Decimal("0.00")


class Plan(BaseModel):
    """A complete way to fill the order, with its cost broken down."""

    label: str = ""
    packages: list[PlannedPackage]
    breakdown: CostBreakdown
    cost: Decimal
    transit_days: int


class RoutingDecision(BaseModel):
    """The engine's answer: the winning plan, the runners-up, and why."""

    order_id: str
    status: Literal["routed", "unfulfillable"]
    plan: Plan | None = None
    alternatives: list[Plan] = Field(default_factory=list)
    rules_version: int = 0
    reason: str | None = None
    explanation: str | None = None
    policy: str = "optimal"
