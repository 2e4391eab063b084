"""Reading an order while no worker runs: a query needs a worker to answer it, so the
gateway gives up after its query timeout with an error that says so (503 in the API),
instead of hanging for the RPC's own 30 seconds. Real dev server, no worker at all."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.models import OrderStatus
from starter.bootstrap.temporal import ensure_search_attributes
from starter.gateway.orders import OrderGateway, WorkflowUnavailable
from tests.support.builders import order_request
from tests.support.keys import TEST_KEYS


async def test_an_order_no_worker_serves_reads_as_unavailable_after_the_timeout(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    await ensure_search_attributes(dev_env.client)
    gateway = OrderGateway(
        dev_env.client,
        task_queue,
        search_hash_key=TEST_KEYS.search_hash,
        vault=None,
        query_timeout=timedelta(seconds=1),
    )
    # Placing needs no worker: the order is recorded in Temporal and waits for one.
    assert await gateway.place_order(order_request("NW-1")) == (OrderStatus.RECEIVED, True)

    started = time.monotonic()
    with pytest.raises(WorkflowUnavailable, match=r"order-NW-1 did not answer within 1s"):
        await gateway.get_order("NW-1")
    # Bounded by the gateway's timeout, not the RPC's 30 s (a loose bound, not a speed test).
    assert time.monotonic() - started < 15


async def test_a_closed_order_is_read_from_its_final_state_without_a_worker(
    dev_env: WorkflowEnvironment, task_queue: str, tmp_path
) -> None:
    """Once an order has closed, the server alone answers for it: the workflow returned
    its final state, so no worker replays the history to read it."""
    from tests.support.fakes import FakeInventory
    from tests.support.workflows import fake_worker

    await ensure_search_attributes(dev_env.client)
    gateway = OrderGateway(
        dev_env.client,
        task_queue,
        search_hash_key=TEST_KEYS.search_hash,
        vault=None,
        query_timeout=timedelta(seconds=2),
    )
    async with fake_worker(dev_env, task_queue, FakeInventory(["WH-EAST"])) as served:
        await served.place_order(order_request("NW-2"))
        package = None
        for _ in range(200):
            view = await served.get_order("NW-2")
            if view.fulfillments:
                package = view.fulfillments[0]
                break
        assert package is not None
        await served.report_event("WH-EAST", package.fulfillment_id, _shipped(), actor="t")
        handle = dev_env.client.get_workflow_handle("order-NW-2")
        await handle.result()
    # The worker is gone: an open order could not be read now, a closed one can.
    final = await gateway.get_order("NW-2")
    assert final.status is OrderStatus.SHIPPED
    assert final.fulfillments[0].tracking_number == "1ZNW2"
    assert final.routing is not None and final.routing.status == "routed"


def _shipped():  # type: ignore[no-untyped-def]
    from domain.fulfillment import LocationEvent

    return LocationEvent(type="shipped", tracking_number="1ZNW2", event_id="s1")
