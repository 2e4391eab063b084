"""Fake activities for workflow tests, registered under the real activity names."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

from pydantic_core import to_jsonable_python
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.messages import CommitRequest, ReleaseRequest
from activities.names import (
    ALLOCATE,
    CANCEL_AT_LOCATION,
    COMMIT_SHIPMENT,
    DISPATCH,
    RECORD_BACKORDER,
    RECORD_SHORTFALL,
    RELEASE_RESERVATIONS,
)
from adapters.order_gateway import OrderGateway
from domain.ids import fulfillment_id, order_workflow_id
from domain.models import (
    DEFAULT_SLA,
    Customer,
    OrderLine,
    OrderRequest,
    ShipTo,
)
from domain.orders import Allocation, AllocationRequest, FulfillmentRequest, OrderView
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingDecision
from tests.support.keys import TEST_KEYS
from workflows.order import OrderWorkflow
from workflows.runner import WORKFLOWS, workflow_runner


async def settle(
    env: WorkflowEnvironment,
    order_id: str,
    *,
    step: timedelta = timedelta(minutes=10),
    limit: timedelta = timedelta(days=30),
) -> OrderView:
    """Skip time in steps until the order reaches a final status; its final view.

    (The test server skips time by itself only for a handle returned by start_workflow,
    so orders started through the gateway are driven explicitly with env.sleep.)"""
    handle = env.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(order_id))
    skipped = timedelta(0)
    while True:
        view = await handle.query(OrderWorkflow.state)
        if view.status.is_final:
            await handle.result()  # the workflow has ended, not just decided
            return await handle.query(OrderWorkflow.state)
        if skipped >= limit:
            raise AssertionError(f"order {order_id} still {view.status.value} after {limit}")
        await env.sleep(step)
        skipped += step
        await asyncio.sleep(0.05)  # let the worker take the tasks the skip released


async def until(env: WorkflowEnvironment, order_id: str, predicate, what: str) -> OrderView:
    """Poll the order's state (real time, no skipping) until ``predicate`` holds."""
    handle = env.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(order_id))
    for _ in range(400):
        view = await handle.query(OrderWorkflow.state)
        if predicate(view):
            return view
        await asyncio.sleep(0.025)
    raise AssertionError(f"order {order_id} never became {what}: {view.status.value}")


@asynccontextmanager
async def fake_worker(
    env: WorkflowEnvironment, task_queue: str, fake: FakeInventory
) -> AsyncIterator[OrderGateway]:
    """A worker running the real workflows with ``fake``'s activities; yields a gateway."""
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=fake.activities(),
        workflow_runner=workflow_runner(),
    ):
        yield OrderGateway(env.client, task_queue, search_hash_key=TEST_KEYS.search_hash)


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
    # As checkout sends it: JSON, validated strictly at the edge.
    return OrderRequest.model_validate(to_jsonable_python(body))


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

    @activity.defn(name=RECORD_SHORTFALL)
    async def shortfall(self, record: object) -> None:
        self.calls["shortfall"] += 1

    @activity.defn(name=RECORD_BACKORDER)
    async def backorder(self, record: object) -> None:
        self.calls["backorder"] += 1

    def activities(self) -> list[object]:
        return [
            self.allocate,
            self.dispatch,
            self.cancel,
            self.commit,
            self.release,
            self.shortfall,
            self.backorder,
        ]
