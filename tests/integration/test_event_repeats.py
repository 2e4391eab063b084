"""A location that repeats one event (a WMS retrying on every timeout) cannot exhaust the
order: every repeat of an ``event_id`` travels under the same Temporal update id, which
the server answers from the first update, so the order takes one update however many
repeats come (Temporal caps the distinct updates a workflow may take at 2,000). Real dev
server, the real order workflow, fake activities."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from domain.fulfillment import LocationEvent
from domain.models import FulfillmentStatus, LocationEventType, OrderStatus
from domain.orders import CancelRequest
from starter.bootstrap.temporal import ensure_search_attributes
from starter.gateway.orders import OrderGateway
from tests.support.builders import order_request
from tests.support.fakes import FakeInventory
from tests.support.workflows import fake_worker

REPEATS = 2_500


async def _first_package(gateway: OrderGateway, order_id: str) -> str:
    for _ in range(200):
        view = await gateway.get_order(order_id)
        if view.fulfillments:
            return view.fulfillments[0].fulfillment_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"order {order_id} was never dispatched")


async def test_thousands_of_repeats_of_one_event_cost_the_order_one_update(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    await ensure_search_attributes(dev_env.client)
    async with fake_worker(dev_env, task_queue, FakeInventory(["WH-EAST"])) as gateway:
        await gateway.place_order(order_request("RPT-1"))
        await gateway.place_order(order_request("RPT-2"))
        fid = await _first_package(gateway, "RPT-1")
        accepted = LocationEvent(type=LocationEventType.ACCEPTED, event_id="wms-acc-1")

        first = await gateway.report_event("WH-EAST", fid, accepted, actor="location:WH-EAST")
        assert first.duplicate is False and first.status is FulfillmentStatus.ACCEPTED
        receipts = []
        for start in range(0, REPEATS, 100):
            receipts += await asyncio.gather(
                *(
                    gateway.report_event("WH-EAST", fid, accepted, actor="location:WH-EAST")
                    for _ in range(start, min(start + 100, REPEATS))
                )
            )
        # Each repeat is told it is one, and changed nothing.
        assert len(receipts) == REPEATS
        assert all(r.duplicate and r.status is FulfillmentStatus.ACCEPTED for r in receipts)

        # The order still works: it ships, and the order beside it can still be cancelled.
        shipped = LocationEvent(
            type=LocationEventType.SHIPPED, event_id="wms-ship-1", tracking_number="1ZRPT1"
        )
        await gateway.report_event("WH-EAST", fid, shipped, actor="location:WH-EAST")
        handle = dev_env.client.get_workflow_handle("order-RPT-1")
        await handle.result()
        assert (await gateway.get_order("RPT-1")).status is OrderStatus.SHIPPED
        await _first_package(gateway, "RPT-2")
        cancelled = await gateway.cancel(
            "RPT-2", CancelRequest(reason="customer asked", actor="support")
        )
        assert cancelled.status is OrderStatus.CANCELLED

    # The history holds two accepted updates (the event and the shipment), not thousands.
    history = await handle.fetch_history()
    accepted_updates = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted_updates) == 2, len(accepted_updates)
