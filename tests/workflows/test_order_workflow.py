"""The order workflow's happy path and the location-event contract, in the time-skipping server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.errors import InvalidTransition, UnknownFulfillment
from domain.fulfillment import LocationEvent
from domain.models import FulfillmentStatus, OrderStatus
from starter.gateway.orders import OrderGateway
from tests.support.builders import order_request as order
from tests.support.fakes import FakeInventory
from tests.support.workflows import fake_worker, settle, until
from workflows.order import OrderWorkflow


async def _wait_for_fulfillments(gateway: OrderGateway, order_id: str, count: int) -> None:
    for _ in range(200):
        view = await gateway.get_order(order_id)
        if len(view.fulfillments) == count and view.status is OrderStatus.FULFILLING:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"order {order_id} never reached {count} fulfillments")


async def _ship(gateway: OrderGateway, location: str, fid: str) -> None:
    for step in ("accepted", "picked", "packed"):
        await gateway.report_event(location, fid, LocationEvent(type=step), actor="test")
    await gateway.report_event(
        location,
        fid,
        LocationEvent(type="shipped", carrier="UPS", tracking_number="1Z999"),
        actor="test",
    )


async def test_single_package_order_ships(time_env: WorkflowEnvironment, task_queue: str) -> None:
    fake = FakeInventory(["SLC-3PL"])
    async with fake_worker(time_env, task_queue, fake) as gateway:
        status, created = await gateway.place_order(order("A1"))
        assert (status, created) == (OrderStatus.RECEIVED, True)
        await _wait_for_fulfillments(gateway, "A1", 1)
        await _ship(gateway, "SLC-3PL", "A1-F1")
        handle = time_env.client.get_workflow_handle_for(OrderWorkflow.run, "order-A1")
        result = await handle.result()
        view = await gateway.get_order("A1")  # a closed workflow's query needs a worker

    assert result.status is OrderStatus.SHIPPED
    assert result.fulfillments == {"A1-F1": FulfillmentStatus.SHIPPED}
    assert [f.status for f in view.fulfillments] == [FulfillmentStatus.SHIPPED]
    assert view.fulfillments[0].tracking_number == "1Z999"
    assert fake.committed == ["A1-F1"]
    assert fake.calls["release"] == 0
    types = [e.type for e in view.events]
    assert types == [
        "received",
        "allocated",
        "dispatched",
        "accepted",
        "picked",
        "packed",
        "shipped",
        "shipped",
    ]  # the last two: the package's, then the order's
    assert view.events[6].detail == {"carrier": "UPS", "tracking_number": "1Z999"}
    assert all(a.at <= b.at for a, b in zip(view.events, view.events[1:], strict=False))


async def test_split_order_stays_fulfilling_until_every_package_ships(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    fake = FakeInventory(["SLC-3PL", "CHI-STORE"])
    async with fake_worker(time_env, task_queue, fake) as gateway:
        await gateway.place_order(order("A2"))
        await _wait_for_fulfillments(gateway, "A2", 2)
        await _ship(gateway, "SLC-3PL", "A2-F1")
        view = await gateway.get_order("A2")
        assert view.status is OrderStatus.FULFILLING
        shipped = {f.fulfillment_id: f.tracking_number for f in view.fulfillments}
        assert shipped["A2-F1"] == "1Z999" and shipped["A2-F2"] is None
        await _ship(gateway, "CHI-STORE", "A2-F2")
        result = await time_env.client.get_workflow_handle_for(
            OrderWorkflow.run, "order-A2"
        ).result()
    assert result.status is OrderStatus.SHIPPED
    assert sorted(fake.committed) == ["A2-F1", "A2-F2"]


async def test_location_events_are_validated(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    fake = FakeInventory(["SLC-3PL"])
    async with fake_worker(time_env, task_queue, fake) as gateway:
        await gateway.place_order(order("A3"))
        await _wait_for_fulfillments(gateway, "A3", 1)
        with pytest.raises(UnknownFulfillment) as another_locations:
            await gateway.report_event(
                "CHI-STORE", "A3-F1", LocationEvent(type="accepted"), actor="t"
            )
        with pytest.raises(UnknownFulfillment) as missing:
            await gateway.report_event(
                "CHI-STORE", "A3-F9", LocationEvent(type="accepted"), actor="t"
            )
        # Another location's package reads exactly as one that does not exist: a location
        # learns nothing of other locations' work by probing ids.
        assert str(another_locations.value) == "no fulfillment 'A3-F1'"
        assert str(missing.value) == "no fulfillment 'A3-F9'"
        await gateway.report_event("SLC-3PL", "A3-F1", LocationEvent(type="packed"), actor="t")
        with pytest.raises(InvalidTransition, match="backwards"):
            await gateway.report_event("SLC-3PL", "A3-F1", LocationEvent(type="picked"), actor="t")
        with pytest.raises(InvalidTransition):
            await gateway.report_event(
                "SLC-3PL", "A3-F1", LocationEvent(type="ready_for_pickup"), actor="t"
            )
        shipped = LocationEvent(
            type="shipped", tracking_number="1ZX", carrier="UPS", event_id="ev-1"
        )
        first = await gateway.report_event("SLC-3PL", "A3-F1", shipped, actor="t")
        assert not first.duplicate
        await time_env.client.get_workflow_handle_for(OrderWorkflow.run, "order-A3").result()
        # Temporal dedupes by update id (= event_id) and answers with the first outcome.
        again = await gateway.report_event("SLC-3PL", "A3-F1", shipped, actor="t")
        assert again.status is FulfillmentStatus.SHIPPED
        package = await gateway.fulfillment("A3-F1")
        assert [e.type for e in package.events].count("shipped") == 1
        with pytest.raises(InvalidTransition, match="closed"):
            await gateway.report_event(
                "SLC-3PL", "A3-F1", LocationEvent(type="rejected"), actor="t"
            )
    assert fake.calls["commit"] == 1


async def test_unfulfillable_order_is_backordered_then_cancelled_after_the_window(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    fake = FakeInventory(["SLC-3PL"], unfulfillable=True)
    async with fake_worker(time_env, task_queue, fake) as gateway:
        await gateway.place_order(order("A4"))
        view = await until(
            time_env, "A4", lambda v: v.status is OrderStatus.BACKORDERED, "backordered"
        )
        assert {line.sku for line in view.backordered} == {"SKIN-CLEANSER", "SKIN-SERUM"}
        result = await settle(time_env, "A4", step=timedelta(hours=6))
    assert result.status is OrderStatus.CANCELLED
    assert "backorder window" in (result.reason or "")
    assert fake.calls["dispatch"] == 0
    assert fake.calls["allocate"] > 2  # re-checked while waiting
