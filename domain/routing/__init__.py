"""The routing engine: for each order, the plan of least cost under the business's rules."""

from domain.routing.naive import route_naive as route
from domain.routing.types import (
    CostBreakdown,
    Plan,
    PlannedPackage,
    RoutingDecision,
    RoutingLine,
    RoutingRequest,
    StockSnapshot,
)

__all__ = [
    "CostBreakdown",
    "Plan",
    "PlannedPackage",
    "RoutingDecision",
    "RoutingLine",
    "RoutingRequest",
    "StockSnapshot",
    "route",
]
