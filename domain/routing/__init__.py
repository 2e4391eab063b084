"""The routing engine: for each order, the plan of least cost under the business's rules.

``route()`` is the entry point (pure Python, no Temporal): see ``engine.py`` for the
priority and tie-break rules, ``search.py`` for why the answer is exact, and
``rules.py`` for the rules file.
"""

from domain.routing.engine import POLICIES, Policy, closest_first, route, single_location_first
from domain.routing.network import RoutingNetwork
from domain.routing.rules import (
    Rules,
    RulesError,
    default_rules,
    handling_for,
    load_rules,
    parse_rules,
    safety_stock_for,
)
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
    "POLICIES",
    "CostBreakdown",
    "Plan",
    "PlannedPackage",
    "Policy",
    "RoutingDecision",
    "RoutingLine",
    "RoutingNetwork",
    "RoutingRequest",
    "Rules",
    "RulesError",
    "StockSnapshot",
    "closest_first",
    "default_rules",
    "handling_for",
    "load_rules",
    "parse_rules",
    "route",
    "safety_stock_for",
    "single_location_first",
]
