"""Reading an order while no worker runs: a query needs a worker to answer it, so the
gateway gives up after its query timeout with an error that says so (503 in the API),
instead of hanging for the RPC's own 30 seconds. Real dev server, no worker at all."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.order_gateway import OrderGateway, WorkflowUnavailable
from domain.models import OrderStatus
from starter.temporal import ensure_search_attributes
from tests.workflows.helpers import order


async def test_an_order_no_worker_serves_reads_as_unavailable_after_the_timeout(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    await ensure_search_attributes(dev_env.client)
    gateway = OrderGateway(dev_env.client, task_queue, query_timeout=timedelta(seconds=1))
    # Placing needs no worker: the order is recorded in Temporal and waits for one.
    assert await gateway.place_order(order("NW-1")) == (OrderStatus.RECEIVED, True)

    started = time.monotonic()
    with pytest.raises(WorkflowUnavailable, match=r"order-NW-1 did not answer within 1s"):
        await gateway.get_order("NW-1")
    # Bounded by the gateway's timeout, not the RPC's 30 s (a loose bound, not a speed test).
    assert time.monotonic() - started < 15
