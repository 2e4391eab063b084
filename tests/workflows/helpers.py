"""Fake activities for workflow tests, registered under the real activity names."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from temporalio import activity

from activities.messages import CommitRequest, ReleaseRequest
from activities.names import (
    ALLOCATE,
    CANCEL_AT_LOCATION,
    COMMIT_SHIPMENT,
    DISPATCH,
    RELEASE_RESERVATIONS,
)
from domain.ids import fulfillment_id
from domain.models import (
    DEFAULT_SLA,
    Customer,
    ManualAdapterConfig,
    OrderLine,
    OrderRequest,
    ShipTo,
)
from domain.orders import Allocation, AllocationRequest, FulfillmentRequest
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingDecision


def order(order_id: str = "A100", **overrides: object) -> OrderRequest:
    body = {
        "order_id": order_id,
        "customer": Customer(name="Dana Denver", email="dana@example.com"),
        "ship_to": ShipTo(postal_code="80202"),
        "lines": [
            OrderLine(line_id="1", sku="SKIN-CLEANSER", quantity=1),
            OrderLine(line_id="2", sku="SKIN-SERUM", quantity=1),
        ],
    }
    body.update(overrides)
    return OrderRequest.model_validate(body)


class FakeInventory:
    """Routes every package to the locations given, one package each; counts calls."""

    def __init__(self, locations: list[str], *, unfulfillable: bool = False) -> None:
        self.locations = locations
        self.unfulfillable = unfulfillable
        self.calls: Counter[str] = Counter()
        self.committed: list[str] = []
        self.released: list[str | None] = []

    @activity.defn(name=ALLOCATE)
    async def allocate(self, request: AllocationRequest) -> Allocation:
        self.calls["allocate"] += 1
        if self.unfulfillable:
            return Allocation(
                decision=RoutingDecision(
                    order_id=request.order_id,
                    status="unfulfillable",
                    reason="no SKIN-SERUM anywhere",
                )
            )
        per = [request.lines[i :: len(self.locations)] for i in range(len(self.locations))]
        packages = [
            PlannedPackage(location_id=loc, lines=lines)
            for loc, lines in zip(self.locations, per, strict=True)
            if lines
        ]
        plan = Plan(
            packages=packages, breakdown=CostBreakdown(), cost=Decimal("9.99"), transit_days=3
        )
        decision = RoutingDecision(order_id=request.order_id, status="routed", plan=plan)
        return Allocation(
            decision=decision,
            fulfillments=[
                FulfillmentRequest(
                    fulfillment_id=fulfillment_id(
                        request.order_id, request.first_fulfillment_number + i
                    ),
                    order_id=request.order_id,
                    location_id=p.location_id,
                    lines=p.lines,
                    ship_to=request.ship_to,
                    customer_name=request.customer_name,
                    service_level=request.service_level,
                    delivery=request.delivery,
                    adapter=ManualAdapterConfig(),
                    sla=DEFAULT_SLA,
                )
                for i, p in enumerate(packages)
            ],
        )

    @activity.defn(name=DISPATCH)
    async def dispatch(self, request: FulfillmentRequest) -> None:
        self.calls["dispatch"] += 1

    @activity.defn(name=CANCEL_AT_LOCATION)
    async def cancel(self, request: object) -> None:
        self.calls["cancel"] += 1

    @activity.defn(name=COMMIT_SHIPMENT)
    async def commit(self, request: CommitRequest) -> int:
        self.calls["commit"] += 1
        self.committed.append(request.fulfillment_id)
        return 1

    @activity.defn(name=RELEASE_RESERVATIONS)
    async def release(self, request: ReleaseRequest) -> int:
        self.calls["release"] += 1
        self.released.append(request.fulfillment_id)
        return 1

    def activities(self) -> list[object]:
        return [self.allocate, self.dispatch, self.cancel, self.commit, self.release]
